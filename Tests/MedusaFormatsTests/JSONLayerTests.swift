import Foundation
import XCTest

@testable import MedusaFormats

/// The package's one JSON layer. One integer rule (a JSON integer is written
/// without fraction or exponent: `1.9`, `1.0`, `1e3`, `true` are not integers, and `1e30` is
/// not a huge integer), one error style (the file, the byte, the reason, one line), and strings
/// kept scalar for scalar (a raw U+FEFF included).
final class JSONLayerTests: XCTestCase {
  private func parse(_ text: String) throws(FormatError) -> JSONValue {
    try JSONValue.parse(Array(text.utf8), file: "t.json")
  }

  private func message(_ text: String) -> String {
    do {
      _ = try parse(text)
      return "no error"
    } catch {
      return error.description
    }
  }

  func testIntegerRule() throws {
    XCTAssertEqual(
      try parse("[1, -0, 9223372036854775807]"), .array([.integer(1), .integer(0), .integer(.max)]))
    for text in ["1.9", "1.0", "1e3", "1E0", "1e30", "9223372036854775808"] {
      let value = try parse(text)
      XCTAssertNil(value.integerValue, text)
      XCTAssertNotNil(value.doubleValue, text)
    }
    XCTAssertNil(try parse("true").integerValue)
    XCTAssertNil(try parse("true").doubleValue)
    XCTAssertEqual(try parse("1e30").doubleValue, 1e30)
  }

  func testErrorsAreOneLineNamingFileAndByte() {
    XCTAssertEqual(message("[1,]"), "t.json: invalid JSON at byte 3: unexpected character")
    XCTAssertEqual(message(""), "t.json: invalid JSON at byte 0: unexpected end of input")
    XCTAssertEqual(message("1e999"), "t.json: invalid JSON at byte 0: number 1e999 is out of range")
    XCTAssertEqual(message("\"a\\x\""), "t.json: invalid JSON at byte 3: invalid escape")
    XCTAssertEqual(
      message("{\"a\":1,\"a\":2}"),
      "t.json: invalid JSON at byte 7: key \"a\" appears twice in one object")
    XCTAssertEqual(
      message("\u{FEFF}{}"),
      "t.json: invalid JSON at byte 0: byte-order mark (U+FEFF) outside a string")
    XCTAssertEqual(
      (try? JSONValue.parse([0x22, 0x61, 0xC3, 0x22], file: "u.json")).map(\.text) ?? "threw",
      "threw")
    do {
      _ = try JSONValue.parse([0x22, 0x61, 0xC3, 0x22], file: "u.json")
    } catch {
      XCTAssertEqual(error.description, "u.json: invalid JSON at byte 2: invalid UTF-8")
    }
  }

  /// Keys and strings are compared scalar by scalar: "é" and "e\u{301}" are two keys.
  func testCanonicallyEquivalentKeysAreDistinct() throws {
    let value = try parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
    XCTAssertEqual(value["\u{E9}"], .integer(1))
    XCTAssertEqual(value["e\u{301}"], .integer(2))
    XCTAssertNotEqual(JSONValue.string("\u{E9}"), .string("e\u{301}"))
  }

  /// A raw U+FEFF inside a string, at its start, after an escape or alone, is kept.
  func testByteOrderMarkInsideStringsIsKept() throws {
    for (text, expected) in [
      ("\"\u{FEFF}a\"", "\u{FEFF}a"), ("\"\\n\u{FEFF}\"", "\n\u{FEFF}"),
      ("\"\u{FEFF}\"", "\u{FEFF}"), ("\"\\u0041\u{FEFF}\u{FEFF}b\"", "A\u{FEFF}\u{FEFF}b"),
    ] {
      let value = try parse(text)
      XCTAssertEqual(
        value.stringValue.map { Array($0.unicodeScalars) }, Array(expected.unicodeScalars), text)
    }
    let keyed = try parse("{\"\u{FEFF}k\":true}")
    XCTAssertEqual(keyed.objectMembers?.first?.key.unicodeScalars.first, "\u{FEFF}")
  }

  func testReadNamesTheFile() throws {
    let directory = try temporaryDirectory(self)
    let url = try writeFile(Array("{\"a\": [1, 2".utf8), "c.json", in: directory)
    assertThrows(.invalidJSON(file: url.path, reason: "unexpected end of input", offset: 11)) {
      () throws(FormatError) in try JSONValue.read(url)
    }
    let missing = directory.appendingPathComponent("none.json")
    XCTAssertThrowsError(try JSONValue.read(missing)) { error in
      XCTAssertTrue("\(error)".hasPrefix(missing.path + ": cannot read"), "\(error)")
    }
  }
}
