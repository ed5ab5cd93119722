import Medusa

/// Step-by-step comparison of a candidate trace with the reference's (level 4). Fields are
/// compared in the order a step computes them: `head_topk`, `tree_candidates`, `candidates`,
/// `node_top1`, `best_candidate`, `accept_length`, `tokens`; each only when the candidate gave
/// it. The first difference stops the comparison: it is a recognised ``Deviation`` of the
/// original, a near-tie, or the evidence the diagnosis reads.
extension CaseComparison {
  mutating func compareSteps(_ steps: [CandidateStep]) {
    let expected = reference.steps
    levels.insert(4)
    var same = 0
    var stopped = false
    for (index, (want, got)) in zip(expected, steps).enumerated() {
      guard let difference = difference(step: index, want, got) else {
        same += 1
        continue
      }
      stopped = true
      if let note = deviation(difference, step: index, want, got) {
        deviations.append(note)
      } else if isNearTie(difference, want) {
        stepsNearTie = index
        if !isGreedy { limitIDs(to: stepStarts[index]) }
      } else {
        stepDifference = difference
      }
      break
    }
    if !stopped, expected.count != steps.count {
      stepDifference = StepDifference(
        step: same, field: "steps",
        detail: "expected \(expected.count) steps, got \(steps.count)", wrongNodes: [])
    }
    compared.append("steps \(same)/\(expected.count)")
    if let step = stepsNearTie {
      notes.append(
        "step \(step) proposes or scores differently at a head, tree-node or acceptance near-tie; later steps not compared"
      )
    }
  }

  mutating func limitIDs(to position: Int) {
    idsLimit = min(idsLimit ?? position, position)
  }

  /// The first differing field of one step, in the order a step computes them.
  func difference(step: Int, _ want: ReferenceStep, _ got: CandidateStep) -> StepDifference? {
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
    if let wantTop = want.headTopK, let gotTop = got.headTopK {
      // Compared as one flat list: entry `h * topK + k` is head h's slot k.
      let a = Array(wantTop.joined())
      let b = Array(gotTop.prefix(wantTop.count).joined())
      if gotTop.count < wantTop.count {
        return StepDifference(
          step: step, field: "head_topk",
          detail: "\(gotTop.count) heads given, the tree uses \(wantTop.count)", wrongNodes: [])
      }
      if a != b { return make("head_topk", a, b, differing(a, b)) }
    }
    if let tree = got.treeCandidates, tree != want.treeCandidates {
      return make(
        "tree_candidates", want.treeCandidates, tree, differing(want.treeCandidates, tree))
    }
    if !derivedSteps.contains(step), let rows = got.candidates, rows != want.candidates {
      return StepDifference(
        step: step, field: "candidates",
        detail: "expected \(show(want.candidates)), got \(show(rows))", wrongNodes: [])
    }
    if let a = want.nodeTop1, let b = got.nodeTop1, a != b {
      // Nodes at a near-tie are named only when nothing else differs.
      let all = differing(a, b)
      let margins = want.nodeMargins ?? []
      let real = all.filter { $0 >= margins.count || Double(margins[$0]) > nearTie }
      let nodes = real.isEmpty ? all : real
      return make("node_top1", nodes.map { a[$0] }, nodes.map { b[$0] }, nodes)
    }
    if let best = got.bestCandidate, best != want.bestCandidate {
      return make("best_candidate", [want.bestCandidate], [best], [])
    }
    if got.acceptLength != want.acceptLength {
      return make("accept_length", [want.acceptLength], [got.acceptLength], [])
    }
    if got.tokens != want.tokens {
      // The reference's last step is cut by the stop rule; a candidate that keeps the whole
      // chunk there is judged on its output ids (the original's deviation, or a stop bug).
      let isLast = step == reference.steps.count - 1
      if isLast, got.tokens == fullChunk(want), got.tokens.count > want.tokens.count { return nil }
      return make("tokens", want.tokens, got.tokens, [])
    }
    return nil
  }

  /// The original's deviation that explains a step difference, if one does: a pad accepted
  /// (the reference's `original_verdict`, or a pad column holding 0 where the previous node's
  /// argmax is 0), or proposals that differ only at exactly tied head logits.
  mutating func deviation(
    _ difference: StepDifference, step: Int, _ want: ReferenceStep, _ got: CandidateStep
  ) -> DeviationNote? {
    switch difference.field {
    case "best_candidate", "accept_length", "tokens":
      guard let verdict = padVerdict(want, got) else { return nil }
      let rowTokens = want.candidates[verdict.bestCandidate]
      let chunk = Array(rowTokens.prefix(verdict.acceptLength + 1))
      limitIDs(to: stepStarts[step] + agreeing(want.tokens, chunk))
      return DeviationNote(
        .padAccepted, step: step, field: "accept_length",
        detail:
          "step \(step) accepts \(verdict.acceptLength) in row \(verdict.bestCandidate) where the reference accepts \(want.acceptLength) in row \(want.bestCandidate): a pad slot (token 0) is accepted because the previous node's argmax is 0; the original then copies a wrong KV row and reads the next logits from the last tree node, so later steps and output ids are not compared"
      )
    case "tree_candidates", "head_topk":
      guard isExactTie(difference, want) else { return nil }
      if !isGreedy { limitIDs(to: stepStarts[step]) }
      return DeviationNote(
        .topKTieOrder, step: step, field: difference.field,
        detail:
          "step \(step)'s proposals differ only where a head's logits tie exactly (\(difference.detail)): torch.topk's tie order; later steps not compared"
      )
    default:
      return nil
    }
  }

  /// The candidate's verdict when it is the original's pad acceptance, else nil.
  private func padVerdict(_ want: ReferenceStep, _ got: CandidateStep) -> ReferenceVerdict? {
    let best = got.bestCandidate ?? want.originalVerdict?.bestCandidate ?? want.bestCandidate
    let verdict = ReferenceVerdict(bestCandidate: best, acceptLength: got.acceptLength)
    guard best >= 0, best < want.candidates.count,
      got.acceptLength < want.candidates[best].count
    else { return nil }
    let chunk = Array(want.candidates[best].prefix(got.acceptLength + 1))
    guard got.tokens == chunk || (chunk.starts(with: got.tokens) && !got.tokens.isEmpty) else {
      return nil
    }
    if let original = want.originalVerdict { return original == verdict ? verdict : nil }
    // Without the reference's record (greedy only): the row has a pad inside the accepted part,
    // its token is 0, and the reference's argmax of the node before it is 0.
    guard isGreedy, let shape, let top1 = want.nodeTop1, best < shape.retrieveIndices.count
    else { return nil }
    let row = shape.retrieveIndices[best]
    guard let pad = row.prefix(got.acceptLength + 1).firstIndex(of: -1), pad >= 1,
      row[pad - 1] >= 0, row[pad - 1] < top1.count, top1[row[pad - 1]] == Candidates.padToken
    else { return nil }
    return verdict
  }

  /// Whether every differing proposal sits at an exact tie (gap 0) next to its slot.
  private func isExactTie(_ difference: StepDifference, _ want: ReferenceStep) -> Bool {
    headGapTest(difference, want) { $0 == 0 }
  }

  /// Whether a step difference is explained by near-ties: head proposals that differ only at
  /// slots whose head has a near-tie next to them, node argmaxes that differ only at nodes with
  /// a near-tie margin, or (typical) an acceptance whose decision gap is within the bound.
  func isNearTie(_ difference: StepDifference, _ want: ReferenceStep) -> Bool {
    switch difference.field {
    case "tree_candidates", "head_topk":
      return headGapTest(difference, want) { Double($0) <= nearTie }
    case "node_top1":
      guard let margins = want.nodeMargins else { return false }
      return difference.wrongNodes.allSatisfy {
        $0 < margins.count && Double(margins[$0]) <= nearTie
      }
    case "best_candidate", "accept_length", "tokens":
      guard !isGreedy, let gap = want.decisionGap else { return false }
      return Double(gap) <= nearTie
    default:
      return false
    }
  }

  /// Applies `isClose` to the head gaps on either side of every differing proposal's slot.
  private func headGapTest(
    _ difference: StepDifference, _ want: ReferenceStep, isClose: (Float) -> Bool
  ) -> Bool {
    guard let gaps = want.headGaps, !difference.wrongNodes.isEmpty else { return false }
    let topK = MedusaChoices.topK
    let places: [(head: Int, slot: Int)]
    if difference.field == "head_topk" {
      places = difference.wrongNodes.map { ($0 / topK, $0 % topK) }
    } else {
      guard let shape, !difference.wrongNodes.contains(0) else { return false }
      places = difference.wrongNodes.compactMap { node in
        node < shape.depth.count ? (shape.depth[node] - 1, shape.slot[node]) : nil
      }
      guard places.count == difference.wrongNodes.count else { return false }
    }
    return places.allSatisfy { place in
      guard place.head >= 0, place.head < gaps.count else { return false }
      let head = gaps[place.head]
      return [place.slot - 1, place.slot].contains {
        $0 >= 0 && $0 < head.count && isClose(head[$0])
      }
    }
  }
}
