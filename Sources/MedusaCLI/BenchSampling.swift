import Foundation
import Llama
import Medusa
import MedusaKernels

/// The sampling part of `medusa bench`: at T = 0.7 and 1.0, autoregressive sampling, lossless
/// Medusa sampling and Medusa typical acceptance on the same prompts, interleaved (for each
/// repeat and prompt: AR, then each tree's lossless and typical runs), with tokens per step,
/// tokens/s, the paired speedup over AR sampling at the same temperature, and how far each
/// decoder's output distribution is from autoregressive sampling's:
///
/// - `NLL/token`: the mean of `-log p_T(x)` over the output tokens, `p_T` the model's tempered
///   distribution at that position. For AR sampling it estimates the entropy; lossless
///   sampling has the same distribution, so the same expectation (within sampling noise).
/// - `KL/token`: the divergence of the decoder's output distribution from AR sampling's, per
///   token. Lossless: 0, exactly (Docs/MEDUSA.md §7). Typical acceptance (the original's fast
///   path) is deterministic — the root is the argmax, acceptance a threshold — so its output is
///   one sequence `s` with probability 1 and `KL = -log P_AR(s)`: its NLL, exactly.
/// - `TV first 2`: total variation distance of the first two output tokens' joint distribution
///   from AR sampling's. Typical: `1 - P_AR(x1, x2)`, exact; lossless: 0.
enum BenchSampling {
  static let temperatures = [0.7, 1.0]

  /// One line of the table.
  struct Row {
    var temperature: Double
    var decoder: String
    var tree: String
    var nodes: Int
    var tokensPerStep: Double
    var tokensPerSecond: Double
    var speedup: Double
    var nllPerToken: Double
    var nllError: Double
    /// nil: the reference (AR sampling).
    var klPerToken: Double?
    var firstTwoTotalVariation: Double?
  }

  /// The heads' shipped tree and a 4-node tree: small trees suit CPUs.
  static func trees(bundle: ModelBundle, headCount: Int) throws -> [(String, MedusaChoices)] {
    var trees: [(String, MedusaChoices)] = []
    if let shipped = bundle.choices { trees.append(("default", shipped)) }
    let small = [[0], [1], [0, 0]].filter { $0.count <= headCount }
    trees.append(("small-4", try MedusaChoices(paths: small, headCount: headCount)))
    return trees
  }

  /// The hook `medusa bench` calls after its greedy table: measures and appends the text lines
  /// and JSON rows (`"decoder"` tells them from the greedy rows).
  static func append(
    to lines: inout [String], json: inout [[String: Any]], bundle: ModelBundle,
    heads: MedusaHeads, prompts: [[Int]], newTokens: Int, repeats: Int
  ) throws {
    let rows = try run(
      bundle: bundle, heads: heads, trees: try trees(bundle: bundle, headCount: heads.headCount),
      prompts: prompts, newTokens: newTokens, repeats: repeats)
    lines += table(rows)
    json += rows.map { row in
      var object: [String: Any] = [
        "decoder": row.decoder, "tree": row.tree, "nodes": row.nodes,
        "sampling_temperature": row.temperature, "tokens_per_step": row.tokensPerStep,
        "tokens_per_second": row.tokensPerSecond, "speedup": row.speedup,
        "nll_per_token": row.nllPerToken, "nll_standard_error": row.nllError,
      ]
      if let kl = row.klPerToken { object["kl_per_token"] = kl }
      if let tv = row.firstTwoTotalVariation { object["first_two_tv"] = tv }
      return object
    }
  }

  /// Runs every temperature, prompt and repeat; seeds are `1000 * repeat + prompt index`.
  static func run(
    bundle: ModelBundle, heads: MedusaHeads, trees: [(String, MedusaChoices)], prompts: [[Int]],
    newTokens: Int, repeats: Int
  ) throws -> [Row] {
    let stop = StopRule(maxNewTokens: newTokens, stopTokens: [])
    let (ar, decoders) = try BenchMedusa.decoders(
      bundle: bundle, heads: heads, trees: trees, prompts: prompts, newTokens: newTokens)
    var rows: [Row] = []
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
          let baseRate = Summary.tokensPerSecond(base)
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
      let rate = Summary.tokensPerSecond(result)
      rates.append(rate)
      ratios.append(baseRate > 0 ? rate / baseRate : 0)
      perStep.append(
        tokensPerStep ?? Double(result.outputIDs.count) / Double(max(result.steps, 1)))
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

    func row(
      _ temperature: Double, _ decoder: String, _ tree: String, nodes: Int, kl: Double?,
      tv: Double? = nil
    ) -> Row {
      Row(
        temperature: temperature, decoder: decoder, tree: tree, nodes: nodes,
        tokensPerStep: Statistics.median(perStep), tokensPerSecond: Statistics.median(rates),
        speedup: Statistics.median(ratios), nllPerToken: nll, nllError: nllError, klPerToken: kl,
        firstTwoTotalVariation: tv)
    }
  }

  /// The text table.
  static func table(_ rows: [Row]) -> [String] {
    var lines = [
      "",
      "Sampling (T = 0.7, 1.0): AR sampling vs Medusa lossless sampling and typical acceptance,",
      "interleaved; speedup = median paired ratio to AR sampling at the same T; NLL = mean",
      "-log p_T(token) of the output, +- its standard error over runs; KL, TV (first 2 tokens)",
      "= divergence from AR sampling (lossless: 0 exactly; typical acceptance is deterministic,",
      "so its KL is its NLL):",
      "   T  decoder / tree               nodes  tokens/step   tokens/s  speedup  NLL/tok±se    KL/tok"
        + "  TV first 2",
    ]
    for row in rows {
      let name = row.decoder + (row.tree == "-" ? " sampling" : " " + row.tree)
      let padded = name.padding(toLength: max(name.count, 28), withPad: " ", startingAt: 0)
      let kl = row.klPerToken.map { String(format: "%8.3f", $0) } ?? "     ref"
      let tv = row.firstTwoTotalVariation.map { String(format: "%10.3f", $0) } ?? "       ref"
      lines.append(
        String(format: "%4.1f  ", row.temperature) + padded
          + String(
            format: "%5d  %11.2f  %9.1f  %6.2fx  %6.3f±%.2f", row.nodes, row.tokensPerStep,
            row.tokensPerSecond, row.speedup, row.nllPerToken, row.nllError) + "  " + kl + "  "
          + tv)
    }
    return lines
  }
}
