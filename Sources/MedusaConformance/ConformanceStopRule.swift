import Medusa

/// The stop rule, judged on output lengths (Docs/CONFORMANCE.md §3, "Stop rule"): this project
/// stops at the first stop token even inside an accepted chunk and never exceeds
/// `max_new_tokens`; the original keeps its last chunk whole. An output that is the reference's
/// plus exactly the rest of its last chunk is the original's ``Deviation``; anything else longer
/// or shorter is a `stop-rule` bug, named on the field that shows it.
extension CaseComparison {
  /// A candidate output longer than the reference's, every common token equal.
  mutating func judgeLongerOutput() {
    let expected = reference.medusaOutputIDs
    let got = candidate.outputIDs
    guard let last = reference.steps.indices.last else {
      stopFinding = lengthFinding(
        field: "output_ids", expected: expected, gotCount: got.count, what: "the output")
      return
    }
    let original = Array(expected.prefix(stepStarts[last])) + fullChunk(reference.steps[last])
    guard got == original else {
      stopFinding = lengthFinding(
        field: "output_ids", expected: expected, gotCount: got.count, what: "the output")
      return
    }
    let field = steps == nil ? "output_ids" : "tokens"
    let extra = got.count - expected.count
    if referenceStoppedAtEOS {
      deviations.append(
        DeviationNote(
          .eosAfterStep, step: last, field: field,
          detail:
            "the \(extra) token(s) after the EOS at output position \(expected.count - 1) are the rest of step \(last)'s accepted chunk: the original checks for EOS only after a step"
        ))
    }
    if got.count > stop.maxNewTokens {
      deviations.append(
        DeviationNote(
          .chunkOvershoot, step: last, field: field,
          detail:
            "\(got.count) tokens, \(got.count - stop.maxNewTokens) past max_new_tokens \(stop.maxNewTokens): step \(last)'s chunk is kept whole, as the original's step-bounded loop does"
        ))
    }
    idsSuffix = " +\(extra) (the rest of the last chunk)"
  }

  /// The `stop-rule` diagnosis for an output of `gotCount` tokens whose common part equals
  /// `expected`.
  func lengthFinding(field: String, expected: [Int], gotCount: Int, what: String) -> Diagnosis {
    let stopIDs = stop.stopTokenIDs
    if gotCount < expected.count {
      let reason =
        stopIDs.isEmpty
        ? "the reference ignores EOS (stop_token_ids is empty)"
        : "the reference does not stop there (stop at the first of \(stopIDs), at max_new_tokens \(stop.maxNewTokens) otherwise)"
      return Diagnosis(
        .stopRule,
        "\(field): \(what) stops after \(gotCount) of \(expected.count) tokens with every common token equal: \(reason)",
        field: field)
    }
    if let last = expected.last, stopIDs.contains(last), expected.count < gotCount {
      return Diagnosis(
        .stopRule,
        "\(field): \(what) continues \(gotCount - expected.count) token(s) past the EOS \(last) at position \(expected.count - 1), more than the rest of its chunk: generation must stop at the first stop token (kept), even inside an accepted chunk",
        field: field)
    }
    return Diagnosis(
      .stopRule,
      "\(field): \(what) has \(gotCount) tokens, the reference \(expected.count) (max_new_tokens \(stop.maxNewTokens)) with every common token equal: the output never exceeds max_new_tokens (the last chunk is cut)",
      field: field)
  }

  /// With output ids only: the limit of comparison when the first difference follows a step
  /// where the reference records that the original accepts a pad (`original_verdict`) and the
  /// candidate's output holds the original's chunk there.
  mutating func padLimitFromIDs(firstDifference: Int) -> Int? {
    let got = candidate.outputIDs
    for (index, step) in reference.steps.enumerated() {
      let start = stepStarts[index]
      guard start < firstDifference + 1, let original = step.originalVerdict,
        original.bestCandidate >= 0, original.bestCandidate < step.candidates.count
      else { continue }
      let chunk = Array(step.candidates[original.bestCandidate].prefix(original.acceptLength + 1))
      guard start + chunk.count <= got.count, Array(got[start..<(start + chunk.count)]) == chunk
      else { continue }
      let limit = start + agreeing(step.tokens, chunk)
      guard limit <= firstDifference else { continue }
      deviations.append(
        DeviationNote(
          .padAccepted, step: index, field: "output_ids",
          detail:
            "output positions \(start)..<\(start + chunk.count) hold the chunk the original accepts at step \(index) (row \(original.bestCandidate), accept_length \(original.acceptLength), a pad included); what follows comes from a corrupted context"
        ))
      return limit
    }
    return nil
  }
}
