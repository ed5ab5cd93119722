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
    let depth = min(headCount, 3)
    let chain = (1...depth).map { [Int](repeating: 0, count: $0) }
    trees.append(("chain-\(depth)", try MedusaChoices(paths: chain, headCount: headCount)))
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
    "And it came to pass, when the king", "In the beginning", "Now the serpent was more",
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

  /// Runs AR and every tree on `prompts`; returns the AR rate and one row per tree.
  static func run(
    bundle: ModelBundle, heads: MedusaHeads, trees: [(String, MedusaChoices)], prompts: [[Int]],
    newTokens: Int, repeats: Int
  ) throws -> (arTokensPerSecond: Double, rows: [Row]) {
    let stop = StopRule(maxNewTokens: newTokens, stopTokens: [])
    let longest = prompts.map(\.count).max() ?? 1
    let ar = try AutoregressiveDecoder(
      model: bundle.model, capacity: longest + newTokens, parallelism: bundle.parallelism)
    var arRates: [Double] = []
    for _ in 0..<repeats {
      for prompt in prompts {
        arRates.append(Summary.tokensPerSecond(try ar.generate(prompt: prompt, stop: stop)))
      }
    }
    var rows: [Row] = []
    for (name, choices) in trees {
      let decoder = try MedusaDecoder(
        model: bundle.model, heads: heads, choices: choices,
        capacity: longest + newTokens + choices.paths.count + 1, parallelism: bundle.parallelism)
      var rates: [Double] = []
      var perStep: [Double] = []
      for _ in 0..<repeats {
        for prompt in prompts {
          let result = try decoder.generate(prompt: prompt, stop: stop)
          rates.append(Summary.tokensPerSecond(result))
          perStep.append(Double(result.outputIDs.count) / Double(max(result.steps, 1)))
        }
      }
      rows.append(
        Row(
          tree: name, nodes: choices.paths.count + 1,
          tokensPerStep: Statistics.median(perStep), tokensPerSecond: Statistics.median(rates)))
    }
    return (Statistics.median(arRates), rows)
  }

  /// The table, one line per decoder.
  static func table(arTokensPerSecond: Double, rows: [Row]) -> [String] {
    var lines = [
      "decoder / tree          nodes  tokens/step  tokens/s  speedup",
      String(
        format: "%-22@  %5d  %11.2f  %8.1f  %6.2fx", "autoregressive" as NSString, 1, 1.0,
        arTokensPerSecond, 1.0),
    ]
    for row in rows {
      lines.append(
        String(
          format: "%-22@  %5d  %11.2f  %8.1f  %6.2fx", ("medusa " + row.tree) as NSString,
          row.nodes,
          row.tokensPerStep, row.tokensPerSecond,
          arTokensPerSecond > 0 ? row.tokensPerSecond / arTokensPerSecond : 0))
    }
    return lines
  }
}
