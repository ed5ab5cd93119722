/// A verdict reached by sampling, with the tokens drawn so that a trace can be replayed.
public struct SampledVerdict: Equatable, Sendable {
  /// The chosen row and its accept length.
  public var verdict: Verdict
  /// `samples[r][j]`: the token drawn from the distribution at row `r`, column `j`, against
  /// which the candidate at column `j + 1` was compared (`maxDepth` columns per row).
  public var samples: [[Int]]

  /// A sampled verdict with its draws.
  public init(verdict: Verdict, samples: [[Int]]) {
    self.verdict = verdict
    self.samples = samples
  }
}

extension Posterior {
  /// Typical *sampling* verification, the original's non-fast typical path
  /// (`get_typical_posterior_mask`): at every row and column a token is drawn from the typical
  /// distribution (``Sampling/typicalWeights(logits:acceptance:)``) of that column's logits,
  /// and the candidate at `j + 1` is accepted when it equals the draw. The first row with the
  /// longest run wins (no likelihood tie-break), row 0 with length 0 when nothing is accepted.
  ///
  /// Biased, as in the original: each row draws independently even where rows share a tree
  /// node, and the longest of many independent runs is kept, so the accepted tokens are not
  /// distributed as samples of the (truncated) model distribution. In the original snapshot this
  /// path is also unreachable: `evaluate_posterior` passes a sixth argument (`fast`) to the
  /// five-parameter `get_typical_posterior_mask` and raises `TypeError`; this implements the
  /// rule that function evidently intends.
  ///
  /// Draw order (for replay): rows in order, within a row columns `0..<maxDepth`, one draw per
  /// position even after a rejection and at pad positions (which are never accepted).
  public static func typicalSampling<G: RandomNumberGenerator>(
    pathLogits: [[[Float]]], candidates: Candidates, acceptance: TypicalAcceptance,
    using rng: inout G
  ) throws(PosteriorError) -> SampledVerdict {
    try acceptance.validate()
    try checkShapes(pathLogits, candidates)
    return sampledVerdict(pathLogits: pathLogits, candidates: candidates, using: &rng) {
      Sampling.typicalWeights(logits: $0, acceptance: acceptance)
    }
  }

  /// Nucleus (top-p) sampling verification, the original `get_nucleus_posterior_mask`: like
  /// ``typicalSampling(pathLogits:candidates:acceptance:using:)`` with the nucleus
  /// distribution (``Sampling/nucleusWeights(logits:temperature:topP:)``), equally biased.
  /// `topP` must be in (0, 1]; the original asserts `top_p < 1 + 1e-6`.
  public static func nucleusSampling<G: RandomNumberGenerator>(
    pathLogits: [[[Float]]], candidates: Candidates, temperature: Double, topP: Double,
    using rng: inout G
  ) throws(PosteriorError) -> SampledVerdict {
    guard temperature.isFinite, temperature > 0 else {
      throw .invalidParameter(name: "temperature", value: temperature)
    }
    guard topP > 0, topP < 1 + 1e-6 else { throw .invalidParameter(name: "topP", value: topP) }
    try checkShapes(pathLogits, candidates)
    return sampledVerdict(pathLogits: pathLogits, candidates: candidates, using: &rng) {
      Sampling.nucleusWeights(logits: $0, temperature: temperature, topP: topP)
    }
  }

  /// Draws one token per row and column from `distribution`, accepts candidates equal to the
  /// draw (never a pad), and keeps the first longest row.
  static func sampledVerdict<G: RandomNumberGenerator>(
    pathLogits: [[[Float]]], candidates: Candidates, using rng: inout G,
    distribution: ([Float]) -> [Double]
  ) -> SampledVerdict {
    var samples: [[Int]] = []
    var lengths: [Int] = []
    for (row, logits) in pathLogits.enumerated() {
      let tokens = candidates.candidates[row]
      let drawn = (0..<max(tokens.count - 1, 0)).map { column in
        Sampling.draw(weights: distribution(logits[column]), using: &rng)
      }
      let accepted = drawn.indices.map { column in
        !candidates.isPad[row][column + 1] && tokens[column + 1] == drawn[column]
      }
      samples.append(drawn)
      lengths.append(leadingRun(accepted))
    }
    return SampledVerdict(verdict: firstLongest(lengths), samples: samples)
  }
}
