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

/// What one step of ``MedusaDecoder`` did, as the decode loop hands it to an observer
/// (the record above, plus the logits the step read).
extension MedusaDecoder {
  /// What one step produced (``MedusaDecoder/step(recordLogits:)``).
  package struct StepOutcome {
    /// The step as the trace records it (its tokens before the stop rule).
    package var record: MedusaStepRecord
    /// For each accepted token, the logits it was verified against (when logits are recorded).
    package var logits: [[Float]]
    /// The logits of every tree node, in node order (when logits are recorded).
    package var treeLogits: [[Float]]
    /// The logits of every head the tree uses, from which the step's proposals came (when
    /// logits are recorded).
    package var headLogits: [[Float]]
    /// Every head's top-10 token ids (descending, ties to the lowest id): the proposals.
    package var headTopK: [[Int]]
  }

  /// One step of the decode loop, as an observer sees it.
  package struct StepObservation {
    /// 0-based step number.
    package var index: Int
    /// Cache length before the step (the root's position).
    package var committed: Int
    /// The step.
    package var outcome: StepOutcome
    /// The tokens the step appended to the output, after the stop rule.
    package var appended: [Int]
  }
}
