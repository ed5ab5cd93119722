import Llama
import Medusa
import MedusaKernels

/// Self-distillation data (paper §2.3.2): the backbone continues each prompt itself, so the
/// heads learn the distribution they will be verified against.
///
/// - temperature 0: greedy decoding (``AutoregressiveDecoder``, ties to the lowest id), what
///   greedy Medusa decoding will see;
/// - temperature T > 0: plain ancestral sampling from `softmax(logits / T)`, each token one
///   ``Sampling/draw(weights:using:)`` (one ``SplitMix64`` output, inverse CDF over ids in
///   ascending order) from ``SplitMix64`` seeded with `seed &+ promptIndex`, so every prompt's
///   continuation is reproducible on its own (a resumed run draws exactly what an uninterrupted
///   one would have).
public struct Distiller {
  /// The greedy decoder (its state is reused for sampling too).
  public let decoder: AutoregressiveDecoder
  /// Sampling temperature (0: greedy).
  public let temperature: Double
  /// Base seed of the sampling generators.
  public let seed: UInt64

  /// A distiller over `model` whose prompts plus continuations fit `capacity` positions.
  public init(
    model: LlamaModel, capacity: Int, temperature: Double, seed: UInt64, parallelism: Parallelism
  ) throws(TrainingError) {
    do {
      decoder = try AutoregressiveDecoder(
        model: model, capacity: capacity, parallelism: parallelism)
    } catch {
      throw .backbone("\(error)")
    }
    self.temperature = temperature
    self.seed = seed
  }

  /// The continuation of prompt number `index` (0-based, the line in the prompts file).
  public func continuation(prompt: [Int], index: Int, stop: StopRule) throws(TrainingError)
    -> [Int]
  {
    do {
      guard temperature > 0 else {
        return try decoder.generate(prompt: prompt, stop: stop).outputIDs
      }
      let model = decoder.model
      let state = decoder.state
      let needed = AutoregressiveDecoder.capacity(
        promptLength: prompt.count, maxNewTokens: stop.maxNewTokens)
      guard needed <= state.cache.capacity else {
        throw TrainingError.invalidOption(
          "prompt \(index): \(needed) positions exceed the capacity \(state.cache.capacity)")
      }
      var generator = SplitMix64(seed: seed &+ UInt64(index))
      var output: [Int] = []
      guard stop.maxNewTokens > 0 else { return output }
      try state.cache.truncate(to: 0)
      try Prefill.run(model: model, state: state, prompt: prompt)
      var position = prompt.count
      while true {
        let weights = Sampling.nucleusWeights(
          logits: Array(state.logits(0)), temperature: temperature, topP: 1)
        let token = Sampling.draw(weights: weights, using: &generator)
        if stop.append([token], to: &output) { return output }
        try model.forward(
          tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: state)
        try state.cache.commit(1)
        position += 1
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .backbone("\(error)")
    }
  }
}
