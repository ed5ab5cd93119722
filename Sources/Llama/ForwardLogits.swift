import MedusaKernels

extension LlamaModel {
  /// Computes, after a forward pass, the logits of its new token `token` from the final hidden
  /// state the pass left in `state` (``InferenceState/hiddenState(_:)``), into row `token` of
  /// ``InferenceState/logits(_:)``: the row a forward whose `logitsFor` lists every token in
  /// order would have filled. Valid until the next forward.
  ///
  /// The LM head is batch-invariant, so the row has the same bits as when the forward computes
  /// it with any other rows: a caller that needs the logits of only some tokens, known one at a
  /// time (Medusa's verification walking a tree, Docs/MEDUSA.md §4), runs the forward with no
  /// `logitsFor` and asks here for each token it reaches. Throws for a token outside the last
  /// pass and, as the forward does, for logits that are not finite.
  public func computeLogits(ofToken token: Int, state: InferenceState) throws(LlamaError) {
    guard (0..<state.tokenCount).contains(token) else {
      throw .invalidForward(
        reason: "logits requested for token \(token) of \(state.tokenCount)")
    }
    let vocabulary = config.vocabularySize
    let row = state.logitRows.base + token * vocabulary
    Kernels.linear(
      state.normed.base + token * config.hiddenSize, tokens: 1,
      weight: weights.languageModelHead, bias: nil, into: row, parallelism: state.parallelism)
    try checkFinite(row, rows: 1, width: vocabulary) { _ throws(LlamaError) in
      throw .nonFinite(layer: nil, position: state.positions[token])
    }
  }
}
