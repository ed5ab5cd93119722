import Medusa

/// The comparisons of one case; ``diagnose()`` turns them into a ``Diagnosis``.
///
/// Order: the candidate's steps are completed (`candidates` derived from `tree_candidates`
/// where missing), then autoregressive ids, steps, Medusa ids and logits are compared. A
/// recognised ``Deviation`` of the original that changes the context (a pad accepted, a
/// proposal changed at a tie) bounds what is compared after it, as a near-tie does.
struct CaseComparison {
  let reference: ReferenceCase
  let candidate: CandidateCase
  let stop: ReferenceStop
  let nearTie: Double
  let options: ConformanceCheck.Options
  let shape: TreeShape?
  /// Output position where each reference step starts.
  let stepStarts: [Int]
  /// Greedy (lossless) or typical.
  let isGreedy: Bool
  /// The candidate's steps with `candidates` derived where the candidate left them out.
  var steps: [CandidateStep]?
  /// Steps whose `candidates` were derived, not given.
  var derivedSteps: Set<Int> = []
  var compared: [String] = []
  var notes: [String] = []
  var levels: Set<Int> = []
  var divergence: IDDivergence?
  var arDivergence: IDDivergence?
  /// A stop-rule violation seen in the autoregressive ids (a length difference).
  var arStopFinding: Diagnosis?
  /// A stop-rule violation seen in the Medusa ids that no deviation explains.
  var stopFinding: Diagnosis?
  var stepDifference: StepDifference?
  /// The step where step comparison stopped at a near-tie, if it did.
  var stepsNearTie: Int?
  var deviations: [DeviationNote] = []
  /// Output positions before this one are compared; what follows a context-changing deviation
  /// or a typical near-tie is not.
  var idsLimit: Int?
  /// Appended to the `ids` entry of ``compared`` (tokens past the reference's stop that a
  /// deviation explains).
  var idsSuffix = ""
  var logitsViolation: Int?
  var logitsMisalignment: Diagnosis?
  var selfInconsistency: Int?
  /// The first failure of a top-K logits comparison, naming its position and token.
  var topLogitsFinding: Diagnosis?

  init(
    reference: ReferenceCase, candidate: CandidateCase, stop: ReferenceStop, nearTie: Double,
    options: ConformanceCheck.Options, shape: TreeShape?
  ) {
    self.reference = reference
    self.candidate = candidate
    self.stop = stop
    self.nearTie = nearTie
    self.options = options
    self.shape = shape
    isGreedy = reference.verification?.isGreedy ?? true
    var starts: [Int] = []
    var start = 0
    for step in reference.steps {
      starts.append(start)
      start += step.tokens.count
    }
    stepStarts = starts
  }

  /// Runs every comparison the candidate's fields allow.
  mutating func compare() {
    completeSteps()
    if let ar = candidate.arOutputIDs { compareAR(ar) }
    if let steps { compareSteps(steps) }
    compareIDs()
    if let logits = candidate.logits {
      compareLogits(logits)
    } else if let top = candidate.topLogits {
      compareOwnTopLogits(top)
    }
  }

  /// Derives missing `candidates` and notes which fields the steps left out.
  private mutating func completeSteps() {
    guard var given = candidate.steps else {
      notes.append("no steps: level 4 not compared, causes are named from output ids only")
      return
    }
    for index in given.indices {
      guard let top1 = given[index].nodeTop1, let shape, top1.count != shape.depth.count else {
        continue
      }
      notes.append(
        "node_top1 of step \(index) has \(top1.count) entries for \(shape.depth.count) tree nodes: ignored"
      )
      given[index].nodeTop1 = nil
    }
    for index in given.indices where given[index].candidates == nil {
      guard let tree = given[index].treeCandidates, let shape, tree.count == shape.depth.count
      else { continue }
      given[index].candidates = shape.retrieveIndices.map { row in
        row.map { $0 < 0 ? Candidates.padToken : tree[$0] }
      }
      derivedSteps.insert(index)
    }
    let count = given.count
    func missing(_ name: String, _ present: (CandidateStep) -> Bool) -> Bool {
      count > 0 && !given.contains(where: present)
    }
    if missing("tree_candidates", { $0.treeCandidates != nil }) {
      notes.append(
        "steps without tree_candidates: proposals, candidate rows and node argmaxes not compared; steps are judged by best_candidate, accept_length and tokens"
      )
    } else if !derivedSteps.isEmpty {
      notes.append(
        "steps without candidates: derived from tree_candidates and the tree's retrieve indices, so candidate rows are not compared on their own"
      )
    }
    if missing("node_top1", { $0.nodeTop1 != nil }) {
      notes.append(
        "steps without node_top1: a wrong tree pass is named without node-level evidence")
    }
    if missing("best_candidate", { $0.bestCandidate != nil }) {
      notes.append("steps without best_candidate: the chosen row is not compared")
    }
    steps = given
  }

  /// Output positions that agree before the first divergence.
  func agreeing(_ expected: [Int], _ got: [Int]) -> Int {
    zip(expected, got).prefix { $0 == $1 }.count
  }

  private mutating func compareAR(_ ar: [Int]) {
    let expected = reference.arOutputIDs
    let common = agreeing(expected, ar)
    levels.insert(2)
    compared.append("ar ids \(common)/\(expected.count)")
    if common < expected.count, common < ar.count {
      arDivergence = divergence(at: common, expected: expected, got: ar, margins: isGreedy)
    } else if ar.count != expected.count {
      arStopFinding = lengthFinding(
        field: "ar_output_ids", expected: expected, gotCount: ar.count,
        what: "the autoregressive output")
    }
  }

  /// The divergence at output `position`, with the reference's top-1/top-2 margin there when
  /// it applies (`margins`), or the step's decision gap inside a typical chunk.
  func divergence(at position: Int, expected: [Int], got: [Int], margins: Bool) -> IDDivergence {
    let (step, offset) = stepAndOffset(of: position)
    var divergence = IDDivergence(
      position: position, step: step, offset: offset,
      expected: position < expected.count ? expected[position] : nil,
      got: position < got.count ? got[position] : nil)
    if margins, position < reference.margins.count, position < reference.top1Logits.count,
      position < reference.top1IDs.count, position < reference.top2IDs.count
    {
      divergence.top1 = reference.top1IDs[position]
      divergence.top2 = reference.top2IDs[position]
      divergence.top1Logit = reference.top1Logits[position]
      divergence.margin = reference.margins[position]
      divergence.nearTieBound = Float(nearTie) * max(1, abs(reference.top1Logits[position]))
    }
    if !isGreedy, offset > 0, step < reference.steps.count,
      let gap = reference.steps[step].decisionGap
    {
      divergence.decisionGap = gap
      divergence.decisionGapBound = Float(nearTie)
    }
    return divergence
  }

  /// The reference step that emitted output position `position`, and the offset within it.
  func stepAndOffset(of position: Int) -> (Int, Int) {
    for (index, start) in stepStarts.enumerated().reversed() where position >= start {
      return (index, position - start)
    }
    return (0, position)
  }

  /// The whole chunk a reference step accepted, before the stop rule cut it.
  func fullChunk(_ step: ReferenceStep) -> [Int] {
    guard step.bestCandidate >= 0, step.bestCandidate < step.candidates.count else {
      return step.tokens
    }
    let row = step.candidates[step.bestCandidate]
    return Array(row.prefix(step.acceptLength + 1))
  }

  /// True when the reference stopped at a stop token (kept as its last token).
  var referenceStoppedAtEOS: Bool {
    guard let last = reference.medusaOutputIDs.last else { return false }
    return stop.stopTokenIDs.contains(last)
  }

  private mutating func compareIDs() {
    let expected = reference.medusaOutputIDs
    let got = candidate.outputIDs
    levels.insert(isGreedy ? 3 : 5)
    var common = agreeing(expected, got)
    if common < expected.count, common < got.count, steps == nil,
      let limit = padLimitFromIDs(firstDifference: common)
    {
      idsLimit = min(idsLimit ?? limit, limit)
    }
    let limit = idsLimit ?? Int.max
    if common >= limit {
      common = limit
      notes.append(
        "output ids after position \(limit) are not compared: they follow a different context (see above)"
      )
    } else if common < expected.count, common < got.count {
      divergence = divergence(at: common, expected: expected, got: got, margins: true)
    } else if got.count > expected.count {
      judgeLongerOutput()
    } else if got.count < expected.count {
      stopFinding = lengthFinding(
        field: "output_ids", expected: expected, gotCount: got.count, what: "the output")
    }
    compared.append("ids \(common)/\(expected.count)" + idsSuffix)
  }
}
