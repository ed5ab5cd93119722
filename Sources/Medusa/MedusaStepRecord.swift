/// One Medusa decoding step as the trace records it (the Golden trace format, and
/// `medusa generate --json`'s `steps`).
public struct MedusaStepRecord: Sendable, Equatable {
  /// The token of every tree node, in node order (root first).
  public var treeCandidates: [Int]
  /// The candidate paths (rows of the retrieve indices), pad slots holding token 0.
  public var candidates: [[Int]]
  /// The row of `candidates` that was chosen.
  public var bestCandidate: Int
  /// How many tokens after the root were accepted.
  public var acceptLength: Int
  /// The tokens this step appended to the output: the accepted path (root included), cut
  /// by the stop rule at an EOS or at the token limit.
  public var tokens: [Int]

  /// A step record.
  public init(
    treeCandidates: [Int], candidates: [[Int]], bestCandidate: Int, acceptLength: Int,
    tokens: [Int]
  ) {
    self.treeCandidates = treeCandidates
    self.candidates = candidates
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
    self.tokens = tokens
  }
}
