/// Why candidates could not be built from the given tokens.
public enum CandidatesError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Fewer head rows than the tree is deep.
  case tooFewHeads(needed: Int, got: Int)
  /// Head `head` (0-based) has `got` top-k tokens instead of `MedusaChoices.topK`.
  case wrongTopKCount(head: Int, got: Int)

  /// A one-line message naming the head.
  public var description: String {
    switch self {
    case .tooFewHeads(let needed, let got):
      return "candidates: the tree needs top-k tokens of \(needed) heads, got \(got)"
    case .wrongTopKCount(let head, let got):
      return "candidates: head \(head) has \(got) top-k tokens, expected \(MedusaChoices.topK)"
    }
  }
}

/// The candidate tokens of one decoding step, as the original `generate_candidates` builds them
/// (paper §2.1.2: the top-k of every head, arranged as the sparse tree).
///
/// The flat vector `[base token] + head 1 top-k + ... + head K top-k` is indexed by
/// ``TreeBuffers/treeIndices`` to give one token per tree node, and the node tokens are indexed
/// by ``TreeBuffers/retrieveIndices`` to give one row per leaf path (the "cartesian"
/// candidates). Where a retrieve index is the -1 pad the original reads the zero it appended
/// to the node tokens, so padded columns hold token 0; ``isPad`` marks them.
public struct Candidates: Equatable, Sendable {
  /// One token per tree node, in node order (`tree_candidates`, without the batch axis).
  public let treeCandidates: [Int]
  /// One row per leaf path, `maxDepth + 1` columns, column 0 the base token (`candidates`).
  public let candidates: [[Int]]
  /// `isPad[r][j]` is true where `retrieveIndices[r][j] == -1` (the token there is a 0 pad).
  public let isPad: [[Bool]]

  /// The token the original puts at padded positions.
  public static let padToken = 0

  /// Builds the candidates from the base model's next token (its argmax, or a sampled token)
  /// and `headTopK[k]`, the `MedusaChoices.topK` most likely token ids of head `k + 1` in
  /// descending order (ties already broken to the lowest id by the caller's top-k).
  public init(baseToken: Int, headTopK: [[Int]], buffers: TreeBuffers) throws(CandidatesError) {
    guard headTopK.count >= buffers.maxDepth else {
      throw .tooFewHeads(needed: buffers.maxDepth, got: headTopK.count)
    }
    for (head, row) in headTopK.enumerated() where row.count != MedusaChoices.topK {
      throw .wrongTopKCount(head: head, got: row.count)
    }
    let flat = [baseToken] + headTopK.joined()
    let tree = buffers.treeIndices.map { flat[$0] }
    treeCandidates = tree
    candidates = buffers.retrieveIndices.map { row in
      row.map { $0 < 0 ? Self.padToken : tree[$0] }
    }
    isPad = buffers.retrieveIndices.map { row in row.map { $0 < 0 } }
  }
}
