import Medusa

/// Runs a ``MedusaDecoder``'s one decode loop
/// (``MedusaDecoder/decode(stop:recordLogits:observe:)``) with every logit recorded, handing
/// each step to an observer with what the conformance emitter and ``MedusaSelfCheck`` need
/// beyond `generate`'s result: every tree node's logits and the heads' proposals with their
/// near-tie gaps.
enum StepDriver {
  /// One observed step.
  struct Observation {
    /// 0-based step number.
    var index: Int
    /// Cache length before the step (the root's position).
    var committed: Int
    /// The step.
    var outcome: MedusaDecoder.StepOutcome
    /// The tokens the step appended, after the stop rule.
    var appended: [Int]
    /// The relative top-11 gaps of every head's logits the step's candidates came from.
    var headGaps: [[Float]]
    /// Every head's top-10 token ids (descending, ties to the lowest id): the proposals.
    var headTopK: [[Int]]
  }

  /// Prefills `prompt`, then steps until `stop` ends generation; returns the output ids.
  /// `observe` runs after each step's KV compaction, before the next step.
  static func run(
    decoder: MedusaDecoder, prompt: [Int], stop: StopRule, verification: Verification,
    observe: (Observation) throws(MedusaError) -> Void
  ) throws(MedusaError) -> [Int] {
    try decoder.prefill(
      prompt: prompt, maxNewTokens: stop.maxNewTokens, verification: verification)
    return try decoder.decode(stop: stop, recordLogits: true) { step throws(MedusaError) in
      let headGaps = step.outcome.headLogits.map {
        $0.withUnsafeBufferPointer { NearTie.relativeGaps($0, ranks: MedusaChoices.topK + 1) }
      }
      try observe(
        Observation(
          index: step.index, committed: step.committed, outcome: step.outcome,
          appended: step.appended, headGaps: headGaps, headTopK: step.outcome.headTopK))
    }
  }
}
