/// The outcome of comparing a candidate with a reference (``ConformanceCheck``).
public struct ConformanceReport: Sendable {
  /// One result per reference case, in reference order.
  public var cases: [CaseResult]
  /// Candidate cases with no reference case of that id.
  public var unknownCandidateIDs: [String]

  /// True when no case failed (near-ties pass unless the check was strict).
  public var passed: Bool { cases.allSatisfy { $0.status != .fail } && unknownCandidateIDs.isEmpty }
}

/// The result of one case.
public struct CaseResult: Sendable {
  /// Pass, pass at a near-tie, or fail.
  public enum Status: String, Sendable {
    /// Everything the candidate reported agrees.
    case pass = "PASS"
    /// The ids diverge first at a numeric near-tie: tolerated unless strict.
    case nearTie = "TIE"
    /// A real difference.
    case fail = "FAIL"
  }

  /// The case id.
  public var id: String
  /// The verdict.
  public var status: Status
  /// What was compared, e.g. `ids 40/40`, `steps 17/17`.
  public var compared: [String]
  /// The first output divergence, if any.
  public var divergence: IDDivergence?
  /// The first differing step, if steps were given and differ.
  public var stepDifference: StepDifference?
  /// Further observations (logits out of tolerance, stop-rule violations).
  public var notes: [String]
  /// Why, for a case that is not a plain pass.
  public var diagnosis: Diagnosis?
}

/// Where the candidate's output ids first differ from the reference.
public struct IDDivergence: Equatable, Sendable {
  /// 0-based index in the output.
  public var position: Int
  /// The reference step that emitted this position.
  public var step: Int
  /// The position's offset within that step's tokens (0 = the step's root token).
  public var offset: Int
  /// The reference token (nil when the candidate's output is longer).
  public var expected: Int?
  /// The candidate's token (nil when the candidate's output is shorter).
  public var got: Int?
  /// Reference top-1 id, top-2 id, top-1 logit and top-1 − top-2 margin there (when in range).
  public var top1: Int?
  /// See ``top1``.
  public var top2: Int?
  /// See ``top1``.
  public var top1Logit: Float?
  /// See ``top1``.
  public var margin: Float?
  /// The near-tie bound that applied there: `near_tie_relative × max(1, |top1 logit|)`.
  public var nearTieBound: Float?

  /// True when both tokens exist and the margin is at most the near-tie bound.
  public var isNearTie: Bool {
    guard expected != nil, got != nil, let margin, let nearTieBound else { return false }
    return margin <= nearTieBound
  }
}

/// The first step whose trace differs.
public struct StepDifference: Equatable, Sendable {
  /// 0-based step.
  public var step: Int
  /// The first differing field in comparison order (`tree_candidates`, `candidates`,
  /// `node_top1`, `best_candidate`, `accept_length`, `tokens`), or `steps` for a count.
  public var field: String
  /// Expected vs got, shortened.
  public var detail: String
  /// For `node_top1`: the tree nodes whose argmax differs.
  public var wrongNodes: [Int]
}

/// A likely cause, with the evidence that points to it.
public struct Diagnosis: Equatable, Sendable {
  /// The likely causes the check can name.
  public enum Cause: String, Sendable, CaseIterable {
    /// The divergence is at a numeric near-tie: not evidence of a bug.
    case nearTie = "near-tie"
    /// The backbone itself (prefill or autoregressive decoding) differs.
    case backbone
    /// Tree nodes that follow a non-ancestor node are wrong: missing or wrong tree mask.
    case treeMask = "missing-tree-mask"
    /// The root or nodes a mask cannot explain are wrong in a fresh tree pass.
    case positionIDs = "wrong-position-ids"
    /// The first tree pass is wrong, without node-level evidence to say why.
    case treePass = "tree-pass"
    /// The first step is right, later tree passes are wrong.
    case staleKV = "stale-kv-after-compaction"
    /// Later steps propose different candidates although the output agrees.
    case staleHeadLogits = "stale-head-logits"
    /// Step 0 proposes different candidate tokens.
    case headLogits = "head-logits"
    /// The same candidate tokens in a different order.
    case candidateOrder = "candidate-order"
    /// The candidate rows (retrieve indices, pads) differ.
    case retrieveIndices = "retrieve-indices"
    /// One token more than verified is appended (accept length / retrieve off by one).
    case acceptOffByOne = "off-by-one-retrieve"
    /// Same node logits, different acceptance (posterior evaluation).
    case verification
    /// Stop at EOS or max-new-tokens handled differently.
    case stopRule = "stop-rule"
    /// Logits beyond the stated tolerance, ids agreeing.
    case logitsTolerance = "logits-tolerance"
    /// The candidate has no case with this id.
    case missingCase = "missing-case"
  }

  /// The cause.
  public var cause: Cause
  /// One or two sentences: the evidence and where to look.
  public var explanation: String

  /// A diagnosis.
  public init(_ cause: Cause, _ explanation: String) {
    self.cause = cause
    self.explanation = explanation
  }
}
