import Foundation
import Medusa

/// The statistics of a generation, for humans (one line) and for `--json`.
enum Summary {
  /// Mean number of tokens accepted after the root per Medusa step.
  static func meanAcceptLength(_ result: GenerationResult) -> Double {
    guard !result.medusaSteps.isEmpty else { return 0 }
    let total = result.medusaSteps.reduce(0) { $0 + $1.acceptLength }
    return Double(total) / Double(result.medusaSteps.count)
  }

  /// How many steps accepted 0, 1, 2, ... tokens after the root.
  static func histogram(_ result: GenerationResult) -> [Int] {
    let longest = result.medusaSteps.map(\.acceptLength).max() ?? -1
    var counts = [Int](repeating: 0, count: longest + 1)
    for step in result.medusaSteps { counts[step.acceptLength] += 1 }
    return counts
  }

  /// The `stats` object of `--json`.
  static func statistics(_ result: GenerationResult) -> [String: Any] {
    var stats: [String: Any] = [
      "new_tokens": result.outputIDs.count,
      "steps": result.steps,
      "prefill_seconds": result.prefillSeconds,
      "decode_seconds": result.decodeSeconds,
      "tokens_per_second": tokensPerSecond(result),
    ]
    if !result.medusaSteps.isEmpty {
      stats["mean_accept_length"] = meanAcceptLength(result)
      stats["tokens_per_step"] = Double(result.outputIDs.count) / Double(result.medusaSteps.count)
      stats["accept_length_histogram"] = histogram(result)
    }
    return stats
  }

  /// Output tokens per second of decoding (the prompt excluded).
  static func tokensPerSecond(_ result: GenerationResult) -> Double {
    result.outputTokensPerSecond
  }

  /// One line for stderr after a streamed generation.
  static func line(_ result: GenerationResult) -> String {
    var text = String(
      format: "[%d tokens in %.2f s, %.1f tokens/s", result.outputIDs.count,
      result.decodeSeconds, tokensPerSecond(result))
    if !result.medusaSteps.isEmpty {
      text += String(
        format: ", %d steps, mean accept length %.2f", result.medusaSteps.count,
        meanAcceptLength(result))
    }
    return text + "]"
  }
}
