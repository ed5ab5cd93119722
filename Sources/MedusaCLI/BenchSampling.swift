import Foundation
import Medusa

/// The sampling part of `medusa bench`: the table and JSON rows of
/// ``DecoderBenchmark/sampling(temperatures:)`` (AR sampling, lossless Medusa sampling and
/// typical acceptance at T = 0.7 and 1.0; DecoderBenchmarkSampling.swift defines the columns).
enum BenchSampling {
  /// The hook `medusa bench` calls after its greedy table: measures and appends the text lines
  /// and JSON rows (`"decoder"` tells them from the greedy rows).
  static func append(
    to lines: inout [String], json: inout [[String: Any]], benchmark: DecoderBenchmark
  ) throws {
    let rows = try benchmark.sampling()
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

  /// The text table.
  static func table(_ rows: [DecoderBenchmark.SamplingRow]) -> [String] {
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
