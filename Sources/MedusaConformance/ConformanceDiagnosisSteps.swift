import Medusa

/// The diagnosis from the first differing step field (Docs/CONFORMANCE.md, "Signatures").
extension CaseComparison {
  /// The cause a step difference points at.
  func fromStep(_ difference: StepDifference) -> Diagnosis {
    let s = difference.step
    guard let steps, s < steps.count, s < reference.steps.count else {
      let more = (steps?.count ?? 0) > reference.steps.count
      return Diagnosis(
        .stopRule,
        more
          ? "steps: \(difference.detail): the candidate steps on after the reference's last step (it stopped at \(referenceStoppedAtEOS ? "the EOS" : "max_new_tokens")), every common step equal: stop at the first stop token, even inside an accepted chunk, and never exceed max_new_tokens"
          : "steps: \(difference.detail) with every common step equal: the candidate stops before the reference does",
        field: "steps")
    }
    let want = reference.steps[s]
    let got = steps[s]
    switch difference.field {
    case "head_topk": return fromHeadTopK(s, difference, want, got)
    case "tree_candidates": return fromCandidates(s, want, got)
    case "candidates":
      return Diagnosis(
        .retrieveIndices,
        "step \(s): same tree tokens, different candidate rows: retrieve indices (one row per leaf, leaves in reverse node order, pads read token 0)",
        field: "candidates")
    case "node_top1": return fromNodes(s, difference.wrongNodes)
    case "tokens": return fromTokens(s, want, got)
    default: return fromAcceptance(s, difference.field, want, got)
    }
  }

  private func fromHeadTopK(
    _ s: Int, _ difference: StepDifference, _ want: ReferenceStep, _ got: CandidateStep
  ) -> Diagnosis {
    let wantTop = want.headTopK ?? []
    let gotTop = got.headTopK ?? []
    let permuted = zip(wantTop, gotTop).allSatisfy { Set($0) == Set($1) && $1.count == $0.count }
    if permuted {
      return Diagnosis(
        .candidateOrder,
        "step \(s): every head proposes the reference's top-10 tokens, in another order (\(difference.detail)): top-k must be in descending logit order, ties to the lowest id",
        field: "head_topk")
    }
    return headProposals(s, field: "head_topk")
  }

  private func headProposals(_ s: Int, field: String) -> Diagnosis {
    if s == 0 {
      return Diagnosis(
        .headLogits,
        "step 0's root agrees but the heads propose other tokens: head weights, or the heads run on a hidden state other than the last prompt token's (after the final norm)",
        field: field)
    }
    return Diagnosis(
      .staleHeadLogits,
      "step 0's proposals agree, step \(s)'s root agrees, its head proposals do not: the heads must run on the hidden state of the previous step's last accepted node (stale or wrong-node head logits)",
      field: field)
  }

  private func fromCandidates(_ s: Int, _ want: ReferenceStep, _ got: CandidateStep) -> Diagnosis {
    let tree = got.treeCandidates ?? []
    if want.treeCandidates.count != tree.count {
      return Diagnosis(
        .candidateOrder,
        "step \(s): \(tree.count) tree nodes instead of \(want.treeCandidates.count): a different tree",
        field: "tree_candidates")
    }
    if want.treeCandidates.first != tree.first {
      if s == 0 {
        return Diagnosis(
          .backbone, "step 0's root (the prefill's argmax) differs (level 2)",
          field: "tree_candidates")
      }
      if let previous = steps?[s - 1], let top1 = previous.nodeTop1, let shape,
        let last = shape.lastAcceptedNode(
          bestCandidate: previous.bestCandidate ?? reference.steps[s - 1].bestCandidate,
          acceptLength: previous.acceptLength),
        last < top1.count, top1[last] != tree.first
      {
        return Diagnosis(
          .acceptOffByOne,
          "step \(s)'s root is not the argmax of the previous step's last accepted node: the next base logits come from the wrong node (retrieve indices read off by one)",
          field: "tree_candidates")
      }
      return s == 1
        ? Diagnosis(
          .treePass, "step \(s)'s root differs: the first tree pass's logits are wrong",
          field: "tree_candidates")
        : Diagnosis(
          .staleKV, "step \(s)'s root differs after earlier steps agreed: stale KV",
          field: "tree_candidates")
    }
    let sameTokens = want.treeCandidates.sorted() == tree.sorted()
    let rearranged = s == 0 && (shape?.proposalsRearranged(want.headTopK, tree) ?? false)
    if let shape, sameTokens || shape.sameTokensPerDepth(want.treeCandidates, tree) || rearranged {
      var diagnosis = Diagnosis(
        .candidateOrder,
        "step \(s): the tree holds the heads' top-10 tokens, at other slots or nodes: top-k order (descending, ties to the lowest id), tree_indices, or node order (paths sorted by length, then lexicographically)",
        field: "tree_candidates")
      // One slot per depth (a chain): any top-10 token fits, so the evidence is weak.
      diagnosis.isWeak =
        !sameTokens && !shape.sameTokensPerDepth(want.treeCandidates, tree)
        && !shape.usesSeveralSlots
      return diagnosis
    }
    return headProposals(s, field: "tree_candidates")
  }

  private func fromNodes(_ s: Int, _ nodes: [Int]) -> Diagnosis {
    let list =
      nodes.prefix(8).map(String.init).joined(separator: ", ") + (nodes.count > 8 ? ", …" : "")
    if s > 0 {
      return Diagnosis(
        .staleKV,
        "step 0 is right, step \(s)'s tree pass is wrong at nodes \(list): the KV cache after compaction does not hold the accepted path's rows in path order (or the position counter did not advance by the accepted length)",
        field: "node_top1")
    }
    if nodes.contains(0) {
      return Diagnosis(
        .positionIDs,
        "the root node's logits are wrong in the first tree pass, whose cache is the prompt's: position ids (node n must sit at cache length + depth(n))",
        field: "node_top1")
    }
    if let shape, Set(nodes).isSubset(of: shape.maskSensitive) {
      return Diagnosis(
        .treeMask,
        "in the first tree pass only nodes that follow a non-ancestor node are wrong (nodes \(list)): missing or wrong tree attention mask (or position ids numbered by node index instead of depth)",
        field: "node_top1")
    }
    return Diagnosis(
      .positionIDs,
      "in the first tree pass nodes \(list) are wrong, some of which a missing mask cannot explain: position ids (cache length + depth)",
      field: "node_top1")
  }

  /// Tree, candidate rows, chosen row and accept length agree; only the appended tokens differ.
  private func fromTokens(_ s: Int, _ want: ReferenceStep, _ got: CandidateStep) -> Diagnosis {
    if s == reference.steps.count - 1 {
      return Diagnosis(
        .stopRule,
        "tokens: step \(s) (the reference's last) agrees in tree, row and accept length but appends \(got.tokens) where the stop rule keeps \(want.tokens): stop at the first stop token (kept, even inside an accepted chunk) and never exceed max_new_tokens",
        field: "tokens")
    }
    if got.tokens.count != got.acceptLength + 1 {
      return Diagnosis(
        .acceptOffByOne,
        "step \(s) appended \(got.tokens.count) tokens with accept_length \(got.acceptLength): the appended tokens must be the chosen row's first accept_length + 1",
        field: "tokens")
    }
    return Diagnosis(
      .retrieveIndices,
      "step \(s): same tree, row and accept length, other tokens appended (\(got.tokens) instead of \(want.tokens)): the tokens must be read from the chosen candidate row",
      field: "tokens")
  }

  private func fromAcceptance(
    _ s: Int, _ field: String, _ want: ReferenceStep, _ got: CandidateStep
  ) -> Diagnosis {
    let isLast = s == (steps?.count ?? 0) - 1
    if !isLast, got.tokens.count != got.acceptLength + 1 {
      return Diagnosis(
        .acceptOffByOne,
        "step \(s) appended \(got.tokens.count) tokens with accept_length \(got.acceptLength): the appended tokens must be the chosen row's first accept_length + 1",
        field: "tokens")
    }
    if got.acceptLength == want.acceptLength + 1,
      Array(got.tokens.prefix(want.tokens.count)) == want.tokens
    {
      return Diagnosis(
        .acceptOffByOne,
        "step \(s) accepts one token more than the reference and agrees up to the reference's last: an unverified token is appended (accept length or retrieve indices off by one)",
        field: "accept_length")
    }
    if field == "best_candidate", got.acceptLength == want.acceptLength, got.tokens == want.tokens {
      if derivedSteps.contains(s) {
        return Diagnosis(
          .retrieveIndices,
          "step \(s): best_candidate \(got.bestCandidate ?? -1) instead of \(want.bestCandidate) with the same accepted tokens: the rows are numbered differently (one row per leaf, leaves in reverse node order); report candidates to confirm",
          field: "best_candidate")
      }
      return Diagnosis(
        .verification,
        "step \(s): same rows and tokens, best_candidate \(got.bestCandidate ?? -1) instead of \(want.bestCandidate): the first row with the longest accepted prefix wins\(isGreedy ? "" : " (typical: the largest likelihood, then the first)")",
        field: "best_candidate")
    }
    if want.nodeTop1 != nil, got.nodeTop1 != nil {
      return Diagnosis(
        .verification,
        "step \(s): node logits agree (node_top1) but \(field) differs: posterior evaluation (\(isGreedy ? "greedy: the first row with the longest accepted prefix" : "typical: p > min(ε, δ·exp(−H)), longest prefix, then likelihood")); pads never accepted",
        field: field)
    }
    return s == 0
      ? Diagnosis(
        .treePass,
        "step 0 accepts differently (accept_length \(got.acceptLength) vs \(want.acceptLength)): the first tree pass's logits are wrong: tree mask or position ids",
        field: field)
      : Diagnosis(
        .staleKV,
        "step 0 is right, step \(s) accepts differently: stale KV after compaction (or the position counter)",
        field: field)
  }
}
