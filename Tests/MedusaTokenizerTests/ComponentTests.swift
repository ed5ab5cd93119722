import Foundation
import XCTest

@testable import MedusaTokenizer

/// Unit checks of pieces the golden corpus exercises only indirectly.
final class ComponentTests: XCTestCase {
  /// `\s`, `\p{L}`, `\p{N}` agree with Oniguruma (exported by the library) on every scalar of
  /// planes 0-3 and 14 (planes 4-13 are unassigned, 15-16 private use: in no class).
  func testCharacterClassesMatchOniguruma() throws {
    let golden = try GoldenFiles.json("unicode_classes.json")
    let classes: [(String, (Unicode.Scalar) -> Bool)] = [
      ("space", CharacterClasses.isSpace), ("letter", CharacterClasses.isLetter),
      ("number", CharacterClasses.isNumber),
    ]
    for (name, test) in classes {
      var expected = [Bool](repeating: false, count: 0x110000)
      for range in golden[name]?.elements ?? [] {
        let bounds = range.ids
        guard bounds.count == 2 else { return XCTFail("bad range") }
        for value in bounds[0]...bounds[1] { expected[Int(value)] = true }
      }
      var mismatches: [UInt32] = []
      for value in Array(UInt32(1)..<0x40000) + Array(0xE0000..<0xF0000) {
        guard let scalar = Unicode.Scalar(value) else { continue }
        if test(scalar) != expected[Int(value)] { mismatches.append(value) }
      }
      let outside = (golden[name]?.elements ?? []).filter { range in
        let bounds = range.ids
        return bounds.count == 2 && (0x40000..<0xE0000).overlaps(bounds[0]..<(bounds[1] + 1))
          || (bounds.last ?? 0) >= 0xF0000
      }
      XCTAssertEqual(mismatches.prefix(10).map { String($0, radix: 16) }, [], name)
      XCTAssertTrue(outside.isEmpty, "\(name) has members outside the checked planes")
    }
  }

  func testByteLevelAlphabetRoundTrips() {
    for byte in 0..<256 {
      XCTAssertEqual(
        ByteLevelAlphabet.byte(for: ByteLevelAlphabet.scalarForByte[byte]), UInt8(byte))
    }
    XCTAssertEqual(ByteLevelAlphabet.scalarForByte[0x20], "\u{120}")
    XCTAssertNil(ByteLevelAlphabet.byte(for: "\u{144}"))
  }

  func testCanonicallyEquivalentTokensStayDistinct() throws {
    let json =
      #"{"model":{"type":"BPE","vocab":{"\u00e9":0,"e":1,"\u0301":2,"e\u0301":3},"merges":["e \u0301"]}}"#
    let tokenizer = try makeTokenizer(json)
    XCTAssertEqual(u32(try tokenizer.encode("\u{E9}e\u{301}")), [0, 3])
    XCTAssertEqual(scalarValues(try tokenizer.decode([3, 0])), [0x65, 0x301, 0x20, 0xE9])
  }

  func testMergePriorityIsLowestRankThenLeftmost() throws {
    let json =
      #"{"model":{"type":"BPE","vocab":{"a":0,"aa":1,"aaa":2},"merges":[["a","a"],["aa","a"]]}}"#
    let tokenizer = try makeTokenizer(json)
    // Checked with the tokenizers library: a-a merges leftmost first, then aa-a.
    XCTAssertEqual(u32(try tokenizer.encode("aaaaa")), [1, 2])
    XCTAssertEqual(u32(try tokenizer.encode("aaa")), [2])
  }

  func testGPT2Scanner() {
    let text = Array("I'm  here\n\n 123 ok!! ".unicodeScalars)
    let pieces = RegexScanner.gpt2.matches(in: text).map { text[$0].map(\.value) }
    let expected = ["I", "'m", " ", " here", "\n\n", " 123", " ok", "!!", " "]
    XCTAssertEqual(pieces, expected.map(scalarValues))
  }

  func testLlama3Scanner() {
    let text = Array("HE'LL 12345\r\n\tx".unicodeScalars)
    let pieces = RegexScanner.llama3.matches(in: text).map { text[$0].map(\.value) }
    let expected = ["HE", "'LL", " ", "123", "45", "\r\n", "\tx"]
    XCTAssertEqual(pieces, expected.map(scalarValues))
  }

  func testVocabularyAndSpecialTokens() throws {
    let tokenizer = try GoldenFiles.tokenizer("llama2")
    XCTAssertEqual(tokenizer.bosTokenID, 1)
    XCTAssertEqual(tokenizer.eosTokenID, 2)
    XCTAssertEqual(tokenizer.vocabularySize, 3000)
    XCTAssertEqual(scalarValues(tokenizer.token(for: 1) ?? ""), scalarValues("<s>"))
    XCTAssertNil(tokenizer.token(for: 3000))
    XCTAssertTrue(tokenizer.isSpecial(2))
    let llama3 = try GoldenFiles.tokenizer("llama3")
    XCTAssertEqual(
      scalarValues(llama3.bosTokenID.flatMap { llama3.token(for: $0) } ?? ""),
      scalarValues("<|begin_of_text|>"))
  }

  func testCleanUpTokenizationSpaces() {
    let text = Array("Hello , world . I 'm sure it is n't ! ".unicodeScalars)
    XCTAssertEqual(
      cleanUpTokenizationSpaces(text).map(\.value),
      scalarValues("Hello, world. I'm sure it isn't! "))
  }

  func testLoadingAFileReadsTheConfigNextToIt() throws {
    let file = GoldenFiles.directory.appendingPathComponent("llama3/tokenizer.json")
    let tokenizer = try Tokenizer(url: file)
    XCTAssertEqual(scalarValues(tokenizer.config.bosToken ?? ""), scalarValues("<|begin_of_text|>"))
    XCTAssertEqual(u32(try tokenizer.encode("Hi", addSpecialTokens: true)).first, 3000)
  }
}
