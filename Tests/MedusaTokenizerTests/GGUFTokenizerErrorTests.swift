import Foundation
import XCTest

@testable import MedusaTokenizer

/// Bad tokenizer metadata in a GGUF file: each defect is a `TokenizerError` naming the key.
final class GGUFTokenizerErrorTests: XCTestCase {
  /// Builds a tokenizer from `metadata`, expecting the error `expected`.
  private func assertRejects(
    _ metadata: [(String, TestGGUFValue)], _ expected: TokenizerError, line: UInt = #line
  ) throws {
    let url = try writeTokenizerGGUF(self, metadata)
    XCTAssertThrowsError(try Tokenizer(url: url), line: line) { error in
      XCTAssertEqual("\(error)", expected.description, line: line)
    }
  }

  private func replaced(_ key: String, _ value: TestGGUFValue?) -> [(String, TestGGUFValue)] {
    replacing(key, with: value, in: byteLevelMetadata)
  }

  func testValidBaseline() throws {
    let tokenizer = try Tokenizer(url: writeTokenizerGGUF(self, byteLevelMetadata))
    XCTAssertEqual(try tokenizer.encode("aab<|end|>"), [0, 2, 3])
    XCTAssertEqual(tokenizer.eosTokenID, 3)
    XCTAssertTrue(tokenizer.isSpecial(3))
    XCTAssertEqual(try tokenizer.decode([0, 2, 3], skipSpecialTokens: true), "aab")
  }

  func testMissingTokens() throws {
    try assertRejects(
      replaced("tokenizer.ggml.tokens", nil),
      .invalidField(field: "tokenizer.ggml.tokens", reason: "missing"))
    try assertRejects(
      replaced("tokenizer.ggml.tokens", .strings([])),
      .invalidField(field: "tokenizer.ggml.tokens", reason: "no tokens"))
  }

  func testTokensOfTheWrongType() throws {
    try assertRejects(
      replaced("tokenizer.ggml.tokens", .int32s([1, 2])),
      .invalidField(
        field: "tokenizer.ggml.tokens",
        reason: "expected an array of strings, found an array of 2 INT32"))
  }

  func testDuplicateTokens() throws {
    try assertRejects(
      replaced("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "a"])),
      .invalidField(field: "tokenizer.ggml.tokens.3", reason: "token \"a\" is also token 0"))
    // Byte-level respelling can make two tokens one: " " is spelled "Ġ".
    try assertRejects(
      replaced("tokenizer.ggml.tokens", .strings(["Ġ", "b", "ab", " "])),
      .invalidField(field: "tokenizer.ggml.tokens.3", reason: "token \"Ġ\" is also token 0"))
  }

  func testMissingOrUnsupportedModel() throws {
    try assertRejects(
      replaced("tokenizer.ggml.model", nil),
      .invalidField(field: "tokenizer.ggml.model", reason: "missing"))
    try assertRejects(
      replaced("tokenizer.ggml.model", .string("t5")),
      .unsupportedComponent(field: "tokenizer.ggml.model", type: "t5"))
    let gemma = replacing(
      "general.architecture", with: .string("gemma2"),
      in: replaced("tokenizer.ggml.model", .string("llama")))
    try assertRejects(
      gemma,
      .unsupportedComponent(
        field: "general.architecture", type: "gemma2 (transformers' Gemma tokenizer)"))
  }

  func testMergeNamingAnUnknownToken() throws {
    try assertRejects(
      replaced("tokenizer.ggml.merges", .strings(["a b", "ab c"])),
      .invalidField(
        field: "tokenizer.ggml.merges.1",
        reason: "merge \"ab c\" needs \"c\", which is not a token"))
    try assertRejects(
      replaced("tokenizer.ggml.merges", .strings(["b a"])),
      .invalidField(
        field: "tokenizer.ggml.merges.0",
        reason: "merge \"b a\" needs \"ba\", which is not a token"))
  }

  func testMergeThatIsNotTwoTokens() throws {
    try assertRejects(
      replaced("tokenizer.ggml.merges", .strings(["a b b"])),
      .invalidField(field: "tokenizer.ggml.merges.0", reason: "\"a b b\" is not two tokens"))
  }

  func testMissingMergesWithoutScores() throws {
    try assertRejects(
      replaced("tokenizer.ggml.merges", nil),
      .invalidField(
        field: "tokenizer.ggml.merges",
        reason: "missing, and no tokenizer.ggml.scores to rebuild them from"))
  }

  func testScoresCountMustMatchTokens() throws {
    try assertRejects(
      replaced("tokenizer.ggml.scores", .float32s([0, -1])),
      .invalidField(field: "tokenizer.ggml.scores", reason: "2 entries for 4 tokens"))
    try assertRejects(
      replaced("tokenizer.ggml.scores", .float32s([0, .nan, -2, -3])),
      .invalidField(field: "tokenizer.ggml.scores.1", reason: "score is NaN"))
  }

  func testTokenTypes() throws {
    try assertRejects(
      replaced("tokenizer.ggml.token_type", .int32s([1, 9, 1, 3])),
      .invalidField(field: "tokenizer.ggml.token_type.1", reason: "unknown token type 9"))
    try assertRejects(
      replaced("tokenizer.ggml.token_type", .int32s([1, 1, 1])),
      .invalidField(field: "tokenizer.ggml.token_type", reason: "3 entries for 4 tokens"))
  }

  func testTokenIDsOutOfRange() throws {
    try assertRejects(
      replaced("tokenizer.ggml.bos_token_id", .uint32(4)),
      .invalidField(
        field: "tokenizer.ggml.bos_token_id", reason: "token id 4 is outside the 4 tokens"))
    try assertRejects(
      replaced("tokenizer.ggml.eos_token_id", .int32(-1)),
      .invalidField(
        field: "tokenizer.ggml.eos_token_id", reason: "token id -1 is outside the 4 tokens"))
    try assertRejects(
      replaced("tokenizer.ggml.padding_token_id", .string("0")),
      .invalidField(
        field: "tokenizer.ggml.padding_token_id", reason: "expected an integer, found STRING"))
  }

  func testFlagsMustBeBools() throws {
    try assertRejects(
      replaced("tokenizer.ggml.add_bos_token", .uint8(1)),
      .invalidField(field: "tokenizer.ggml.add_bos_token", reason: "expected a bool, found UINT8"))
  }

  func testUnsupportedSplitRegex() throws {
    try assertRejects(
      replaced("tokenizer.ggml.pre", .string("tekken")),
      .unsupportedComponent(
        field: "tokenizer.ggml.pre", type: "tekken (a split regex without a scanner here)"))
  }

  func testTemplateTokenThatTransformersCannotWrite() throws {
    let metadata = replacing(
      "tokenizer.ggml.add_eos_token", with: .bool(true),
      in: replaced("tokenizer.ggml.tokens", .strings(["a", "b", "ab", "<|end of text|>"])))
    try assertRejects(
      metadata,
      .invalidField(
        field: "tokenizer.ggml.eos_token_id",
        reason: "transformers cannot add \"<|end of text|>\" in its post-processor template "
          + "(whitespace, ':' or a leading '$')"))
  }

  func testNotAGGUFFile() throws {
    var url = try writeTokenizerGGUF(self, byteLevelMetadata)
    let broken = url.deletingLastPathComponent().appendingPathComponent("broken.gguf")
    try Data("GGML".utf8).write(to: broken)
    url = broken
    XCTAssertThrowsError(try Tokenizer(url: url)) { error in
      XCTAssertTrue("\(error)".contains("not a GGUF file"), "\(error)")
    }
  }
}
