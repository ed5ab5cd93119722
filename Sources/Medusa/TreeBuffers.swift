/// The static tensors of one Medusa tree, built exactly as the original
/// `generate_medusa_buffers` builds them (paper §2.1.2 tree attention), plus the parent and
/// ancestor tables a CPU decoder walks instead of a dense mask.
///
/// Node order: node 0 is the root (the base model's next token); nodes `1...` are the paths of
/// ``MedusaChoices/sortedPaths`` (by length, then lexicographically), so node `n` is path
/// `sortedPaths[n - 1]`. Nodes of one depth are contiguous and depths increase with the index.
public struct TreeBuffers: Equatable, Sendable {
  /// The paths in node order: `sortedPaths[n - 1]` is node `n`.
  public let sortedPaths: [[Int]]
  /// Number of nodes including the root (`medusa_len`, `len(medusa_choices) + 1`).
  public let nodeCount: Int
  /// Depth of the deepest node (the root has depth 0).
  public let maxDepth: Int
  /// `medusa_attn_mask`: `attentionMask[q][k]` is true when node `q` may attend to node `k`,
  /// i.e. `k` is `q` itself or one of its ancestors (the root included).
  public let attentionMask: [[Bool]]
  /// `tree_indices`: node -> index into the flat candidate vector
  /// `[base token] + head 1 top-k + head 2 top-k + ...`. The root maps to 0, a node at depth
  /// `d` whose path ends in slot `i` maps to `1 + (d - 1) * topK + i`.
  public let treeIndices: [Int]
  /// `medusa_position_ids`: node -> depth, the offset added to the position of the root.
  public let positionIDs: [Int]
  /// `retrieve_indices`: one row per leaf path, each the node indices from the root (column 0,
  /// always node 0) down to the leaf, padded with -1 to `maxDepth + 1` columns. Rows follow the
  /// original: leaves in reverse node order (longest and lexicographically last first).
  public let retrieveIndices: [[Int]]
  /// node -> parent node; the root's entry is -1.
  public let parents: [Int]
  /// node -> depth (same values as ``positionIDs``).
  public let depth: [Int]
  /// node -> its ancestor chain in depth order, root first and the node itself last; exactly
  /// the keys row `n` of ``attentionMask`` allows, in the logical order attention visits them.
  public let ancestorChains: [[Int]]

  /// Builds the buffers of a validated tree.
  public init(choices: MedusaChoices) {
    let sorted = choices.sortedPaths
    var nodeOfPath: [[Int]: Int] = [:]
    for (offset, path) in sorted.enumerated() { nodeOfPath[path] = offset + 1 }
    let count = sorted.count + 1

    var parents = [-1]
    var depth = [0]
    var treeIndices = [0]
    for path in sorted {
      // `MedusaChoices` guarantees prefix closure, so the parent lookup cannot miss.
      parents.append(path.count == 1 ? 0 : nodeOfPath[Array(path.dropLast()), default: 0])
      depth.append(path.count)
      treeIndices.append(1 + (path.count - 1) * MedusaChoices.topK + (path.last ?? 0))
    }

    var chains: [[Int]] = [[0]]
    var mask = [[Bool]](repeating: [Bool](repeating: false, count: count), count: count)
    mask[0][0] = true
    for node in 1..<count {
      let chain = chains[parents[node]] + [node]
      chains.append(chain)
      for ancestor in chain { mask[node][ancestor] = true }
    }

    let maxDepth = choices.maxDepth
    var retrieve: [[Int]] = []
    for leaf in choices.leafPaths.reversed() {
      let node = nodeOfPath[leaf, default: 0]
      let row = chains[node] + [Int](repeating: -1, count: maxDepth + 1 - chains[node].count)
      retrieve.append(row)
    }

    self.sortedPaths = sorted
    self.nodeCount = count
    self.maxDepth = maxDepth
    self.attentionMask = mask
    self.treeIndices = treeIndices
    self.positionIDs = depth
    self.retrieveIndices = retrieve
    self.parents = parents
    self.depth = depth
    self.ancestorChains = chains
  }
}
