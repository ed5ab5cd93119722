import Foundation
import XCTest

@testable import MedusaTokenizer

/// Tokenizers built from GGUF metadata against what transformers builds from the same files
/// (`AutoTokenizer.from_pretrained(folder, gguf_file=...)`): ids with and without special
/// tokens, decodes with and without skipping them, for every string of each expectation.
final class GGUFTokenizerAgreementTests: XCTestCase {
  /// The repository root.
  static let root = GoldenFiles.directory.deletingLastPathComponent().deletingLastPathComponent()
  /// Golden/formats/gguf: this repository's tokenizer-only GGUF fixtures.
  static let fixtures = root.appendingPathComponent("Golden/formats/gguf")

  func testGPT2Fixture() throws { try agreeWithFixture("gpt2") }
  func testSmolLMFixture() throws { try agreeWithFixture("smollm") }
  func testLlama3Fixture() throws { try agreeWithFixture("llama3") }
  func testQwen2Fixture() throws { try agreeWithFixture("qwen2") }
  func testLlama2Fixture() throws { try agreeWithFixture("llama2") }
  func testLlama2RebuiltMergesFixture() throws { try agreeWithFixture("llama2-scores") }
  func testByteLevelSpecialTokenCorners() throws { try agreeWithFixture("gpt2-specials") }
  func testPhi3WithoutLlamaDefaults() throws { try agreeWithFixture("phi3") }
  func testUserDefinedSpecialToken() throws { try agreeWithFixture("llama2-userdefined") }

  /// SmolLM2-135M-Instruct's own GGUF against Golden/tokenizers/gguf-smollm2/expected.json.
  func testSmolLM2() throws {
    let gguf = Self.root.appendingPathComponent(
      "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: gguf.path) else {
      print("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
      throw XCTSkip("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
    }
    let tokenizer = try Tokenizer(url: gguf)
    let expected = try GoldenFiles.json("gguf-smollm2/expected.json")
    try agree(tokenizer, expected, name: "gguf-smollm2")
    XCTAssertEqual(tokenizer.vocabularySize, 49152)
    XCTAssertEqual(tokenizer.bosTokenID, 1)
    XCTAssertEqual(tokenizer.eosTokenID, 2)
    XCTAssertEqual(try tokenizer.encode("Hello world 123"), [19556, 905, 216, 33, 34, 35])
  }

  /// Every Golden/tokenizers/gguf-tiny-* expectation, against the GGUF file it names.
  func testTinyGGUFModels() throws {
    let names =
      (try? FileManager.default.contentsOfDirectory(atPath: GoldenFiles.directory.path))?
      .filter { $0.hasPrefix("gguf-tiny") }.sorted() ?? []
    XCTAssertEqual(names, ["gguf-tiny-gpt2", "gguf-tiny-llama"], "Golden/tokenizers/gguf-tiny-*")
    for name in names {
      let expected = try GoldenFiles.json("\(name)/expected.json")
      guard case .string(let path) = expected["source"]?["gguf"] else {
        XCTFail("\(name): expected.json has no source.gguf")
        continue
      }
      let tokenizer = try Tokenizer(url: Self.root.appendingPathComponent(path))
      try agree(tokenizer, expected, name: name)
    }
  }

  private func agreeWithFixture(_ name: String) throws {
    let tokenizer = try Tokenizer(
      url: Self.fixtures.appendingPathComponent("tokenizer-\(name).gguf"))
    let url = Self.fixtures.appendingPathComponent("tokenizer-\(name).expected.json")
    let expected = try TokenizerJSON.read(url)
    try agree(tokenizer, expected, name: name)
    if case .integer(let size) = expected["vocab_size"] {
      XCTAssertEqual(tokenizer.vocabularySize, Int(size), name)
    }
  }

  /// Compares every case and random decode of `expected` (the format of the family
  /// expectations), and the special tokens it records.
  private func agree(_ tokenizer: Tokenizer, _ expected: JSON, name: String) throws {
    let corpus = try GoldenFiles.corpus()
    let cases = expected["cases"]?.elements ?? []
    guard case .integer(let count) = expected["corpus_count"] else {
      return XCTFail("\(name): no corpus_count")
    }
    XCTAssertEqual(cases.count, Int(count), name)
    XCTAssertGreaterThan(cases.count, 100, name)
    for key in ["bos_token", "eos_token"] {
      let token = key == "bos_token" ? tokenizer.config.bosToken : tokenizer.config.eosToken
      if case .string(let text) = expected[key] {
        XCTAssertEqual(token, text, "\(name) \(key)")
      } else {
        XCTAssertNil(token, "\(name) \(key)")
      }
    }
    var failures = [0, 0, 0, 0]
    for (text, item) in zip(corpus, cases) {
      let ids = try tokenizer.encode(text, addSpecialTokens: true)
      let plain = try tokenizer.encode(text, addSpecialTokens: false)
      let expectedIDs = (item["ids"]?.ids ?? []).map { Int($0) }
      let checks = [
        u32(ids) == item["ids"]?.ids ?? [],
        u32(plain) == item["ids_no_special"]?.ids ?? [],
        scalarValues(try tokenizer.decode(expectedIDs)) == item["decoded"]?.scalars ?? [],
        scalarValues(try tokenizer.decode(expectedIDs, skipSpecialTokens: true))
          == item["decoded_skip"]?.scalars ?? [],
      ]
      for (mode, ok) in checks.enumerated() where !ok {
        if failures.reduce(0, +) < 3 {
          XCTFail("\(name) mode \(mode): \(debugQuoted(text)) got \(ids) / \(plain)")
        }
        failures[mode] += 1
      }
    }
    var randomFailures = 0
    for item in expected["random_decode"]?.elements ?? [] {
      let ids = (item["ids"]?.ids ?? []).map { Int($0) }
      let decoded = scalarValues(try tokenizer.decode(ids))
      let skipped = scalarValues(try tokenizer.decode(ids, skipSpecialTokens: true))
      if decoded != item["decoded"]?.scalars ?? [] || skipped != item["decoded_skip"]?.scalars ?? []
      {
        if randomFailures < 3 { XCTFail("\(name) random decode \(ids)") }
        randomFailures += 1
      }
    }
    XCTAssertEqual(failures, [0, 0, 0, 0], name)
    XCTAssertEqual(randomFailures, 0, name)
  }
}
