import Foundation

/// The two hyperparameters of typical acceptance (paper §2.3.1): a candidate token `x` is
/// accepted when `p(x) > min(posteriorThreshold, posteriorAlpha * exp(-H(p)))`.
///
/// Defaults are those of the original `MedusaModel.medusa_generate` (threshold ε = 0.09,
/// alpha δ = 0.3, "recommended to be sqrt(posterior_threshold)"). The original's `utils.py`
/// has them swapped in the defaults of `generate_candidates` and `evaluate_posterior`
/// (`posterior_threshold=0.3, posterior_alpha=0.09`); `get_typical_one_token` and
/// `get_typical_posterior_mask` take both without defaults. `medusa_generate` always passes its
/// own values, so the swapped defaults only bite a caller of `utils.py` that omits them.
public struct TypicalAcceptance: Equatable, Sendable {
  /// Softmax temperature applied to the logits before the test; must be > 0.
  public var temperature: Double
  /// ε: the hard cap on the threshold.
  public var posteriorThreshold: Double
  /// δ: scale of the entropy-dependent threshold `δ * exp(-H)`.
  public var posteriorAlpha: Double

  /// Typical acceptance at `temperature` with the original's generation defaults.
  public init(temperature: Double, posteriorThreshold: Double = 0.09, posteriorAlpha: Double = 0.3)
  {
    self.temperature = temperature
    self.posteriorThreshold = posteriorThreshold
    self.posteriorAlpha = posteriorAlpha
  }

  /// Throws unless temperature is finite and > 0 and the threshold parameters are finite.
  func validate() throws(PosteriorError) {
    guard temperature.isFinite, temperature > 0 else {
      throw .invalidParameter(name: "temperature", value: temperature)
    }
    guard posteriorThreshold.isFinite else {
      throw .invalidParameter(name: "posteriorThreshold", value: posteriorThreshold)
    }
    guard posteriorAlpha.isFinite else {
      throw .invalidParameter(name: "posteriorAlpha", value: posteriorAlpha)
    }
  }

  /// `softmax(logits / temperature)` in Double: `exp(x - max x) / Σ exp(x - max x)`.
  package func probabilities(_ logits: [Float]) -> [Double] {
    let scaled = logits.map { Double($0) / temperature }
    let top = scaled.max() ?? 0
    let weights = scaled.map { Foundation.exp($0 - top) }
    let total = weights.reduce(0, +)
    return weights.map { $0 / total }
  }

  /// The acceptance threshold `min(ε, δ * exp(-H))` for probabilities `p`, with the original's
  /// entropy `H = -Σ p log(p + 1e-5)` (the 1e-5 keeps `log` finite at p = 0).
  package func threshold(_ p: [Double]) -> Double {
    let entropy = -p.reduce(0) { $0 + $1 * Foundation.log($1 + 1e-5) }
    return min(posteriorThreshold, posteriorAlpha * Foundation.exp(-entropy))
  }
}

extension Posterior {
  /// Typical acceptance, the original `evaluate_posterior` with `sampling='typical'` and
  /// `fast=True` (paper §2.3.1). At each column `j` the head token at `j + 1` is accepted when
  /// `p(x) > min(ε, δ exp(-H))` with `p = softmax(logits[j] / T)`; a row's accept length is its
  /// run of leading acceptances. The longest run wins; among rows of equal length the one with
  /// the larger `Σ log p(x)` over its accepted tokens wins, then the first such row. When
  /// nothing is accepted the verdict is row 0, length 0. Deterministic: nothing is sampled.
  ///
  /// Deviation from the original: a pad position (``Candidates/isPad``) is never accepted (the
  /// original tests the pad token 0 against the last node's distribution), and a candidate id
  /// outside the vocabulary counts as probability 0 instead of failing the gather.
  public static func typical(
    pathLogits: [[[Float]]], candidates: Candidates, acceptance: TypicalAcceptance
  ) throws(PosteriorError) -> Verdict {
    try acceptance.validate()
    try checkShapes(pathLogits, candidates)
    var lengths: [Int] = []
    var tokenLogProbabilities: [[Double]] = []
    for (row, logits) in pathLogits.enumerated() {
      let tokens = candidates.candidates[row]
      var accepted: [Bool] = []
      var logProbabilities: [Double] = []
      for column in 0..<max(tokens.count - 1, 0) {
        let token = tokens[column + 1]
        let p = acceptance.probabilities(logits[column])
        let probability = p.indices.contains(token) ? p[token] : 0
        let isPad = candidates.isPad[row][column + 1]
        accepted.append(!isPad && probability > acceptance.threshold(p))
        logProbabilities.append(Foundation.log(probability))
        if accepted.last == false { break }
      }
      lengths.append(leadingRun(accepted))
      tokenLogProbabilities.append(logProbabilities)
    }
    let longest = lengths.max() ?? 0
    guard longest > 0 else { return Verdict(bestCandidate: 0, acceptLength: 0) }
    var best = Verdict(bestCandidate: 0, acceptLength: 0)
    var bestLikelihood = -Double.infinity
    for (row, length) in lengths.enumerated() where length == longest {
      let likelihood = tokenLogProbabilities[row].prefix(longest).reduce(0, +)
      if best.acceptLength == 0 || likelihood > bestLikelihood {
        best = Verdict(bestCandidate: row, acceptLength: longest)
        bestLikelihood = likelihood
      }
    }
    return best
  }
}
