import Foundation
import XCTest

@testable import MedusaFormats

/// Every way a safetensors file is rejected on open, each built as a lying file in a temp dir.
final class SafetensorsValidationTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/")

  override func setUpWithError() throws { directory = try temporaryDirectory(self) }

  /// Opens a file with `header` and `data`, expecting `error(path)`.
  private func assertRejects(
    header: String, data: [UInt8] = [], line: UInt = #line, _ error: (String) -> FormatError
  ) throws {
    let url = try writeFile(
      safetensorsBytes(header: header, data: data), "t.safetensors", in: directory)
    assertThrows(error(url.path), line: line) { () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
  }

  private func entry(
    _ name: String = "a", dtype: String = "\"F32\"", shape: String = "[2]",
    offsets: String = "[0,8]"
  )
    -> String
  { "\"\(name)\":{\"dtype\":\(dtype),\"shape\":\(shape),\"data_offsets\":\(offsets)}" }

  func testFileShorterThanEightBytes() throws {
    let url = try writeFile([1, 2, 3], "t.safetensors", in: directory)
    assertThrows(.fileTooSmall(file: url.path, size: 3)) { () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
    let empty = try writeFile([], "e.safetensors", in: directory)
    assertThrows(.fileTooSmall(file: empty.path, size: 0)) { () throws(FormatError) in
      try SafetensorsFile(url: empty)
    }
  }

  func testHeaderLengthPastEndOfFile() throws {
    var bytes = safetensorsBytes(header: "{}")
    bytes[0] = 200
    let url = try writeFile(bytes, "t.safetensors", in: directory)
    assertThrows(.headerTruncated(file: url.path, headerLength: 200, fileSize: 10)) {
      () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
  }

  func testHeaderLengthAbsurd() throws {
    var bytes = safetensorsBytes(header: "{}")
    bytes.replaceSubrange(0..<8, with: [0, 0, 0, 0, 0, 0, 0, 0x80])
    let url = try writeFile(bytes, "t.safetensors", in: directory)
    let length: UInt64 = 1 << 63
    assertThrows(.headerTooLarge(file: url.path, headerLength: length, limit: 100_000_000)) {
      () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
  }

  func testMissingFileIsUnreadable() throws {
    let url = directory.appendingPathComponent("missing.safetensors")
    assertThrows(.unreadable(file: url.path, reason: "No such file or directory")) {
      () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
    assertThrows(.unreadable(file: directory.path, reason: "not a regular file")) {
      () throws(FormatError) in
      try SafetensorsFile(url: directory)
    }
  }

  func testHeaderNotUTF8() throws {
    let url = try writeFile(
      safetensorsBytes(header: "{}").dropLast() + [0xFF], "t.safetensors", in: directory)
    assertThrows(.headerNotUTF8(file: url.path)) { () throws(FormatError) in
      try SafetensorsFile(url: url)
    }
  }

  func testHeaderNotJSON() throws {
    try assertRejects(header: "{\"a\":}") {
      .headerNotJSON(file: $0, reason: "unexpected character at header byte 5")
    }
    try assertRejects(header: "{\"a\":{},}") {
      .headerNotJSON(file: $0, reason: "expected a string key at header byte 8")
    }
    try assertRejects(header: "{} x") {
      .headerNotJSON(file: $0, reason: "trailing characters at header byte 3")
    }
  }

  func testHeaderNotObject() throws {
    try assertRejects(header: "[1,2]") { .headerNotObject(file: $0) }
    try assertRejects(header: "\"{}\"") { .headerNotObject(file: $0) }
  }

  func testDuplicateKey() throws {
    try assertRejects(header: "{\(entry()),\(entry())}", data: Array(repeating: 0, count: 8)) {
      .duplicateKey(file: $0, key: "a")
    }
  }

  func testMissingFields() throws {
    for field in ["dtype", "shape", "data_offsets"] {
      let fields = ["\"dtype\":\"F32\"", "\"shape\":[2]", "\"data_offsets\":[0,8]"].filter {
        !$0.hasPrefix("\"\(field)\"")
      }
      try assertRejects(
        header: "{\"a\":{\(fields.joined(separator: ","))}}", data: Array(repeating: 0, count: 8)
      ) {
        .missingField(file: $0, tensor: "a", field: field)
      }
    }
  }

  func testWrongFieldTypes() throws {
    let data = [UInt8](repeating: 0, count: 8)
    try assertRejects(header: "{\"a\":[1]}", data: data) {
      .wrongFieldType(file: $0, tensor: "a", field: "(entry)", expected: "an object")
    }
    try assertRejects(header: "{\(entry(dtype: "7"))}", data: data) {
      .wrongFieldType(file: $0, tensor: "a", field: "dtype", expected: "a string")
    }
    try assertRejects(header: "{\(entry(shape: "2"))}", data: data) {
      .wrongFieldType(file: $0, tensor: "a", field: "shape", expected: "an array")
    }
    for offsets in [
      "[0]", "[0,8,8]", "\"0,8\"", "[0.0,8]", "[-1,8]", "[0,true]", "[0,99999999999999999999]",
    ] {
      try assertRejects(header: "{\(entry(offsets: offsets))}", data: data) {
        .wrongFieldType(
          file: $0, tensor: "a", field: "data_offsets", expected: "two non-negative integers")
      }
    }
  }

  func testUnknownDType() throws {
    try assertRejects(header: "{\(entry(dtype: "\"F31\""))}", data: Array(repeating: 0, count: 8)) {
      .unknownDType(file: $0, tensor: "a", dtype: "F31")
    }
  }

  func testInvalidShapeDimensions() throws {
    for (dim, text) in [("-2", "-2"), ("2.0", "2.0"), ("\"2\"", "\"2\""), ("null", "null")] {
      try assertRejects(
        header: "{\(entry(shape: "[\(dim)]"))}", data: Array(repeating: 0, count: 8)
      ) {
        .invalidShape(file: $0, tensor: "a", value: text)
      }
    }
  }

  func testShapeOverflow() throws {
    let huge = "[4611686018427387904,4611686018427387904]"
    try assertRejects(header: "{\(entry(shape: huge))}", data: Array(repeating: 0, count: 8)) {
      .shapeOverflow(file: $0, tensor: "a", shape: [1 << 62, 1 << 62])
    }
  }

  func testBeginAfterEnd() throws {
    try assertRejects(header: "{\(entry(offsets: "[8,0]"))}", data: Array(repeating: 0, count: 8)) {
      .offsetsReversed(file: $0, tensor: "a", begin: 8, end: 0)
    }
  }

  func testOffsetsPastDataSection() throws {
    try assertRejects(header: "{\(entry(offsets: "[0,8]"))}", data: Array(repeating: 0, count: 4)) {
      .offsetsOutOfBounds(file: $0, tensor: "a", end: 8, dataSize: 4)
    }
  }

  func testOverlappingRanges() throws {
    try assertRejects(
      header: "{\(entry()),\(entry("b", offsets: "[4,12]"))}", data: Array(repeating: 0, count: 12)
    ) {
      .overlappingTensors(file: $0, tensor: "b", other: "a", offset: 4)
    }
  }

  func testByteCountMismatch() throws {
    try assertRejects(header: "{\(entry(shape: "[3]"))}", data: Array(repeating: 0, count: 8)) {
      .byteCountMismatch(file: $0, tensor: "a", expected: 12, actual: 8)
    }
    try assertRejects(
      header: "{\(entry(dtype: "\"F4\"", shape: "[3]", offsets: "[0,1]"))}", data: [0]
    ) {
      .misalignedSubByteTensor(file: $0, tensor: "a", bits: 12)
    }
  }

  func testGapsAndTrailingBytes() throws {
    try assertRejects(header: "{\(entry(offsets: "[4,12]"))}", data: Array(repeating: 0, count: 12))
    {
      .gapInData(file: $0, offset: 0, nextTensor: "a", nextBegin: 4)
    }
    try assertRejects(
      header: "{\(entry()),\(entry("b", offsets: "[12,20]"))}", data: Array(repeating: 0, count: 20)
    ) {
      .gapInData(file: $0, offset: 8, nextTensor: "b", nextBegin: 12)
    }
    try assertRejects(header: "{\(entry())}", data: Array(repeating: 0, count: 9)) {
      .trailingBytes(file: $0, offset: 8, dataSize: 9)
    }
    try assertRejects(header: "{}", data: [0]) { .trailingBytes(file: $0, offset: 0, dataSize: 1) }
  }

  func testMetadataMustBeStringToString() throws {
    try assertRejects(header: "{\"__metadata__\":{\"format\":1}}") {
      .invalidMetadata(file: $0, key: "format")
    }
    try assertRejects(header: "{\"__metadata__\":[\"pt\"]}") { .invalidMetadata(file: $0, key: "") }
  }

  func testEmptyDataSection() throws {
    let url = try writeFile(
      safetensorsBytes(
        header: "{\"__metadata__\":{\"k\":\"v\"},\(entry(shape: "[0,3]", offsets: "[0,0]"))}  "),
      "t.safetensors", in: directory)
    let file = try SafetensorsFile(url: url)
    XCTAssertEqual(file.metadata, ["k": "v"])
    XCTAssertEqual(file.names, ["a"])
    let tensor = try file.tensor("a")
    XCTAssertEqual(tensor.shape, [0, 3])
    XCTAssertEqual(tensor.bytes.count, 0)
    XCTAssertEqual(try tensor.floats(), [])
    let bare = try writeFile(
      safetensorsBytes(header: " \n{}\t "), "bare.safetensors", in: directory)
    XCTAssertEqual(try SafetensorsFile(url: bare).names, [])
  }

  func testMissingTensorNamesFile() throws {
    let url = try writeFile(safetensorsBytes(header: "{}"), "t.safetensors", in: directory)
    let file = try SafetensorsFile(url: url)
    assertThrows(.tensorNotFound(name: "x", searched: [url.path])) { () throws(FormatError) in
      try file.tensor("x")
    }
  }

  func testErrorDescriptionsNameFileAndTensor() {
    let error = FormatError.offsetsOutOfBounds(
      file: "/m/a.safetensors", tensor: "w", end: 9, dataSize: 4)
    XCTAssertEqual(
      error.description,
      "/m/a.safetensors: tensor 'w': data_offsets end 9 is past the 4-byte data section")
  }
}
