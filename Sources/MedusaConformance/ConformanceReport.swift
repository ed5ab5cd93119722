import Medusa

/// The outcome of comparing a candidate with a reference (``ConformanceCheck``).
public struct ConformanceReport: Sendable {
  /// One result per reference case, in reference order.
  public var cases: [CaseResult]
  /// Candidate cases with no reference case of that id (each is an error).
  public var unknownCandidateIDs: [String]
  /// Ids that occur more than once in the candidate file (each is an error; the reference case
  /// of that id fails).
  public var duplicateCandidateIDs: [String] = []
  /// Level 1: the candidate's tree buffers against this project's, one per tree it gave.
  public var trees: [TreeBuffersResult] = []
  /// The semantics the candidate was held to.
  public var semantics: Semantics = .original

  /// Reference cases that failed.
  public var failedCases: Int { cases.filter { $0.status == .fail }.count }
  /// Tree buffers that differ.
  public var failedTrees: Int { trees.filter { !$0.passed }.count }
  /// Everything that fails the run: failed cases, unknown and duplicate ids, tree buffers.
  public var errorCount: Int {
    failedCases + unknownCandidateIDs.count + duplicateCandidateIDs.count + failedTrees
  }

  /// True when nothing failed (near-ties and, under ``Semantics/original``, the original's
  /// deviations pass unless the check was strict).
  public var passed: Bool { errorCount == 0 }
}

/// Level 1: one tree's buffers as the candidate gave them, against this project's.
public struct TreeBuffersResult: Equatable, Sendable {
  /// The tree's name.
  public var name: String
  /// The fields compared (those the candidate gave).
  public var compared: [String]
  /// The first differing field and how, or nil when every compared field agrees.
  public var difference: String?

  /// True when every compared field agrees.
  public var passed: Bool { difference == nil }
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
  /// Further observations (logits out of tolerance, fields the candidate left out ...).
  public var notes: [String]
  /// Why, for a case that is not a plain pass.
  public var diagnosis: Diagnosis?
  /// The original's documented deviations seen in the case (notes under
  /// ``Semantics/original``, the diagnosis under ``Semantics/swiftMedusa``).
  public var deviations: [DeviationNote] = []
  /// The verification the case ran (`greedy`, `typical`).
  public var verification: String = "greedy"
  /// What the case let the checker compare, by level: 2 (autoregressive ids), 3 (Medusa ids,
  /// greedy), 4 (steps), 5 (typical), 6 (logits against the reference's).
  public var levels: Set<Int> = []
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
  /// Typical cases, inside a chunk (offset ≥ 1): the step's relative decision gap and the
  /// near-tie threshold it is held to (the token was accepted by a threshold, not an argmax).
  public var decisionGap: Float?
  /// See ``decisionGap``.
  public var decisionGapBound: Float?

  /// True when both tokens exist and the margin (or, inside a typical chunk, the decision gap)
  /// is at most its near-tie bound.
  public var isNearTie: Bool {
    guard expected != nil, got != nil else { return false }
    if let decisionGap, let decisionGapBound { return decisionGap <= decisionGapBound }
    guard let margin, let nearTieBound else { return false }
    return margin <= nearTieBound
  }
}

/// The first step whose trace differs.
public struct StepDifference: Equatable, Sendable {
  /// 0-based step.
  public var step: Int
  /// The first differing field in comparison order (`head_topk`, `tree_candidates`,
  /// `candidates`, `node_top1`, `best_candidate`, `accept_length`, `tokens`), or `steps` for a
  /// count.
  public var field: String
  /// Expected vs got, shortened.
  public var detail: String
  /// For `node_top1` and `tree_candidates`: the tree nodes that differ.
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
    /// The candidate has several cases with this id.
    case duplicateCase = "duplicate-case"
    /// The logits rows are aligned one column off (a token's row is its neighbour's).
    case logitsMisaligned = "logits-misaligned"
    /// A pad slot was accepted (the original's rule; this project never accepts a pad).
    case padAccepted = "pad-accepted"
  }

  /// The cause.
  public var cause: Cause
  /// One or two sentences: the evidence and where to look.
  public var explanation: String
  /// The candidate field whose value is the evidence (`output_ids`, `tokens`, `logits` ...),
  /// when one field is.
  public var field: String?
  /// True when the evidence fits the cause but is weak (a `candidate-order` verdict on a tree
  /// with one slot per depth): evidence from other cases of the run may overrule it.
  public var isWeak = false

  /// A diagnosis.
  public init(_ cause: Cause, _ explanation: String, field: String? = nil) {
    self.cause = cause
    self.explanation = explanation
    self.field = field
  }
}
