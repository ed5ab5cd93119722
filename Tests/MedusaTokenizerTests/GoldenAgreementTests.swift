import Foundation
import XCTest

@testable import MedusaTokenizer

/// For every family and every corpus string, Swift must produce the ids and
/// the text that the tokenizers library produced (Golden/tools/tokenizers/generate.py).
final class GoldenAgreementTests: XCTestCase {
  func testLlama2() throws { try agree("llama2") }
  func testTinyLlama() throws { try agree("tinyllama") }
  func testGPT2() throws { try agree("gpt2") }
  func testSmolLM() throws { try agree("smollm") }
  func testLlama3() throws { try agree("llama3") }
  func testQwen2() throws { try agree("qwen2") }
  func testMisc() throws { try agree("misc") }
  func testVariants() throws { try agree("variants") }

  /// The Golden/tokenizers folders with a tokenizer.json and an expected.json (the GGUF ones
  /// have `GGUFTokenizerAgreementTests`) must be exactly the families this file tests (its
  /// calls of `agree` with a literal) and `GoldenFiles.families` (which the streaming tests use).
  func testEveryFamilyHasATest() throws {
    let folders = try FileManager.default.contentsOfDirectory(atPath: GoldenFiles.directory.path)
      .filter { name in
        !name.hasPrefix("gguf-")
          && ["tokenizer.json", "expected.json"].allSatisfy {
            FileManager.default.fileExists(
              atPath: GoldenFiles.directory.appendingPathComponent("\(name)/\($0)").path)
          }
      }
    let source = try String(contentsOfFile: #filePath, encoding: .utf8)
    let marker = "try agree(\""
    let tested = source.components(separatedBy: marker).dropFirst().compactMap {
      $0.split(separator: "\"", maxSplits: 1).first.map(String.init)
    }
    XCTAssertGreaterThanOrEqual(folders.count, 8)
    XCTAssertEqual(Set(tested).count, tested.count, "a family is tested twice")
    XCTAssertEqual(Set(tested), Set(folders), "families on disk vs families with a test")
    XCTAssertEqual(Set(GoldenFiles.families), Set(folders), "GoldenFiles.families vs disk")
  }

  /// Encodes (with and without special tokens) and decodes (with and without skipping them)
  /// every corpus string, and decodes the random id sequences, comparing with the library.
  private func agree(_ family: String) throws {
    let corpus = try GoldenFiles.corpus()
    XCTAssertGreaterThanOrEqual(corpus.count, 2000)
    do {
      let tokenizer = try GoldenFiles.tokenizer(family)
      let expected = try GoldenFiles.json("\(family)/expected.json")
      let cases = expected["cases"]?.elements ?? []
      guard case .integer(let count) = expected["corpus_count"] else {
        return XCTFail("\(family): no corpus_count")
      }
      XCTAssertEqual(cases.count, min(Int(count), corpus.count), family)
      var failures = [0, 0, 0, 0]
      for (text, item) in zip(corpus, cases) {
        let ids = try tokenizer.encode(text, addSpecialTokens: true)
        let plain = try tokenizer.encode(text, addSpecialTokens: false)
        let expectedIDs = item["ids"]?.ids ?? []
        let checks = [
          u32(ids) == expectedIDs,
          u32(plain) == item["ids_no_special"]?.ids ?? [],
          scalarValues(try tokenizer.decode(expectedIDs.map { Int($0) }))
            == item["decoded"]?.scalars ?? [],
          scalarValues(try tokenizer.decode(expectedIDs.map { Int($0) }, skipSpecialTokens: true))
            == item["decoded_skip"]?.scalars ?? [],
        ]
        for (mode, ok) in checks.enumerated() where !ok {
          if failures.reduce(0, +) < 3 {
            XCTFail("\(family) mode \(mode): \(debugQuoted(text)) got \(ids) / \(plain)")
          }
          failures[mode] += 1
        }
      }
      var randomFailures = 0
      for item in expected["random_decode"]?.elements ?? [] {
        let ids = (item["ids"]?.ids ?? []).map { Int($0) }
        let decoded = scalarValues(try tokenizer.decode(ids))
        let skipped = scalarValues(try tokenizer.decode(ids, skipSpecialTokens: true))
        if decoded != item["decoded"]?.scalars ?? []
          || skipped != item["decoded_skip"]?.scalars ?? []
        {
          if randomFailures < 3 { XCTFail("\(family) random decode \(ids)") }
          randomFailures += 1
        }
      }
      XCTAssertEqual(failures, [0, 0, 0, 0], family)
      XCTAssertEqual(randomFailures, 0, family)
    }
  }
}
