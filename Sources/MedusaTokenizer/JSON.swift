import Foundation
import MedusaFormats

/// The tokenizer reads tokenizer.json and tokenizer_config.json with MedusaFormats' strict
/// parser, the package's one JSON layer: object members stay ordered pairs (never a
/// `[String: ...]` dictionary, whose canonical-equivalence hashing would merge vocabulary
/// entries such as "é" (U+00E9) and "e\u{301}"), member lookup compares keys scalar by scalar,
/// and ids must be JSON integers (`1.0`, `1e0` and `true` are not).
typealias JSON = JSONValue

/// One member of a JSON object.
typealias JSONMember = (key: String, value: JSONValue)

extension TokenizerError {
  /// The tokenizer error for a file or parse error of MedusaFormats.
  init(_ error: FormatError) {
    switch error {
    case .invalidJSON(let file, let reason, let offset):
      self = .invalidJSON(path: file, offset: offset, reason: reason)
    case .unreadable(let file, let reason):
      self = .unreadableFile(path: file, reason: reason)
    default:
      self = .unreadableFile(path: "", reason: error.description)
    }
  }
}

/// Parsing for the tokenizer: `FormatError`s become `TokenizerError`s.
enum TokenizerJSON {
  /// Parses `bytes`; `path` names them in errors.
  static func parse(_ bytes: [UInt8], path: String) throws -> JSON {
    do {
      return try JSONValue.parse(bytes, file: path)
    } catch {
      throw TokenizerError(error)
    }
  }

  /// Reads and parses the file at `url` (a regular file; a FIFO is refused, never read).
  static func read(_ url: URL) throws -> JSON {
    do {
      return try JSONValue.read(url)
    } catch {
      throw TokenizerError(error)
    }
  }
}
