/// When generation ends: after `maxNewTokens` tokens, or at the first stop token (EOS).
///
/// The stop token itself is part of the output (as in Hugging Face `generate`); anything a
/// Medusa step accepted after it is dropped, and the output never exceeds `maxNewTokens`
/// even when a step accepts several tokens at once.
public struct StopRule: Sendable, Equatable {
  /// The most tokens to generate.
  public var maxNewTokens: Int
  /// Token ids that end generation (ignored when empty).
  public var stopTokens: Set<Int>

  /// A rule that stops at `maxNewTokens` or at any of `stopTokens`.
  public init(maxNewTokens: Int, stopTokens: Set<Int>) {
    self.maxNewTokens = maxNewTokens
    self.stopTokens = stopTokens
  }

  /// Appends `chunk` to `output` within the rule; returns true when generation is over.
  public func append(_ chunk: [Int], to output: inout [Int]) -> Bool {
    for token in chunk {
      guard output.count < maxNewTokens else { return true }
      output.append(token)
      if stopTokens.contains(token) { return true }
    }
    return output.count >= maxNewTokens
  }
}
