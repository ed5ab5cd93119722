/// What a decoder produced for one prompt, with timings.
public struct GenerationResult: Sendable {
  /// The new tokens (prompt excluded), within the stop rule.
  public var outputIDs: [Int] = []
  /// For each output token, the logits it was chosen from (only when requested).
  public var outputLogits: [[Float]] = []
  /// Seconds spent in the prompt's forward passes.
  public var prefillSeconds: Double = 0
  /// Seconds spent generating after the prompt.
  public var decodeSeconds: Double = 0
  /// Forward passes after the prompt (decoding steps).
  public var steps: Int = 0
  /// Per-step record of a Medusa run (empty for autoregressive decoding).
  public var medusaSteps: [MedusaStepRecord] = []

  /// Generated tokens per second after the prompt.
  public var decodeTokensPerSecond: Double {
    decodeSeconds > 0 ? Double(max(outputIDs.count - 1, 0)) / decodeSeconds : 0
  }
}
