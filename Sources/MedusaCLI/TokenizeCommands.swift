import Foundation
import MedusaFormats
import MedusaTokenizer

/// `medusa tokenize --tokenizer PATH [--no-special] TEXT`: ids and pieces for a human.
/// `medusa tokenize --tokenizer PATH --jsonl [--no-special]`: one JSON string per stdin line in,
/// one JSON array of ids per line out (`--no-special`: no template tokens such as BOS).
enum TokenizeCommand {
  /// `medusa tokenize --tokenizer PATH [options] [TEXT]`.
  static let spec = CommandSpec(
    name: "tokenize",
    summary:
      "Token ids and pieces of TEXT; with --jsonl, one JSON string per stdin line in, one JSON "
      + "array of ids per line out.",
    operands: "[TEXT]",
    options: [
      TokenizerFiles.option,
      .flag("jsonl", "batch mode: JSON lines on stdin and stdout"),
      .flag("no-special", "no template tokens such as BOS"),
    ])

  /// Runs the subcommand with the words after `tokenize`.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let tokenizer = try TokenizerFiles.load(&arguments)
    let addSpecial = !arguments.flag("no-special")
    let jsonl = arguments.flag("jsonl")
    try arguments.finish()
    if jsonl {
      guard arguments.positionals.isEmpty else {
        throw UsageError("--jsonl reads stdin; do not also give TEXT")
      }
      try JSONLines.forEachLine { line, number in
        let value = try JSONLines.parse(line, number)
        guard let text = value.stringValue else {
          throw UsageError("stdin line \(number): expected a JSON string, found \(value.kind)")
        }
        let ids = try tokenizer.encode(text, addSpecialTokens: addSpecial)
        return "[" + ids.map(String.init).joined(separator: ",") + "]"
      }
      return
    }
    guard arguments.positionals.count == 1, let text = arguments.positionals.first else {
      throw UsageError("give one TEXT, or --jsonl (see medusa tokenize --help)")
    }
    let ids = try tokenizer.encode(text, addSpecialTokens: addSpecial)
    Output.line("\(ids.count) tokens (index, id, vocabulary piece, its text alone)")
    for (index, id) in ids.enumerated() {
      let piece = tokenizer.token(for: id) ?? "?"
      let text = try tokenizer.decode([id])
      let special = tokenizer.isSpecial(id) ? "  (special)" : ""
      Output.line(
        String(index).leftPadded(6) + String(id).leftPadded(8) + "  "
          + JSONText.quoted(piece).padded(24) + " " + JSONText.quoted(text) + special)
    }
    Output.line("ids: [" + ids.map(String.init).joined(separator: ", ") + "]")
  }
}

/// `medusa detokenize --tokenizer PATH --jsonl [--skip-special]`: one JSON array of ids per
/// stdin line in, one JSON string per line out. Without `--jsonl`, the ids are the arguments
/// and the text is printed as is.
enum DetokenizeCommand {
  /// `medusa detokenize --tokenizer PATH [options] [ID...]`.
  static let spec = CommandSpec(
    name: "detokenize",
    summary:
      "The text of token ids; with --jsonl, one JSON array of ids per stdin line in, one JSON "
      + "string per line out.",
    operands: "[ID...]",
    options: [
      TokenizerFiles.option,
      .flag("jsonl", "batch mode: JSON lines on stdin and stdout"),
      .flag("skip-special", "leave special tokens out of the text"),
    ])

  /// Runs the subcommand with the words after `detokenize`.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let tokenizer = try TokenizerFiles.load(&arguments)
    let skip = arguments.flag("skip-special")
    let jsonl = arguments.flag("jsonl")
    try arguments.finish()
    if jsonl {
      guard arguments.positionals.isEmpty else {
        throw UsageError("--jsonl reads stdin; do not also give ids")
      }
      try JSONLines.forEachLine { line, number in
        let value = try JSONLines.parse(line, number)
        guard let array = value.arrayElements else {
          throw UsageError(
            "stdin line \(number): expected a JSON array of ids, found \(value.kind)")
        }
        let ids = try array.enumerated().map { index, element -> Int in
          guard let id = element.integerValue else {
            throw UsageError(
              "stdin line \(number): id \(index) must be a JSON integer, found \(element.kind)")
          }
          return id
        }
        return JSONText.quoted(try tokenizer.decode(ids, skipSpecialTokens: skip))
      }
      return
    }
    let ids = try arguments.positionals.flatMap { $0.split(separator: ",") }.map { word in
      guard let id = Int(word.trimmingCharacters(in: .whitespaces)) else {
        throw UsageError("not a token id: '\(word)'")
      }
      return id
    }
    guard !ids.isEmpty else {
      throw UsageError("give token ids, or --jsonl (see medusa detokenize --help)")
    }
    Output.line(try tokenizer.decode(ids, skipSpecialTokens: skip))
  }
}

/// Finding the tokenizer named by `--tokenizer`.
enum TokenizerFiles {
  /// `--tokenizer PATH`, read by ``load(_:)``.
  static let option = OptionSpec.option(
    "tokenizer", "PATH", "a tokenizer.json or a model folder with one", required: true)

  /// Loads `--tokenizer PATH` (a tokenizer.json or a folder with one).
  static func load(_ arguments: inout Arguments) throws -> Tokenizer {
    guard let path = arguments.string("tokenizer") else {
      throw UsageError("--tokenizer PATH is required (a tokenizer.json or a model folder)")
    }
    return try Tokenizer(url: URL(fileURLWithPath: path))
  }
}

/// Line-by-line JSON on stdin and stdout.
enum JSONLines {
  /// Calls `transform` with every non-blank stdin line (bytes, 1-based number) and writes its
  /// results, one per line, to stdout in batches.
  static func forEachLine(_ transform: (Data, Int) throws -> String) throws {
    let input = FileHandle.standardInput.readDataToEndOfFile()
    var output = ""
    var number = 0
    for line in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
      number += 1
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
      do {
        output += try transform(Data(line), number) + "\n"
      } catch {
        Output.write(output)
        if error is UsageError { throw error }
        throw UsageError("stdin line \(number): \(error)")
      }
      if output.utf8.count > 1 << 16 {
        Output.write(output)
        output = ""
      }
    }
    Output.write(output)
  }

  /// One line of JSON (any value at the top level), read by the package's strict parser; an
  /// error is one line such as `stdin line 3: invalid JSON at byte 5: unexpected character`.
  static func parse(_ line: Data, _ number: Int) throws -> JSONValue {
    do {
      return try JSONValue.parse(line, file: "stdin line \(number)")
    } catch {
      throw UsageError(error.description)
    }
  }
}

extension String {
  /// The string left-aligned in `width` columns.
  fileprivate func padded(_ width: Int) -> String {
    self + String(repeating: " ", count: max(0, width - count))
  }

  /// The string right-aligned in `width` columns.
  fileprivate func leftPadded(_ width: Int) -> String {
    String(repeating: " ", count: max(0, width - count)) + self
  }
}
