import Foundation

/// The truncated distributions and the categorical draw behind the original's non-fast
/// sampling paths (`get_typical_one_token`, `get_nucleus_one_token`,
/// `get_typical_posterior_mask`, `get_nucleus_posterior_mask`; paper §2.3.1).
///
/// A distribution is a vector of unnormalized `Double` weights, one per token id:
/// `exp(x - max x)` with `x = logit / temperature` for kept tokens and 0 for removed ones, which
/// is the original's "set removed logits to -inf, then softmax".
public enum Sampling {
  /// Typical sampling's distribution (`get_typical_one_token`): tokens with
  /// `p < min(ε, δ exp(-H))` are removed (so `p == threshold` is kept), the rest renormalized.
  /// The most likely token is always kept, so the distribution is never empty.
  public static func typicalWeights(logits: [Float], acceptance: TypicalAcceptance) -> [Double] {
    let p = acceptance.probabilities(logits)
    let threshold = acceptance.threshold(p)
    let top = Greedy.argmax(logits)
    let weights = unnormalized(logits, temperature: acceptance.temperature)
    return weights.indices.map { $0 == top || p[$0] >= threshold ? weights[$0] : 0 }
  }

  /// Nucleus (top-p) sampling's distribution (`get_nucleus_one_token`): tokens sorted by
  /// probability, descending, ties to the lowest id; a token is removed when the cumulative
  /// probability of the tokens before it already exceeds `topP`, so the most likely token is
  /// always kept. With `topP >= 1` nothing is removed, as in the original.
  public static func nucleusWeights(logits: [Float], temperature: Double, topP: Double)
    -> [Double]
  {
    let weights = unnormalized(logits, temperature: temperature)
    guard topP < 1 else { return weights }
    let total = weights.reduce(0, +)
    let order = weights.indices.sorted { a, b in
      weights[a] != weights[b] ? weights[a] > weights[b] : a < b
    }
    var kept = [Double](repeating: 0, count: weights.count)
    var cumulative = 0.0
    for token in order {
      if cumulative > topP { break }
      kept[token] = weights[token]
      cumulative += weights[token] / total
    }
    return kept
  }

  /// Draws a token id from unnormalized `weights`: `u = rng.nextUnitDouble()`, then the first
  /// id (ascending) whose running sum of weights exceeds `u * Σ weights`; if rounding leaves
  /// no such id, the last id with a positive weight. Exactly one generator output per draw.
  public static func draw<G: RandomNumberGenerator>(weights: [Double], using rng: inout G) -> Int {
    draw(weights: weights, uniform: rng.nextUnitDouble())
  }

  /// The draw rule of ``draw(weights:using:)`` for a given uniform `u` in [0, 1): the first id
  /// (ascending) whose running sum of weights exceeds `u * Σ weights` (the sum taken in
  /// ascending id order); if rounding leaves no such id, the last id with a positive weight.
  public static func draw(weights: [Double], uniform u: Double) -> Int {
    let target = u * weights.reduce(0, +)
    var running = 0.0
    var last = 0
    for (token, weight) in weights.enumerated() where weight > 0 {
      running += weight
      last = token
      if running > target { return token }
    }
    return last
  }

  /// The base model's next token under typical sampling (`get_typical_one_token`, used by the
  /// original `generate_candidates` when `temperature > 0` and not `fast`).
  public static func typicalToken<G: RandomNumberGenerator>(
    logits: [Float], acceptance: TypicalAcceptance, using rng: inout G
  ) -> Int {
    draw(weights: typicalWeights(logits: logits, acceptance: acceptance), using: &rng)
  }

  /// The base model's next token under nucleus sampling (`get_nucleus_one_token`).
  public static func nucleusToken<G: RandomNumberGenerator>(
    logits: [Float], temperature: Double, topP: Double, using rng: inout G
  ) -> Int {
    draw(
      weights: nucleusWeights(logits: logits, temperature: temperature, topP: topP), using: &rng)
  }

  /// `exp(x - max x)` with `x = logit / temperature`, in Double.
  static func unnormalized(_ logits: [Float], temperature: Double) -> [Double] {
    let scaled = logits.map { Double($0) / temperature }
    let top = scaled.max() ?? 0
    return scaled.map { Foundation.exp($0 - top) }
  }
}
