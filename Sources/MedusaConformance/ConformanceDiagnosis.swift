import Medusa

/// The rules from evidence to a likely cause (Docs/CONFORMANCE.md, "Signatures"). The earliest
/// evidence wins: a step that differs before the output diverges points at the decoder's
/// structure; a divergence at a near-tie is numeric noise, unless the candidate's logits there
/// are out of tolerance; the step's first differing field and its position in the run name the
/// cause. Under ``Semantics/swiftMedusa`` the original's deviations fail last of all.
extension CaseComparison {
  /// The likely cause of the first difference, or nil when the case passes.
  func diagnose() -> Diagnosis? {
    if let ar = arDivergence, !ar.isNearTie {
      return Diagnosis(
        .backbone,
        "autoregressive output differs at position \(ar.position): the backbone (prefill, KV cache, kernels) disagrees before Medusa is involved; fix level 2 first",
        field: "ar_output_ids")
    }
    // A step count that differs beside an output that runs on (or stops early) is the stop
    // rule, named on the output.
    if let finding = stopRuleFinding, divergence == nil,
      stepDifference == nil || stepDifference?.field == "steps"
    {
      return finding
    }
    let divergenceStep = divergence.map(\.step) ?? Int.max
    if let difference = stepDifference, difference.step < divergenceStep {
      return fromStep(difference)
    }
    if let divergence {
      if divergence.isNearTie {
        if let position = logitsViolation, position <= divergence.position {
          return logitsMisalignment ?? logitsTolerance(position, atNearTie: true)
        }
        return nearTie(divergence)
      }
      if let difference = stepDifference { return fromStep(difference) }
      return fromIDs(divergence)
    }
    if let difference = stepDifference { return fromStep(difference) }
    if let misaligned = logitsMisalignment { return misaligned }
    if let position = selfInconsistency {
      return Diagnosis(
        .verification,
        "at position \(position) the emitted token is not the argmax of the candidate's own logits: verification or the ties-to-lowest-id rule",
        field: "logits")
    }
    if let position = logitsViolation { return logitsTolerance(position, atNearTie: false) }
    if let step = stepsNearTie {
      return Diagnosis(
        .nearTie,
        "output ids agree; step \(step) differs only where the reference has a near-tie (a head's top-11 gap, a tree node's top-2 margin or a typical acceptance within the bound): floating-point noise, not evidence of a bug"
      )
    }
    if options.deviationsFail, let first = deviations.first {
      return Diagnosis(
        first.deviation.cause,
        "[\(first.deviation.rawValue)] \(first.detail): the original's deviation (\(first.deviation.summary)) is a failure for a backend held to swift-medusa semantics",
        field: first.field)
    }
    return nil
  }

  /// The stop-rule violation of the output ids, mentioning the autoregressive ids' too; or the
  /// autoregressive ids' alone.
  private var stopRuleFinding: Diagnosis? {
    guard let finding = stopFinding else { return arStopFinding }
    guard let ar = arStopFinding else { return finding }
    return Diagnosis(
      .stopRule, "\(finding.explanation); and \(ar.explanation)", field: finding.field)
  }

  private func logitsTolerance(_ position: Int, atNearTie: Bool) -> Diagnosis {
    if var finding = topLogitsFinding {
      finding.explanation =
        (atNearTie ? "the output diverges at a near-tie, but " : "ids agree, but ")
        + finding.explanation
      return finding
    }
    return Diagnosis(
      .logitsTolerance,
      atNearTie
        ? "the output diverges at a near-tie, but the candidate's logits at position \(position) (at or before it) are beyond tolerance: not noise within the tolerance claimed; numerics (dtype, accumulation order, fused kernels) or a small real error"
        : "ids agree but the logits at position \(position) are beyond tolerance: numerics (dtype, accumulation order, fused kernels) or a small real error",
      field: "logits")
  }

  private func nearTie(_ divergence: IDDivergence) -> Diagnosis {
    if let gap = divergence.decisionGap, let bound = divergence.decisionGapBound {
      return Diagnosis(
        .nearTie,
        "inside a typical chunk, where the step's acceptance was decided within the near-tie bound (decision gap \(gap) ≤ \(bound)): floating-point noise, not evidence of a bug; the rest of the case follows a different context and is not compared"
      )
    }
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
    if divergence.step == 0 && divergence.offset == 0 {
      return Diagnosis(
        .backbone, "the very first token differs: the prefill's last logits (level 2)",
        field: "output_ids")
    }
    if divergence.step == 0 {
      return Diagnosis(
        .treePass,
        "the first tree pass accepts a wrong token (output ids only): tree attention mask or position ids; report steps with node_top1 for a sharper diagnosis",
        field: "output_ids")
    }
    return Diagnosis(
      .staleKV,
      "the first step is right and a later one wrong (output ids only): likely the KV cache after compaction (accepted nodes' rows, in path order) or the position counter; report steps with node_top1 for a sharper diagnosis",
      field: "output_ids")
  }
}
