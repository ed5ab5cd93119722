import Medusa

/// The structure of a reference tree that the diagnosis needs: which nodes a missing tree
/// mask would corrupt (those with an earlier node that is not their ancestor).
struct TreeShape {
  /// Nodes whose logits change when every node attends to all earlier nodes (no tree mask).
  let maskSensitive: Set<Int>
  /// The tree's retrieve indices (one row per leaf, -1 pads).
  let retrieveIndices: [[Int]]
  /// node -> depth.
  let depth: [Int]
  /// node -> the top-k slot its path ends in (the root's entry is 0).
  let slot: [Int]

  /// The shape of a tree from its buffers.
  init(buffers: TreeBuffers) {
    retrieveIndices = buffers.retrieveIndices
    depth = buffers.depth
    slot = [0] + buffers.sortedPaths.map { $0.last ?? 0 }
    var sensitive = Set<Int>()
    for node in 0..<buffers.nodeCount {
      let ancestors = Set(buffers.ancestorChains[node])
      if (0..<node).contains(where: { !ancestors.contains($0) }) { sensitive.insert(node) }
    }
    maskSensitive = sensitive
  }
}

/// The shapes of a reference's trees, by name (trees that fail validation have none).
struct TreeShapes {
  private var shapes: [String: TreeShape] = [:]

  /// The shapes of every tree of `reference`.
  init(reference: ConformanceReference) {
    for tree in reference.trees {
      let depth = tree.choices.map(\.count).max() ?? 0
      if let choices = try? MedusaChoices(paths: tree.choices, headCount: depth) {
        shapes[tree.name] = TreeShape(buffers: TreeBuffers(choices: choices))
      }
    }
  }

  /// The shape of the tree `name`, if it is valid.
  func shape(_ name: String) -> TreeShape? { shapes[name] }
}

extension TreeShape {
  /// The node of a step's last accepted token: retrieve row `bestCandidate`, column
  /// `acceptLength`; nil when out of range or a pad.
  func lastAcceptedNode(bestCandidate: Int, acceptLength: Int) -> Int? {
    guard bestCandidate >= 0, bestCandidate < retrieveIndices.count,
      acceptLength >= 0, acceptLength < retrieveIndices[bestCandidate].count
    else { return nil }
    let node = retrieveIndices[bestCandidate][acceptLength]
    return node >= 0 ? node : nil
  }

  /// Whether `tree` (a step's node tokens, root equal) holds the heads' proposals rearranged:
  /// every non-root node's token is one of the reference's top-10 tokens of its depth's head,
  /// and distinct slots of one depth hold distinct tokens. A top-k order, tree-index or
  /// node-order bug does exactly that; wrong head logits propose other tokens.
  func proposalsRearranged(_ headTopK: [[Int]]?, _ tree: [Int]) -> Bool {
    guard let headTopK, tree.count == depth.count else { return false }
    var tokenOfSlot: [Int: [Int: Int]] = [:]
    for node in 1..<depth.count {
      let head = depth[node] - 1
      guard head < headTopK.count, headTopK[head].contains(tree[node]) else { return false }
      if let seen = tokenOfSlot[head]?[slot[node]], seen != tree[node] { return false }
      tokenOfSlot[head, default: [:]][slot[node]] = tree[node]
    }
    return tokenOfSlot.values.allSatisfy { Set($0.values).count == $0.count }
  }

  /// Whether some depth has nodes in two or more top-k slots (a chain has one per depth).
  var usesSeveralSlots: Bool {
    var slots: [Int: Set<Int>] = [:]
    for node in 1..<depth.count { slots[depth[node], default: []].insert(slot[node]) }
    return slots.values.contains { $0.count >= 2 }
  }

  /// Whether two node token lists hold, depth by depth, the same multiset of tokens.
  func sameTokensPerDepth(_ a: [Int], _ b: [Int]) -> Bool {
    guard a.count == depth.count, b.count == depth.count else { return false }
    let levels = Set(depth)
    return levels.allSatisfy { level in
      let nodes = depth.indices.filter { depth[$0] == level }
      return nodes.map { a[$0] }.sorted() == nodes.map { b[$0] }.sorted()
    }
  }
}
