import Foundation
import XCTest

@testable import MedusaTokenizer

/// The NFC, NFD, NFKC and NFKD normalizers against Python's unicodedata on
/// every code point assigned in its Unicode version and on every decomposition pair
/// (Golden/tokenizers/unicode_normalization.json, Golden/tools/tokenizers/make_normalization_refs.py),
/// plus every Hangul syllable, LV + T, L + V and L + V + T by the Hangul algorithm.
final class NormalizationGoldenTests: XCTestCase {
  private static let forms: [(name: String, normalizer: Normalizer)] = [
    ("NFC", .nfc), ("NFD", .nfd), ("NFKC", .nfkc), ("NFKD", .nfkd),
  ]

  private func normalized(_ scalars: [Unicode.Scalar], _ form: Int) -> [UInt32] {
    var text = scalars
    Self.forms[form].normalizer.apply(&text)
    return text.map(\.value)
  }

  /// Hex code points separated by spaces.
  private func values(_ field: Substring) throws -> [UInt32] {
    try field.split(separator: " ").map { try XCTUnwrap(UInt32($0, radix: 16), String($0)) }
  }

  private func scalars(_ values: [UInt32]) throws -> [Unicode.Scalar] {
    try values.map { try XCTUnwrap(Unicode.Scalar($0)) }
  }

  private func strings(_ golden: JSON, _ key: String) throws -> [String] {
    let items = try XCTUnwrap(golden[key]?.arrayElements, "no \(key)")
    return try items.map { try XCTUnwrap($0.stringValue, key) }
  }

  /// Reports up to 10 mismatches, then counts them.
  private func expect(
    _ got: [UInt32], _ expected: [UInt32], _ what: @autoclosure () -> String,
    failures: inout Int
  ) {
    guard got != expected else { return }
    if failures < 10 {
      let hex = { (v: [UInt32]) in v.map { String($0, radix: 16) }.joined(separator: " ") }
      XCTFail("\(what()): got \(hex(got)), expected \(hex(expected))")
    }
    failures += 1
  }

  func testEveryAssignedCodePoint() throws {
    let golden = try GoldenFiles.json("unicode_normalization.json")
    var table: [UInt32: [[UInt32]?]] = [:]
    for line in try strings(golden, "code_points") {
      let fields = line.split(separator: ";", omittingEmptySubsequences: false)
      XCTAssertEqual(fields.count, 5, line)
      guard fields.count == 5, let cp = UInt32(fields[0], radix: 16) else { continue }
      table[cp] = try fields[1...].map { $0.isEmpty ? nil : try values($0) }
    }
    XCTAssertGreaterThan(table.count, 5000)
    let hangul = 0xAC00...0xD7A3 as ClosedRange<UInt32>
    var count = 0
    var failures = 0
    for range in try strings(golden, "assigned") {
      let bounds = try range.split(separator: "-").map { try XCTUnwrap(UInt32($0, radix: 16)) }
      guard bounds.count == 2 else { return XCTFail("bad range \(range)") }
      for cp in bounds[0]...bounds[1] {
        count += 1
        let scalar = try XCTUnwrap(Unicode.Scalar(cp))
        var expected: [[UInt32]]
        if hangul.contains(cp) {
          let jamo = Self.jamo(cp)
          expected = [[cp], jamo, [cp], jamo]
        } else {
          let row = table[cp] ?? [nil, nil, nil, nil]
          let nfc = row[0] ?? [cp]
          let nfd = row[1] ?? [cp]
          expected = [nfc, nfd, row[2] ?? nfc, row[3] ?? nfd]
        }
        for form in 0..<4 {
          expect(
            normalized([scalar], form), expected[form],
            "\(Self.forms[form].name) of U+\(String(cp, radix: 16))", failures: &failures)
        }
      }
    }
    XCTAssertEqual(count, golden["assigned_count"]?.integerValue)
    XCTAssertEqual(failures, 0, "unicodedata \(golden["unidata_version"]?.stringValue ?? "?")")
  }

  func testEveryDecompositionPair() throws {
    let golden = try GoldenFiles.json("unicode_normalization.json")
    var failures = 0
    let lines = try strings(golden, "sequences")
    XCTAssertGreaterThan(lines.count, 2000)
    for line in lines {
      let fields = line.split(separator: ";", omittingEmptySubsequences: false)
      XCTAssertEqual(fields.count, 5, line)
      guard fields.count == 5 else { continue }
      let input = try scalars(try values(fields[0]))
      for form in 0..<4 {
        expect(
          normalized(input, form), try values(fields[form + 1]),
          "\(Self.forms[form].name) of \(fields[0])", failures: &failures)
      }
    }
    XCTAssertEqual(failures, 0)
  }

  /// LV + T, L + V and L + V + T for every syllable: the composing forms give the syllable,
  /// the decomposing forms the jamo. Foundation's composition alone left LV + T apart.
  func testHangulPairsCompose() throws {
    var failures = 0
    for syllable in UInt32(0xAC00)...0xD7A3 {
      let jamo = Self.jamo(syllable)
      var inputs = [jamo]
      let t = (syllable - 0xAC00) % 28
      if t != 0 { inputs.append([syllable - t, 0x11A7 + t]) }
      for input in inputs {
        let text = try scalars(input)
        for form in 0..<4 {
          let expected = form % 2 == 0 ? [syllable] : jamo
          expect(
            normalized(text, form), expected,
            "\(Self.forms[form].name) of \(input.map { String($0, radix: 16) })",
            failures: &failures)
        }
      }
    }
    XCTAssertEqual(failures, 0)
    XCTAssertEqual(normalized(try scalars([0xD558, 0x11AB]), 0), [0xD55C], "하 + ᆫ = 한")
  }

  /// The jamo of a Hangul syllable (Unicode §3.12).
  private static func jamo(_ syllable: UInt32) -> [UInt32] {
    let index = syllable - 0xAC00
    let l = 0x1100 + index / 588
    let v = 0x1161 + (index % 588) / 28
    let t = index % 28
    return t == 0 ? [l, v] : [l, v, 0x11A7 + t]
  }
}
