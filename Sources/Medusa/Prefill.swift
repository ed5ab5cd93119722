import Llama

/// The prompt's forward passes, before the first decoding step (paper §2.1: Medusa starts
/// from the base model's logits and last hidden state at the prompt's last token).
///
/// Causal, in chunks of at most the state's batch limit (batch invariance makes the chunking
/// invisible), every chunk's K/V rows committed, the last token's logits left in the state.
/// The autoregressive decoder, ``MedusaDecoder/prefill(prompt:maxNewTokens:verification:)``,
/// distillation and the conformance references all start here.
package enum Prefill {
  /// Runs `prompt` through `model` into `state`'s cache, which the caller has emptied.
  package static func run(model: LlamaModel, state: InferenceState, prompt: [Int])
    throws(LlamaError)
  {
    guard !prompt.isEmpty else { throw .invalidForward(reason: "empty prompt") }
    guard prompt.count <= state.cache.capacity else {
      throw .cacheOverflow(needed: prompt.count, capacity: state.cache.capacity)
    }
    var start = 0
    while start < prompt.count {
      let end = min(start + state.maxBatch, prompt.count)
      let chunk = Array(prompt[start..<end])
      try model.forward(
        tokens: chunk, positions: Array(start..<end), plan: .causal(chunk.count),
        logitsFor: end == prompt.count ? [chunk.count - 1] : [], state: state)
      try state.cache.commit(chunk.count)
      start = end
    }
  }
}
