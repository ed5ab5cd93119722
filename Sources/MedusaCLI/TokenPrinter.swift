import Foundation
import MedusaTokenizer

/// Streams generated tokens to stdout: text through the incremental detokenizer (never a
/// broken UTF-8 sequence or half a byte-fallback run), or comma-separated ids when there is
/// no tokenizer or the prompt was given as ids.
final class TokenPrinter {
  private let tokenizer: Tokenizer?
  private var decoder: StreamingDecoder?
  private var printedIDs = false

  /// A printer for the tokens that follow `context` (the prompt), whose text is not printed.
  init(tokenizer: Tokenizer?, idsOnly: Bool, context: [Int] = []) {
    self.tokenizer = idsOnly ? nil : tokenizer
    decoder = self.tokenizer.flatMap {
      try? StreamingDecoder(tokenizer: $0, skipSpecialTokens: true, context: context)
    }
  }

  /// Prints the text (or ids) of `tokens` as soon as it is final.
  func stream(_ tokens: [Int]) {
    if decoder != nil {
      for token in tokens {
        if let text = try? decoder?.push(token), !text.isEmpty { Output.write(text) }
      }
    } else {
      for token in tokens {
        Output.write((printedIDs ? "," : "") + String(token))
        printedIDs = true
      }
    }
  }

  /// Flushes what the detokenizer held back and ends the line.
  func finish() {
    if let text = try? decoder?.finish(), !text.isEmpty { Output.write(text) }
    Output.write("\n")
  }

  /// A short display form of one token: its text, or `#id` without a tokenizer.
  func piece(_ token: Int) -> String {
    guard let tokenizer, let text = try? tokenizer.decode([token]) else { return "#\(token)" }
    let escaped = text.replacingOccurrences(of: "\n", with: "\\n")
    return "'\(escaped)'"
  }
}
