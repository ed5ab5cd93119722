/// How a Medusa step decides which candidate tokens to accept (paper §2.3).
public enum Verification: Sendable, Equatable {
  /// Exact match with the base model's argmax: lossless, output identical to greedy
  /// autoregressive decoding.
  case greedy
  /// Typical acceptance, the original's deterministic `fast` path (§2.3.1): accept while
  /// `p(x) > min(ε, δ exp(-H))` at a temperature; the root token stays the argmax.
  case typical(TypicalAcceptance)
}
