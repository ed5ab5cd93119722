import Foundation
import Medusa

/// The Medusa half of `medusa bench`: AR and Medusa greedy decoding of the same prompts in
/// one run, per tree (measured by ``DecoderBenchmark``): tokens per step, tokens/s (median over
/// prompts and repeats) and the speedup over AR measured in the same run.
enum BenchMedusa {
  /// Prompt texts for models with a tokenizer.
  static let texts = [
    "Thus saith the LORD", "And it came to pass, when the king", "In the beginning",
    "To be, or not to be,",
  ]

  /// The bench prompts: `texts` encoded, or fixed token ids when there is no tokenizer.
  static func prompts(bundle: ModelBundle) throws -> [[Int]] {
    if let tokenizer = bundle.tokenizer { return try texts.map { try tokenizer.encode($0) } }
    return DecoderBenchmark.syntheticPrompts(vocabularySize: bundle.model.config.vocabularySize)
  }

  /// The table, one line per decoder: median tokens/s, and the median of paired speedups.
  static func table(_ result: DecoderBenchmark.GreedyResult) -> [String] {
    func line(_ name: String, _ nodes: Int, _ perStep: Double, _ rate: Double, _ speedup: Double)
      -> String
    {
      let padded = name.padding(toLength: max(name.count, 28), withPad: " ", startingAt: 0)
      return padded + String(format: "%5d  %11.2f  %9.1f  %6.2fx", nodes, perStep, rate, speedup)
    }
    var lines = ["decoder / tree              nodes  tokens/step   tokens/s  speedup"]
    lines.append(line("autoregressive", 1, 1, result.arTokensPerSecond, 1))
    for row in result.rows {
      lines.append(
        line("medusa " + row.tree, row.nodes, row.tokensPerStep, row.tokensPerSecond, row.speedup))
    }
    return lines
  }

  /// The JSON rows of the greedy table.
  static func json(_ result: DecoderBenchmark.GreedyResult) -> [[String: Any]] {
    result.rows.map {
      [
        "tree": $0.tree, "nodes": $0.nodes, "tokens_per_step": $0.tokensPerStep,
        "tokens_per_second": $0.tokensPerSecond,
        "speedup": $0.speedup,
      ]
    }
  }
}
