import Foundation
import XCTest

@testable import MedusaTokenizer

/// Malformed files and bad input are clear errors, never crashes.
final class BadInputTests: XCTestCase {
  private let model =
    #"{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"<unk>":3},"merges":["a b"],"unk_token":"<unk>"}"#

  private func message(_ json: String) -> String {
    do {
      _ = try makeTokenizer(json)
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  func testMissingModel() {
    XCTAssertTrue(message(#"{"added_tokens":[]}"#).contains("'model'"))
  }

  func testMergeNamingUnknownToken() {
    let json = #"{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a c"]}}"#
    let text = message(json)
    XCTAssertTrue(text.contains("merge rule 0") && text.contains("\"c\""), text)
    let merged = #"{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":[["a","b"]]}}"#
    XCTAssertTrue(message(merged).contains("\"ab\""), message(merged))
  }

  func testBadMergeLine() {
    let json = #"{"model":{"type":"BPE","vocab":{"a":0},"merges":["a"]}}"#
    XCTAssertTrue(message(json).contains("model.merges.0"), message(json))
  }

  func testUnsupportedRegexIsNamed() {
    let json =
      #"{"pre_tokenizer":{"type":"Split","pattern":{"Regex":"[a-z]+"},"behavior":"Isolated","invert":false},"model":"#
      + model + "}"
    let text = message(json)
    XCTAssertTrue(text.contains("unsupported regex") && text.contains("[a-z]+"), text)
  }

  func testUnsupportedComponentIsNamed() {
    let json = #"{"normalizer":{"type":"BertNormalizer"},"model":"# + model + "}"
    let text = message(json)
    XCTAssertTrue(text.contains("BertNormalizer") && text.contains("'normalizer'"), text)
    let wordPiece = #"{"model":{"type":"WordPiece","vocab":{}}}"#
    XCTAssertTrue(message(wordPiece).contains("WordPiece"))
  }

  func testMalformedJSON() {
    XCTAssertTrue(message(#"{"model": {"#).contains("invalid JSON"))
    XCTAssertTrue(message("").contains("invalid JSON"))
    XCTAssertTrue(message(#"{"model":{"type":"BPE","vocab":[],"merges":[]}}"#).contains("vocab"))
    XCTAssertTrue(
      message(#"{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}"#).contains("vocab.a"))
  }

  func testUnknownUnkToken() {
    let json = #"{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"unk_token":"<unk>"}}"#
    XCTAssertTrue(message(json).contains("<unk>"))
  }

  func testInvalidUTF8Input() throws {
    let tokenizer = try makeTokenizer(#"{"model":"# + model + "}")
    XCTAssertThrowsError(try tokenizer.encode(utf8: [0x61, 0x62, 0xFF, 0x61])) { error in
      XCTAssertEqual(
        scalarValues("\(error)"), scalarValues("input text is not valid UTF-8 (byte 2)"))
    }
    XCTAssertEqual(u32(try tokenizer.encode(utf8: Array("ab".utf8))), [2])
  }

  func testUnknownIDInDecode() throws {
    let tokenizer = try makeTokenizer(#"{"model":"# + model + "}")
    XCTAssertThrowsError(try tokenizer.decode([0, 99])) { error in
      XCTAssertEqual(scalarValues("\(error)"), scalarValues("token id 99 is not in the vocabulary"))
    }
    XCTAssertThrowsError(try tokenizer.decode([-1]))
  }

  func testMissingFile() {
    let url = URL(fileURLWithPath: "/nonexistent/tokenizer.json")
    XCTAssertThrowsError(try Tokenizer(url: url)) { error in
      XCTAssertTrue("\(error)".contains("/nonexistent"))
    }
  }

  func testUnknownCharacterWithoutFallbackUsesUnk() throws {
    let tokenizer = try makeTokenizer(#"{"model":"# + model + "}")
    XCTAssertEqual(u32(try tokenizer.encode("abxxa")), [2, 3, 3, 0])
  }
}
