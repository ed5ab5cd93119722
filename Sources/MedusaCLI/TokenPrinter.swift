import Foundation
import MedusaTokenizer

/// Streams generated tokens to stdout: text through the incremental detokenizer (never a
/// broken UTF-8 sequence or half a byte-fallback run, and never the prompt's own held-back
/// end again), or comma-separated ids when there is no tokenizer or the prompt was given as
/// ids. Nothing is dropped silently: a token the tokenizer cannot decode (an id past its
/// vocabulary) is printed as `[#id]` and reported once on stderr.
final class TokenPrinter {
  private let tokenizer: Tokenizer?
  private var decoder: StreamingDecoder?
  private var printedIDs = false
  private var reported = false

  /// A printer for the tokens that follow `context` (the prompt), whose text is not printed.
  init(tokenizer: Tokenizer?, idsOnly: Bool, context: [Int] = []) {
    self.tokenizer = idsOnly ? nil : tokenizer
    guard let tokenizer = self.tokenizer else { return }
    do {
      decoder = try StreamingDecoder(
        tokenizer: tokenizer, skipSpecialTokens: true, context: context)
    } catch {
      Output.error("medusa: warning: the prompt cannot be decoded (\(error)); printing from here")
      decoder = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: true)
    }
  }

  /// Prints the text (or ids) of `tokens` as soon as it is final.
  func stream(_ tokens: [Int]) {
    if decoder != nil {
      for token in tokens {
        do {
          if let text = try decoder?.push(token), !text.isEmpty { Output.write(text) }
        } catch {
          report(token, error)
        }
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
    do {
      if let text = try decoder?.finish(), !text.isEmpty { Output.write(text) }
    } catch {
      Output.error("medusa: warning: the end of the text cannot be decoded: \(error)")
    }
    Output.write("\n")
  }

  /// Prints `[#id]` for a token that cannot be decoded, and says why on stderr (once).
  private func report(_ token: Int, _ error: any Error) {
    Output.write("[#\(token)]")
    if !reported {
      Output.error("medusa: warning: \(error); such tokens are printed as [#id]")
      reported = true
    }
  }

  /// A short display form of one token: its text, or `#id` without a tokenizer.
  func piece(_ token: Int) -> String {
    guard let tokenizer, let text = try? tokenizer.decode([token]) else { return "#\(token)" }
    let escaped = text.replacingOccurrences(of: "\n", with: "\\n")
    return "'\(escaped)'"
  }
}
