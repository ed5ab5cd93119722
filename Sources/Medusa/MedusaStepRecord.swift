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

  /// The random decisions of a lossless sampling step (``Verification/lossless(_:seed:)``);
  /// nil for the other modes.
  public var sampling: LosslessStepTrace?

  /// A step record.
  public init(
    treeCandidates: [Int], candidates: [[Int]], bestCandidate: Int, acceptLength: Int,
    tokens: [Int], sampling: LosslessStepTrace? = nil
  ) {
    self.treeCandidates = treeCandidates
    self.candidates = candidates
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
    self.tokens = tokens
    self.sampling = sampling
  }
}

/// What a lossless sampling step drew, in the order it drew it (Docs/CONFORMANCE.md, random
/// numbers): the root, then every draft tried.
public struct LosslessStepTrace: Sendable, Equatable {
  /// The root token, drawn from the residual the previous step ended with.
  public var root: ResidualDraw
  /// Every draft tried, accepted or not, in the order of the tries.
  public var trials: [DraftTrial]

  /// A trace of one step.
  public init(root: ResidualDraw, trials: [DraftTrial]) {
    self.root = root
    self.trials = trials
  }
}
