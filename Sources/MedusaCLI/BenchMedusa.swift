import Foundation
import Llama
import Medusa
import MedusaKernels

/// The Medusa half of `medusa bench`: AR and Medusa greedy decoding of the same prompts in
/// one run, per tree: tokens per step, tokens/s (median over prompts and repeats) and the
/// speedup over AR measured in the same run.
enum BenchMedusa {
  /// One row of the table.
  struct Row {
    var tree: String
    var nodes: Int
    var tokensPerStep: Double
    var tokensPerSecond: Double
    var speedup: Double
  }

  /// The trees compared by default: the heads' own tree if shipped, three published ones, a
  /// chain and two small trees (small trees suit CPUs, where a forward of T tokens costs
  /// more than on a GPU).
  static func defaultTrees(bundle: ModelBundle, headCount: Int) throws -> [(String, MedusaChoices)]
  {
    var trees: [(String, MedusaChoices)] = []
    if let shipped = bundle.choices { trees.append(("default", shipped)) }
    for name in ["mc_sim_7b_63", "vicuna_7b_stage2", "zephyr_stage2"] {
      if let tree = try MedusaChoices.published(name, headCount: headCount) {
        trees.append((name, tree))
      }
    }
    for depth in 1...min(headCount, 3) {
      let chain = (1...depth).map { [Int](repeating: 0, count: $0) }
      trees.append(("chain-\(depth)", try MedusaChoices(paths: chain, headCount: headCount)))
    }
    trees.append(("small-4", try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: headCount)))
    trees.append(
      (
        "small-8",
        try MedusaChoices(
          paths: [[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0]].filter {
            $0.count <= headCount
          },
          headCount: headCount)
      ))
    return trees
  }

  /// Prompt texts for models with a tokenizer.
  static let texts = [
    "Thus saith the LORD", "And it came to pass, when the king", "In the beginning",
    "To be, or not to be,",
  ]

  /// The bench prompts: `texts` encoded, or fixed token ids when there is no tokenizer.
  static func prompts(bundle: ModelBundle) throws -> [[Int]] {
    if let tokenizer = bundle.tokenizer { return try texts.map { try tokenizer.encode($0) } }
    let vocabulary = bundle.model.config.vocabularySize
    return (0..<4).map { index in
      (0..<(8 + 8 * index)).map { ($0 * 7919 + 13 * index + 1) % vocabulary }
    }
  }

  /// One autoregressive decoder and one Medusa decoder per tree, each with the cache the
  /// longest of `prompts` needs for `newTokens` new tokens (made once, reused for every run).
  static func decoders(
    bundle: ModelBundle, heads: MedusaHeads, trees: [(String, MedusaChoices)], prompts: [[Int]],
    newTokens: Int
  ) throws -> (AutoregressiveDecoder, [MedusaDecoder]) {
    let longest = prompts.map(\.count).max() ?? 1
    let ar = try AutoregressiveDecoder(
      model: bundle.model,
      capacity: AutoregressiveDecoder.capacity(promptLength: longest, maxNewTokens: newTokens),
      parallelism: bundle.parallelism)
    let decoders = try trees.map { _, choices in
      try MedusaDecoder(
        model: bundle.model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: longest, maxNewTokens: newTokens, choices: choices),
        parallelism: bundle.parallelism)
    }
    return (ar, decoders)
  }

  /// Runs AR and every tree on `prompts`, interleaved (for each repeat and prompt: AR, then
  /// every tree), so that load changes on a shared machine hit both sides; the speedup of a
  /// tree is the median of its paired ratios to the AR run just before.
  static func run(
    bundle: ModelBundle, heads: MedusaHeads, trees: [(String, MedusaChoices)], prompts: [[Int]],
    newTokens: Int, repeats: Int
  ) throws -> (arTokensPerSecond: Double, rows: [Row]) {
    let stop = StopRule(maxNewTokens: newTokens, stopTokens: [])
    let (ar, decoders) = try Self.decoders(
      bundle: bundle, heads: heads, trees: trees, prompts: prompts, newTokens: newTokens)
    var arRates: [Double] = []
    var rates = [[Double]](repeating: [], count: trees.count)
    var perStep = [[Double]](repeating: [], count: trees.count)
    var ratios = [[Double]](repeating: [], count: trees.count)
    for _ in 0..<repeats {
      for prompt in prompts {
        let arRate = Summary.tokensPerSecond(try ar.generate(prompt: prompt, stop: stop))
        arRates.append(arRate)
        for (index, decoder) in decoders.enumerated() {
          let result = try decoder.generate(prompt: prompt, stop: stop)
          let rate = Summary.tokensPerSecond(result)
          rates[index].append(rate)
          perStep[index].append(Double(result.outputIDs.count) / Double(max(result.steps, 1)))
          ratios[index].append(arRate > 0 ? rate / arRate : 0)
        }
      }
    }
    let rows = trees.indices.map { index in
      Row(
        tree: trees[index].0, nodes: trees[index].1.paths.count + 1,
        tokensPerStep: Statistics.median(perStep[index]),
        tokensPerSecond: Statistics.median(rates[index]),
        speedup: Statistics.median(ratios[index]))
    }
    return (Statistics.median(arRates), rows)
  }

  /// The table, one line per decoder: median tokens/s, and the median of paired speedups.
  static func table(arTokensPerSecond: Double, rows: [Row]) -> [String] {
    func line(_ name: String, _ nodes: Int, _ perStep: Double, _ rate: Double, _ speedup: Double)
      -> String
    {
      let padded = name.padding(toLength: max(name.count, 28), withPad: " ", startingAt: 0)
      return padded + String(format: "%5d  %11.2f  %9.1f  %6.2fx", nodes, perStep, rate, speedup)
    }
    var lines = ["decoder / tree              nodes  tokens/step   tokens/s  speedup"]
    lines.append(line("autoregressive", 1, 1, arTokensPerSecond, 1))
    for row in rows {
      lines.append(
        line("medusa " + row.tree, row.nodes, row.tokensPerStep, row.tokensPerSecond, row.speedup))
    }
    return lines
  }
}
