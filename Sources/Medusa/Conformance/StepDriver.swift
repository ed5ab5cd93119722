import Llama
import MedusaKernels

/// Runs a ``MedusaDecoder`` step by step exactly as ``MedusaDecoder/generate`` does, handing
/// every step's outcome (with every tree node's logits) to an observer. The conformance
/// emitter and ``MedusaSelfCheck`` need what `generate` does not keep.
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
    // `generate` with no new tokens prefills and computes the first head logits.
    _ = try decoder.generate(
      prompt: prompt, stop: StopRule(maxNewTokens: 0, stopTokens: []), verification: verification)
    var output: [Int] = []
    guard stop.maxNewTokens > 0 else { return output }
    var baseLogits = Array(decoder.state.logits(0))
    var index = 0
    while true {
      let committed = decoder.state.cache.length
      let headGaps = decoder.headLogits.map {
        NearTie.relativeGaps(
          UnsafeBufferPointer(start: $0.base, count: $0.count), ranks: MedusaChoices.topK + 1)
      }
      let headTopK = decoder.headLogits.map {
        Kernels.topK($0.base, count: $0.count, k: MedusaChoices.topK)
      }
      let outcome = try decoder.step(
        baseLogits: baseLogits, verification: verification, recordLogits: true)
      let before = output.count
      let done = stop.append(outcome.record.tokens, to: &output)
      try observe(
        Observation(
          index: index, committed: committed, outcome: outcome,
          appended: Array(output[before...]), headGaps: headGaps, headTopK: headTopK))
      if done { break }
      baseLogits = outcome.nextBaseLogits
      index += 1
    }
    return output
  }
}
