/// The rules from evidence to a likely cause (Docs/CONFORMANCE.md, "Diagnosis"). The earliest
/// evidence wins: a step that differs before the output diverges points at the decoder's
/// structure; a divergence at a near-tie is numeric noise; the step's first differing field
/// and its position in the run name the cause.
extension CaseComparison {
  /// The likely cause of the first difference, or nil when the case passes.
  func diagnose() -> Diagnosis? {
    if let ar = arDivergence, !ar.isNearTie {
      return Diagnosis(
        .backbone,
        "autoregressive output differs at position \(ar.position): the backbone (prefill, KV cache, kernels) disagrees before Medusa is involved; fix level 2 first"
      )
    }
    let divergenceStep = divergence.map(\.step) ?? Int.max
    if let difference = stepDifference, difference.step < divergenceStep {
      return fromStep(difference)
    }
    if let divergence {
      if divergence.isNearTie { return nearTie(divergence) }
      if let difference = stepDifference { return fromStep(difference) }
      return fromIDs(divergence)
    }
    if let difference = stepDifference { return fromStep(difference) }
    if candidate.outputIDs.count > stop.maxNewTokens {
      return Diagnosis(.stopRule, "more tokens than max_new_tokens")
    }
    if let position = selfInconsistency {
      return Diagnosis(
        .verification,
        "at position \(position) the emitted token is not the argmax of the candidate's own logits: verification or the ties-to-lowest-id rule"
      )
    }
    if let step = stepsNearTie {
      return Diagnosis(
        .nearTie,
        "output ids agree; step \(step) differs only where the reference has a near-tie (a head's top-11 gap or a tree node's top-2 margin within the bound): floating-point noise, not evidence of a bug"
      )
    }
    if let position = logitsViolation {
      return Diagnosis(
        .logitsTolerance,
        "ids agree but the logits at position \(position) are beyond tolerance: numerics (dtype, accumulation order, fused kernels) or a small real error"
      )
    }
    return nil
  }

  private func nearTie(_ divergence: IDDivergence) -> Diagnosis {
    let runnerUp =
      divergence.got == divergence.top2
      ? "the candidate chose the reference's runner-up" : "a tie among several tokens"
    return Diagnosis(
      .nearTie,
      "the reference margin there (\(divergence.margin ?? 0)) is within the near-tie bound \(divergence.nearTieBound ?? 0); \(runnerUp): floating-point noise, not evidence of a bug; the rest of the case follows a different context and is not compared"
    )
  }

  /// Coarse diagnosis from output ids alone.
  private func fromIDs(_ divergence: IDDivergence) -> Diagnosis {
    if divergence.expected == nil || divergence.got == nil {
      let how = divergence.got == nil ? "stops early" : "continues"
      return Diagnosis(
        .stopRule,
        "the candidate \(how) after \(divergence.position) tokens: stop at EOS (kept, even inside an accepted chunk) and never exceed max_new_tokens"
      )
    }
    if divergence.step == 0 && divergence.offset == 0 {
      return Diagnosis(
        .backbone, "the very first token differs: the prefill's last logits (level 2)")
    }
    if divergence.step == 0 {
      return Diagnosis(
        .treePass,
        "the first tree pass accepts a wrong token (output ids only): tree attention mask or position ids; report steps with node_top1 for a sharper diagnosis"
      )
    }
    return Diagnosis(
      .staleKV,
      "the first step is right and a later one wrong (output ids only): likely the KV cache after compaction (accepted nodes' rows, in path order) or the position counter; report steps with node_top1 for a sharper diagnosis"
    )
  }

  /// Diagnosis from the first differing step field.
  private func fromStep(_ difference: StepDifference) -> Diagnosis {
    let s = difference.step
    guard let steps = candidate.steps, s < steps.count, s < reference.steps.count else {
      return Diagnosis(
        .stopRule,
        "step \(s): \(difference.detail): the number of steps differs with every common step equal: stop rule"
      )
    }
    let want = reference.steps[s]
    let got = steps[s]
    switch difference.field {
    case "tree_candidates": return fromCandidates(s, want, got)
    case "candidates":
      return Diagnosis(
        .retrieveIndices,
        "step \(s): same tree tokens, different candidate rows: retrieve indices (one row per leaf, leaves in reverse node order, pads read token 0)"
      )
    case "node_top1": return fromNodes(s, difference.wrongNodes)
    default: return fromAcceptance(s, want, got)
    }
  }

  private func fromCandidates(_ s: Int, _ want: ReferenceStep, _ got: ReferenceStep) -> Diagnosis {
    if want.treeCandidates.count != got.treeCandidates.count {
      return Diagnosis(
        .candidateOrder,
        "step \(s): \(got.treeCandidates.count) tree nodes instead of \(want.treeCandidates.count): a different tree"
      )
    }
    if want.treeCandidates.first != got.treeCandidates.first {
      if s == 0 {
        return Diagnosis(.backbone, "step 0's root (the prefill's argmax) differs (level 2)")
      }
      if let previous = candidate.steps?[s - 1], let top1 = previous.nodeTop1,
        let last = shape?.lastAcceptedNode(previous), last < top1.count,
        top1[last] != got.treeCandidates.first
      {
        return Diagnosis(
          .acceptOffByOne,
          "step \(s)'s root is not the argmax of the previous step's last accepted node: the next base logits come from the wrong node (retrieve indices read off by one)"
        )
      }
      return s == 1
        ? Diagnosis(.treePass, "step \(s)'s root differs: the first tree pass's logits are wrong")
        : Diagnosis(.staleKV, "step \(s)'s root differs after earlier steps agreed: stale KV")
    }
    if let shape, shape.sameTokensPerDepth(want.treeCandidates, got.treeCandidates) {
      return Diagnosis(
        .candidateOrder,
        "step \(s): the same candidate tokens in another order: top-k order (descending, ties to the lowest id), tree_indices, or node order (paths sorted by length, then lexicographically)"
      )
    }
    if s == 0 {
      return Diagnosis(
        .headLogits,
        "step 0's root agrees but the heads propose other tokens: head weights, or the heads run on a hidden state other than the last prompt token's (after the final norm)"
      )
    }
    return Diagnosis(
      .staleHeadLogits,
      "step 0's candidates agree, step \(s)'s root agrees, its head proposals do not: the heads must run on the hidden state of the previous step's last accepted node (stale or wrong-node head logits)"
    )
  }

  private func fromNodes(_ s: Int, _ nodes: [Int]) -> Diagnosis {
    let list =
      nodes.prefix(8).map(String.init).joined(separator: ", ")
      + (nodes.count > 8 ? ", …" : "")
    if s > 0 {
      return Diagnosis(
        .staleKV,
        "step 0 is right, step \(s)'s tree pass is wrong at nodes \(list): the KV cache after compaction does not hold the accepted path's rows in path order (or the position counter did not advance by the accepted length)"
      )
    }
    if nodes.contains(0) {
      return Diagnosis(
        .positionIDs,
        "the root node's logits are wrong in the first tree pass, whose cache is the prompt's: position ids (node n must sit at cache length + depth(n))"
      )
    }
    if let shape, Set(nodes).isSubset(of: shape.maskSensitive) {
      return Diagnosis(
        .treeMask,
        "in the first tree pass only nodes that follow a non-ancestor node are wrong (nodes \(list)): missing or wrong tree attention mask (or position ids numbered by node index instead of depth)"
      )
    }
    return Diagnosis(
      .positionIDs,
      "in the first tree pass nodes \(list) are wrong, some of which a missing mask cannot explain: position ids (cache length + depth)"
    )
  }

  private func fromAcceptance(_ s: Int, _ want: ReferenceStep, _ got: ReferenceStep) -> Diagnosis {
    let isLast = s == (candidate.steps?.count ?? 0) - 1
    if !isLast, got.tokens.count != got.acceptLength + 1 {
      return Diagnosis(
        .acceptOffByOne,
        "step \(s) appended \(got.tokens.count) tokens with accept_length \(got.acceptLength): the appended tokens must be the chosen row's first accept_length + 1"
      )
    }
    if got.acceptLength == want.acceptLength + 1,
      Array(got.tokens.prefix(want.tokens.count)) == want.tokens
    {
      return Diagnosis(
        .acceptOffByOne,
        "step \(s) accepts one token more than the reference and agrees up to the reference's last: an unverified token is appended (accept length or retrieve indices off by one)"
      )
    }
    if want.nodeTop1 != nil, got.nodeTop1 != nil {
      return Diagnosis(
        .verification,
        "step \(s): node logits agree (node_top1) but \(got.acceptLength == want.acceptLength ? "best_candidate" : "accept_length") differs: posterior evaluation (greedy: the first row with the longest accepted prefix; pads never accepted)"
      )
    }
    return s == 0
      ? Diagnosis(
        .treePass,
        "step 0 accepts differently (accept_length \(got.acceptLength) vs \(want.acceptLength)): the first tree pass's logits are wrong: tree mask or position ids"
      )
      : Diagnosis(
        .staleKV,
        "step 0 is right, step \(s) accepts differently: stale KV after compaction (or the position counter)"
      )
  }
}
