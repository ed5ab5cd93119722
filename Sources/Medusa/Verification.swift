/// How a Medusa step picks the root token and decides which candidates to accept (paper
/// §2.3).
public enum Verification: Sendable, Equatable {
  /// Exact match with the base model's argmax: lossless, output identical to greedy
  /// autoregressive decoding.
  case greedy
  /// Typical acceptance, the original's deterministic `fast` path (§2.3.1): accept while
  /// `p(x) > min(ε, δ exp(-H))` at a temperature; the root token stays the argmax.
  case typical(TypicalAcceptance)
  /// The original's typical *sampling* path: the root is drawn from the typical distribution
  /// and each candidate is accepted when it equals a draw; biased as in the original (see
  /// ``Posterior/typicalSampling(pathLogits:candidates:acceptance:using:)``). Draws come from
  /// ``SplitMix64`` seeded with `seed`, so a trace can be replayed by another backend.
  case typicalSampling(TypicalAcceptance, seed: UInt64)
  /// The original's nucleus (top-p) sampling path, likewise seeded and likewise biased.
  case nucleus(temperature: Double, topP: Double, seed: UInt64)
  /// Lossless sampling: the root is drawn from the processed distribution (`processor`), the
  /// tree is verified by speculative sampling over deterministic drafts
  /// (``LosslessTreeSampling``), so the output is distributed exactly as autoregressive
  /// sampling with the same processor. Decisions come from ``SplitMix64`` seeded with `seed`.
  case lossless(LogitsProcessor, seed: UInt64)

  /// The seed of a sampling mode.
  var seed: UInt64? {
    switch self {
    case .greedy, .typical: return nil
    case .typicalSampling(_, let seed), .nucleus(_, _, let seed), .lossless(_, let seed):
      return seed
    }
  }
}
