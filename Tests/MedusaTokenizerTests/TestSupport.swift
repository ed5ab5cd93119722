import Foundation
import XCTest

@testable import MedusaTokenizer

/// Paths and readers for the golden files under Golden/tokenizers.
enum GoldenFiles {
  /// Golden/tokenizers, found from this source file's location.
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Golden/tokenizers")

  /// The families that have a folder with tokenizer.json and expected.json.
  static let families = [
    "llama2", "tinyllama", "gpt2", "smollm", "llama3", "qwen2", "misc", "variants",
  ]

  /// A parsed JSON file under Golden/tokenizers.
  static func json(_ name: String) throws -> JSON {
    let url = directory.appendingPathComponent(name)
    return try TokenizerJSON.read(url)
  }

  /// The tokenizer of a family (loaded from its folder, with tokenizer_config.json).
  static func tokenizer(_ family: String) throws -> Tokenizer {
    try Tokenizer(url: directory.appendingPathComponent(family))
  }

  /// The agreement corpus.
  static func corpus() throws -> [String] {
    let items = try XCTUnwrap(try json("corpus.json").arrayElements, "corpus.json: not an array")
    let texts = items.compactMap(\.stringValue)
    XCTAssertEqual(texts.count, items.count, "corpus.json: every entry must be a string")
    XCTAssertGreaterThan(texts.count, 0, "corpus.json is empty")
    return texts
  }
}

extension JSON {
  /// An array of integers as token ids for comparison.
  var ids: [UInt32] {
    guard case .array(let items) = self else { return [] }
    return items.compactMap { item in
      if case .integer(let value) = item { return UInt32(exactly: value) }
      return nil
    }
  }

  /// A string as scalar values for comparison.
  var scalars: [UInt32] {
    guard case .string(let text) = self else { return [] }
    return text.unicodeScalars.map(\.value)
  }

  /// The elements of an array.
  var elements: [JSON] {
    guard case .array(let items) = self else { return [] }
    return items
  }
}

/// Ids as `[UInt32]`.
func u32(_ ids: [Int]) -> [UInt32] { ids.map { UInt32($0) } }

/// Text as its scalar values.
func scalarValues(_ text: String) -> [UInt32] { text.unicodeScalars.map(\.value) }

/// Builds a tokenizer from tokenizer.json text written in a test.
func makeTokenizer(_ json: String) throws -> Tokenizer {
  try Tokenizer(tokenizerJSON: Array(json.utf8))
}
