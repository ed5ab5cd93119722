import Foundation
import Llama

/// The sampling half of ``DecoderBenchmark``: at each temperature, autoregressive sampling,
/// lossless Medusa sampling and Medusa typical acceptance on the same prompts, interleaved (for
/// each repeat and prompt: AR, then each tree's lossless and typical runs), with tokens per
/// step, tokens/s, the paired speedup over AR sampling at the same temperature, and how far each
/// decoder's output distribution is from autoregressive sampling's:
///
/// - NLL per token: the mean of `-log p_T(x)` over the output tokens, `p_T` the model's tempered
///   distribution at that position. For AR sampling it estimates the entropy; lossless
///   sampling has the same distribution, so the same expectation (within sampling noise).
/// - KL per token: the divergence of the decoder's output distribution from AR sampling's, per
///   token. Lossless: 0, exactly (Docs/MEDUSA.md §7). Typical acceptance (the original's fast
///   path) is deterministic — the root is the argmax, acceptance a threshold — so its output is
///   one sequence `s` with probability 1 and `KL = -log P_AR(s)`: its NLL, exactly.
/// - TV of the first 2 tokens: total variation distance of the first two output tokens' joint
///   distribution from AR sampling's. Typical: `1 - P_AR(x1, x2)`, exact; lossless: 0.
extension DecoderBenchmark {
  /// The temperatures `medusa bench` samples at.
  package static let samplingTemperatures = [0.7, 1.0]

  /// One decoder's sampled measurement at one temperature.
  package struct SamplingRow {
    /// The sampling temperature.
    package var temperature: Double
    /// `"autoregressive"`, `"medusa lossless"` or `"medusa typical"`.
    package var decoder: String
    /// The tree's name; `"-"` for AR.
    package var tree: String
    /// Tree nodes, the root included (1 for AR).
    package var nodes: Int
    /// Median output tokens per decoding step (1 for AR).
    package var tokensPerStep: Double
    /// Median output tokens per second of decoding.
    package var tokensPerSecond: Double
    /// Median of the paired ratios of tokens/s to the AR run just before.
    package var speedup: Double
    /// Mean `-log p_T` per output token.
    package var nllPerToken: Double
    /// Standard error of ``nllPerToken`` over runs.
    package var nllError: Double
    /// KL divergence per token from AR sampling; nil: the reference (AR sampling).
    package var klPerToken: Double?
    /// Total variation of the first two tokens from AR sampling; nil: the reference.
    package var firstTwoTotalVariation: Double?
  }

  /// The trees sampled by default: `shipped` (the heads' own tree) if any and a 4-node tree
  /// (small trees suit CPUs).
  package static func samplingTrees(shipped: MedusaChoices?, headCount: Int) throws(TreeError)
    -> [(String, MedusaChoices)]
  {
    var trees: [(String, MedusaChoices)] = []
    if let shipped { trees.append(("default", shipped)) }
    let small = [[0], [1], [0, 0]].filter { $0.count <= headCount }
    trees.append(("small-4", try MedusaChoices(paths: small, headCount: headCount)))
    return trees
  }

  /// Runs every temperature, prompt and repeat; seeds are `1000 * repeat + prompt index`. Rows:
  /// per temperature, AR sampling, then each tree's lossless and typical rows.
  package func sampling(temperatures: [Double] = samplingTemperatures) throws -> [SamplingRow] {
    let stop = StopRule(maxNewTokens: newTokens, stopTokens: [])
    let (ar, decoders) = try decoders()
    var rows: [SamplingRow] = []
    for temperature in temperatures {
      let processor = LogitsProcessor(temperature: temperature)
      let modes: [(String, (UInt64) -> Verification)] = [
        ("lossless", { .lossless(processor, seed: $0) }),
        ("typical", { _ in .typical(TypicalAcceptance(temperature: temperature)) }),
      ]
      var reference = Tally()
      var tallies = [Tally](repeating: Tally(), count: trees.count * modes.count)
      for repeatIndex in 0..<repeats {
        for (promptIndex, prompt) in prompts.enumerated() {
          let seed = UInt64(1000 * repeatIndex + promptIndex)
          let base = try ar.generate(
            prompt: prompt, stop: stop, sampling: processor, seed: seed, recordLogits: true)
          let baseRate = base.outputTokensPerSecond
          reference.add(base, processor: processor, baseRate: baseRate, tokensPerStep: 1)
          for (treeIndex, decoder) in decoders.enumerated() {
            for (modeIndex, mode) in modes.enumerated() {
              let result = try decoder.generate(
                prompt: prompt, stop: stop, verification: mode.1(seed), recordLogits: true)
              tallies[treeIndex * modes.count + modeIndex].add(
                result, processor: processor, baseRate: baseRate)
            }
          }
        }
      }
      rows.append(reference.row(temperature, "autoregressive", "-", nodes: 1, kl: nil))
      for (treeIndex, (name, choices)) in trees.enumerated() {
        for (modeIndex, mode) in modes.enumerated() {
          let tally = tallies[treeIndex * modes.count + modeIndex]
          let typical = mode.0 == "typical"
          rows.append(
            tally.row(
              temperature, "medusa " + mode.0, name, nodes: choices.paths.count + 1,
              kl: typical ? tally.nll : 0, tv: typical ? tally.firstTwoMiss : 0))
        }
      }
    }
    return rows
  }

  /// Per-decoder accumulators.
  struct Tally {
    var perStep: [Double] = []
    var rates: [Double] = []
    var ratios: [Double] = []
    var surprisal = 0.0
    var tokens = 0
    var runNLL: [Double] = []
    var misses: [Double] = []

    /// Mean `-log p_T` per output token.
    var nll: Double { tokens > 0 ? surprisal / Double(tokens) : 0 }
    /// Standard error of ``nll``: the spread of the runs' own means over the square root of
    /// their number (tokens of one run are not independent).
    var nllError: Double {
      guard runNLL.count > 1 else { return 0 }
      let mean = runNLL.reduce(0, +) / Double(runNLL.count)
      let variance =
        runNLL.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(runNLL.count - 1)
      return (variance / Double(runNLL.count)).squareRoot()
    }
    /// Mean over runs of `1 - p_T(x1) p_T(x2 | x1)`.
    var firstTwoMiss: Double { misses.isEmpty ? 0 : misses.reduce(0, +) / Double(misses.count) }

    /// Adds one run; `tokensPerStep` overrides the Medusa count (AR: one token per forward).
    mutating func add(
      _ result: GenerationResult, processor: LogitsProcessor, baseRate: Double,
      tokensPerStep: Double? = nil
    ) {
      let rate = result.outputTokensPerSecond
      rates.append(rate)
      ratios.append(baseRate > 0 ? rate / baseRate : 0)
      perStep.append(tokensPerStep ?? DecoderBenchmark.tokensPerStep(result))
      var firstTwo = 1.0
      let before = surprisal
      for (index, (token, logits)) in zip(result.outputIDs, result.outputLogits).enumerated() {
        let weights = processor.weights(logits)
        let p = weights[token] / weights.reduce(0, +)
        surprisal -= Foundation.log(p)
        tokens += 1
        if index < 2 { firstTwo *= p }
      }
      misses.append(1 - firstTwo)
      if !result.outputIDs.isEmpty {
        runNLL.append(
          (surprisal - before) / Double(min(result.outputIDs.count, result.outputLogits.count)))
      }
    }

    /// The row of this tally.
    func row(
      _ temperature: Double, _ decoder: String, _ tree: String, nodes: Int, kl: Double?,
      tv: Double? = nil
    ) -> SamplingRow {
      SamplingRow(
        temperature: temperature, decoder: decoder, tree: tree, nodes: nodes,
        tokensPerStep: Statistics.median(perStep), tokensPerSecond: Statistics.median(rates),
        speedup: Statistics.median(ratios), nllPerToken: nll, nllError: nllError, klPerToken: kl,
        firstTwoTotalVariation: tv)
    }
  }
}
