import Llama
import MedusaKernels

/// Autoregressive decoding: one forward pass per token. Greedy (the default) takes the argmax
/// (ties to the lowest id) as the next token: the reference Medusa greedy decoding must equal,
/// bit for bit. Sampling draws the next token from the processed distribution
/// (``LogitsProcessor``: temperature, top-k, top-p, min-p in transformers' order) with one
/// uniform of ``SplitMix64`` per token: the distribution lossless Medusa sampling must equal.
public final class AutoregressiveDecoder {
  /// The backbone.
  public let model: LlamaModel
  /// Its KV cache and work buffers.
  public let state: InferenceState

  /// The KV-cache positions a generation needs: the prompt and every output token but the
  /// last (which is never run through the model). The one place this sum is written; pass it
  /// as `capacity`.
  public static func capacity(promptLength: Int, maxNewTokens: Int) -> Int {
    promptLength + max(maxNewTokens - 1, 0)
  }

  /// A decoder over `model` with a cache of `capacity` positions
  /// (``capacity(promptLength:maxNewTokens:)``).
  public init(model: LlamaModel, capacity: Int, parallelism: Parallelism = .machine)
    throws(LlamaError)
  {
    self.model = model
    state = try model.makeState(capacity: capacity, maxBatch: 64, parallelism: parallelism)
  }

  /// Generates after `prompt` until `stop` says so: greedily when `sampling` is nil, else by
  /// drawing each token from `sampling`'s weights of its logits with
  /// ``Sampling/draw(weights:using:)`` on ``SplitMix64`` seeded with `seed` (one uniform per
  /// token, in output order; Docs/CONFORMANCE.md). `recordLogits` keeps the logits of every
  /// output token; `onTokens` sees each accepted chunk as it is produced.
  public func generate(
    prompt: [Int], stop: StopRule, sampling: LogitsProcessor? = nil, seed: UInt64 = 0,
    recordLogits: Bool = false, onTokens: ([Int]) -> Void = { _ in }
  ) throws(LlamaError) -> GenerationResult {
    if let sampling {
      do { try sampling.validate() } catch {
        throw .invalidForward(reason: "sampling: \(error.description)")
      }
    }
    var random = SplitMix64(seed: seed)
    var result = GenerationResult()
    let needed = Self.capacity(promptLength: prompt.count, maxNewTokens: stop.maxNewTokens)
    guard needed <= state.cache.capacity else {
      throw .cacheOverflow(needed: needed, capacity: state.cache.capacity)
    }
    let start = Clock.now()
    try state.cache.truncate(to: 0)
    try Prefill.run(model: model, state: state, prompt: prompt)
    result.prefillSeconds = Clock.now() - start
    guard stop.maxNewTokens > 0 else { return result }
    let decodeStart = Clock.now()
    var position = prompt.count
    while true {
      let logits = state.logits(0)
      let token =
        sampling.map { Sampling.draw(weights: $0.weights(logits), using: &random) }
        ?? Greedy.argmax(logits)
      if recordLogits { result.outputLogits.append(Array(logits)) }
      onTokens([token])
      if stop.append([token], to: &result.outputIDs) { break }
      try model.forward(
        tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: state)
      try state.cache.commit(1)
      position += 1
      result.steps += 1
    }
    result.decodeSeconds = Clock.now() - decodeStart
    return result
  }
}
