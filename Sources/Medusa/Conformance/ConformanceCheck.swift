/// Compares another backend's output (a ``ConformanceCandidate``) with a
/// ``ConformanceReference``, level by level (Docs/CONFORMANCE.md): autoregressive ids,
/// Medusa greedy ids, per-step traces, logits within a tolerance. For the first divergence it
/// reports the reference's top-1/top-2 margin there and a ``Diagnosis``.
public enum ConformanceCheck {
  /// Thresholds of a check.
  public struct Options: Sendable, Equatable {
    /// The default relative near-tie threshold, 1e-3 (Docs/CONFORMANCE.md explains why).
    public static let defaultNearTie = 1e-3

    /// A divergence where the reference margin is at most
    /// `nearTieRelative × max(1, |top-1 logit|)` is a near-tie; nil takes the reference's.
    public var nearTieRelative: Double?
    /// Logits agree when `|got − expected| ≤ logitsAbsolute + logitsRelative × |expected|`.
    public var logitsAbsolute: Float
    /// See ``logitsAbsolute``.
    public var logitsRelative: Float
    /// When true a near-tie divergence fails the case too.
    public var strict: Bool

    /// Options; the defaults suit float32 backends.
    public init(
      nearTieRelative: Double? = nil, logitsAbsolute: Float = 1e-4, logitsRelative: Float = 1e-4,
      strict: Bool = false
    ) {
      self.nearTieRelative = nearTieRelative
      self.logitsAbsolute = logitsAbsolute
      self.logitsRelative = logitsRelative
      self.strict = strict
    }
  }

  /// Checks every reference case against the candidate case of the same id.
  public static func run(
    reference: ConformanceReference, candidate: ConformanceCandidate, options: Options = Options()
  ) -> ConformanceReport {
    var byID: [String: CandidateCase] = [:]
    for item in candidate.cases where byID[item.id] == nil { byID[item.id] = item }
    let nearTie = options.nearTieRelative ?? reference.nearTieRelative
    let trees = TreeShapes(reference: reference)
    let results = reference.cases.map { expected -> CaseResult in
      guard let got = byID[expected.id] else {
        return CaseResult(
          id: expected.id, status: .fail, compared: [], divergence: nil, stepDifference: nil,
          notes: [],
          diagnosis: Diagnosis(.missingCase, "the candidate file has no case \"\(expected.id)\""))
      }
      var comparison = CaseComparison(
        reference: expected, candidate: got, stop: reference.stop, nearTie: nearTie,
        options: options, shape: trees.shape(expected.tree))
      comparison.compare()
      let diagnosis = comparison.diagnose()
      let status: CaseResult.Status
      switch diagnosis?.cause {
      case nil: status = .pass
      case .nearTie?: status = options.strict ? .fail : .nearTie
      default: status = .fail
      }
      return CaseResult(
        id: expected.id, status: status, compared: comparison.compared,
        divergence: comparison.divergence, stepDifference: comparison.stepDifference,
        notes: comparison.notes, diagnosis: diagnosis)
    }
    let known = Set(reference.cases.map(\.id))
    return ConformanceReport(
      cases: RunEvidence.combine(results),
      unknownCandidateIDs: candidate.cases.map(\.id).filter { !known.contains($0) })
  }
}

/// The comparisons of one case; ``diagnose(shape:)`` turns them into a ``Diagnosis``.
struct CaseComparison {
  let reference: ReferenceCase
  let candidate: CandidateCase
  let stop: ReferenceStop
  let nearTie: Double
  let options: ConformanceCheck.Options
  var compared: [String] = []
  var notes: [String] = []
  var divergence: IDDivergence?
  var arDivergence: IDDivergence?
  var stepDifference: StepDifference?
  var logitsViolation: Int?
  var selfInconsistency: Int?
  /// The step where step comparison stopped at a near-tie, if it did.
  var stepsNearTie: Int?
  let shape: TreeShape?

  init(
    reference: ReferenceCase, candidate: CandidateCase, stop: ReferenceStop, nearTie: Double,
    options: ConformanceCheck.Options, shape: TreeShape?
  ) {
    self.shape = shape
    self.reference = reference
    self.candidate = candidate
    self.stop = stop
    self.nearTie = nearTie
    self.options = options
  }

  /// Runs every comparison the candidate's fields allow.
  mutating func compare() {
    if let ar = candidate.arOutputIDs {
      arDivergence = firstDivergence(expected: reference.arOutputIDs, got: ar)
      compared.append(
        "ar ids \(agreeing(reference.arOutputIDs, ar))/\(reference.arOutputIDs.count)")
    }
    divergence = firstDivergence(expected: reference.medusaOutputIDs, got: candidate.outputIDs)
    compared.append(
      "ids \(agreeing(reference.medusaOutputIDs, candidate.outputIDs))/\(reference.medusaOutputIDs.count)"
    )
    if candidate.outputIDs.count > stop.maxNewTokens {
      notes.append(
        "the candidate emitted \(candidate.outputIDs.count) tokens, more than max_new_tokens \(stop.maxNewTokens)"
      )
    }
    if let steps = candidate.steps { compareSteps(steps) }
    if let logits = candidate.logits { compareLogits(logits) }
  }

  /// Output positions that agree before the first divergence.
  private func agreeing(_ expected: [Int], _ got: [Int]) -> Int {
    zip(expected, got).prefix { $0 == $1 }.count
  }

  private func firstDivergence(expected: [Int], got: [Int]) -> IDDivergence? {
    let common = agreeing(expected, got)
    guard common < max(expected.count, got.count) else { return nil }
    let (step, offset) = stepAndOffset(of: common)
    var divergence = IDDivergence(
      position: common, step: step, offset: offset,
      expected: common < expected.count ? expected[common] : nil,
      got: common < got.count ? got[common] : nil)
    if common < reference.margins.count, common < reference.top1Logits.count,
      common < reference.top1IDs.count, common < reference.top2IDs.count
    {
      divergence.top1 = reference.top1IDs[common]
      divergence.top2 = reference.top2IDs[common]
      divergence.top1Logit = reference.top1Logits[common]
      divergence.margin = reference.margins[common]
      divergence.nearTieBound = Float(nearTie) * max(1, abs(reference.top1Logits[common]))
    }
    return divergence
  }

  /// The reference step that emitted output position `position`, and the offset within it.
  func stepAndOffset(of position: Int) -> (Int, Int) {
    var start = 0
    for (index, step) in reference.steps.enumerated() {
      if position < start + step.tokens.count { return (index, position - start) }
      start += step.tokens.count
    }
    return (reference.steps.count, position - start)
  }

  private mutating func compareSteps(_ steps: [ReferenceStep]) {
    let expected = reference.steps
    var same = 0
    for (index, (want, got)) in zip(expected, steps).enumerated() {
      if let difference = difference(step: index, want, got) {
        if isNearTie(difference, want) {
          stepsNearTie = index
        } else {
          stepDifference = difference
        }
        break
      }
      same += 1
    }
    if stepDifference == nil, stepsNearTie == nil, expected.count != steps.count {
      stepDifference = StepDifference(
        step: same, field: "steps", detail: "expected \(expected.count) steps, got \(steps.count)",
        wrongNodes: [])
    }
    compared.append("steps \(same)/\(expected.count)")
    if let step = stepsNearTie {
      notes.append(
        "step \(step) proposes or scores differently at a head or tree-node near-tie; later steps not compared"
      )
    }
  }

  /// Whether a step difference is explained by near-ties: head proposals that differ only at
  /// depths whose head has a near-tie among its top-11, or node argmaxes that differ only at
  /// nodes with a near-tie margin.
  private func isNearTie(_ difference: StepDifference, _ want: ReferenceStep) -> Bool {
    switch difference.field {
    case "tree_candidates":
      // A node's token can flip by noise when its head's logits at its slot are within the
      // bound of a neighbouring slot's.
      guard let shape, let gaps = want.headGaps, !difference.wrongNodes.contains(0) else {
        return false
      }
      return difference.wrongNodes.allSatisfy { node in
        guard node < shape.depth.count, shape.depth[node] - 1 < gaps.count else { return false }
        let head = gaps[shape.depth[node] - 1]
        let slot = shape.slot[node]
        return [slot - 1, slot].contains {
          $0 >= 0 && $0 < head.count && Double(head[$0]) <= nearTie
        }
      }
    case "node_top1":
      guard let margins = want.nodeMargins else { return false }
      return difference.wrongNodes.allSatisfy {
        $0 < margins.count && Double(margins[$0]) <= nearTie
      }
    default:
      return false
    }
  }

  /// The first differing field of one step, in the order a step computes them.
  func difference(step: Int, _ want: ReferenceStep, _ got: ReferenceStep) -> StepDifference? {
    func show(_ value: some Equatable) -> String {
      let text = "\(value)"
      return text.count > 120 ? String(text.prefix(117)) + "..." : text
    }
    func make(_ field: String, _ a: [Int], _ b: [Int], _ nodes: [Int]) -> StepDifference {
      StepDifference(
        step: step, field: field, detail: "expected \(show(a)), got \(show(b))", wrongNodes: nodes)
    }
    func differing(_ a: [Int], _ b: [Int]) -> [Int] {
      a.count == b.count ? a.indices.filter { a[$0] != b[$0] } : []
    }
    if want.treeCandidates != got.treeCandidates {
      let nodes = differing(want.treeCandidates, got.treeCandidates)
      return make("tree_candidates", want.treeCandidates, got.treeCandidates, nodes)
    }
    if want.candidates != got.candidates {
      return StepDifference(
        step: step, field: "candidates",
        detail: "expected \(show(want.candidates)), got \(show(got.candidates))", wrongNodes: [])
    }
    if let a = want.nodeTop1, let b = got.nodeTop1, a != b {
      // Nodes at a near-tie are named only when nothing else differs.
      let all = differing(a, b)
      let margins = want.nodeMargins ?? []
      let real = all.filter { $0 >= margins.count || Double(margins[$0]) > nearTie }
      let nodes = real.isEmpty ? all : real
      return make("node_top1", nodes.map { a[$0] }, nodes.map { b[$0] }, nodes)
    }
    if want.bestCandidate != got.bestCandidate {
      return make("best_candidate", [want.bestCandidate], [got.bestCandidate], [])
    }
    if want.acceptLength != got.acceptLength {
      return make("accept_length", [want.acceptLength], [got.acceptLength], [])
    }
    if want.tokens != got.tokens { return make("tokens", want.tokens, got.tokens, []) }
    return nil
  }

  private mutating func compareLogits(_ rows: [[Float]]) {
    for (position, row) in rows.enumerated() where position < candidate.outputIDs.count {
      let argmax = row.withUnsafeBufferPointer(Greedy.argmax)
      if argmax != candidate.outputIDs[position] {
        selfInconsistency = position
        notes.append(
          "the candidate's own logits at position \(position) have argmax \(argmax) but it emitted \(candidate.outputIDs[position])"
        )
        break
      }
    }
    guard let expected = reference.logits else {
      compared.append("logits: not in the reference (emit with --logits)")
      return
    }
    let limit = min(rows.count, expected.count, (divergence?.position ?? Int.max - 1) + 1)
    var within = 0
    for position in 0..<limit {
      let want = expected[position]
      let got = rows[position]
      var worst: (index: Int, error: Float)? = want.count == got.count ? nil : (-1, .infinity)
      for index in want.indices where index < got.count {
        let error = abs(got[index] - want[index])
        if !(error <= options.logitsAbsolute + options.logitsRelative * abs(want[index])) {
          worst = (index, error)
          break
        }
      }
      if let worst {
        logitsViolation = position
        notes.append(
          worst.index < 0
            ? "logits row \(position) has \(got.count) entries, expected \(want.count)"
            : "logits at position \(position), token \(worst.index): |got − expected| = \(worst.error), beyond \(options.logitsAbsolute) + \(options.logitsRelative)·|expected|"
        )
        break
      }
      within += 1
    }
    compared.append("logits \(within)/\(limit) within tolerance")
  }
}
