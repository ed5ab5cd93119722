import Foundation
import XCTest

@testable import MedusaTokenizer

/// A metadata value for a test GGUF file (only the types tokenizer metadata uses).
enum TestGGUFValue {
  case string(String)
  case strings([String])
  case int32s([Int32])
  case float32s([Float])
  case uint32(UInt32)
  case int32(Int32)
  case uint8(UInt8)
  case bool(Bool)

  /// The GGUF value type number and the encoded value.
  var encoded: (type: UInt32, bytes: [UInt8]) {
    switch self {
    case .string(let text): (8, Self.string(text))
    case .strings(let texts):
      (9, Self.le(UInt32(8)) + Self.le(UInt64(texts.count)) + texts.flatMap(Self.string))
    case .int32s(let values):
      (9, Self.le(UInt32(5)) + Self.le(UInt64(values.count)) + values.flatMap { Self.le($0) })
    case .float32s(let values):
      (
        9,
        Self.le(UInt32(6)) + Self.le(UInt64(values.count))
          + values.flatMap { Self.le($0.bitPattern) }
      )
    case .uint32(let value): (4, Self.le(value))
    case .int32(let value): (5, Self.le(value))
    case .uint8(let value): (0, [value])
    case .bool(let flag): (7, [flag ? 1 : 0])
    }
  }

  static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
}

/// Writes a tensor-less GGUF v3 file with `metadata` into a fresh temporary folder.
func writeTokenizerGGUF(_ test: XCTestCase, _ metadata: [(String, TestGGUFValue)]) throws -> URL {
  var bytes = Array("GGUF".utf8) + TestGGUFValue.le(UInt32(3)) + TestGGUFValue.le(UInt64(0))
  bytes += TestGGUFValue.le(UInt64(metadata.count))
  for (key, value) in metadata {
    let (type, encoded) = value.encoded
    bytes += TestGGUFValue.string(key) + TestGGUFValue.le(type) + encoded
  }
  bytes += [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
  let folder = FileManager.default.temporaryDirectory
    .appendingPathComponent("medusa-gguf-tokenizer-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
  let url = folder.appendingPathComponent("t.gguf")
  try Data(bytes).write(to: url)
  return url
}

/// A small valid byte-level tokenizer: "a", "b", "ab", a control token, merge "a b".
let byteLevelMetadata: [(String, TestGGUFValue)] = [
  ("general.architecture", .string("llama")),
  ("tokenizer.ggml.model", .string("gpt2")),
  ("tokenizer.ggml.pre", .string("gpt2")),
  ("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "<|end|>"])),
  ("tokenizer.ggml.token_type", .int32s([1, 1, 1, 3])),
  ("tokenizer.ggml.merges", .strings(["a b"])),
  ("tokenizer.ggml.eos_token_id", .uint32(3)),
]

/// `metadata` with `key` replaced by `value` (or removed when nil; appended when absent).
func replacing(
  _ key: String, with value: TestGGUFValue?, in metadata: [(String, TestGGUFValue)]
) -> [(String, TestGGUFValue)] {
  var result = metadata.filter { $0.0 != key }
  if let value {
    if let index = metadata.firstIndex(where: { $0.0 == key }) {
      result.insert((key, value), at: index)
    } else {
      result.append((key, value))
    }
  }
  return result
}
