import Foundation
import XCTest

@testable import MedusaFormats

/// Round trips through `SafetensorsWriter` and `SafetensorsFile`, and `floats()` widening.
final class SafetensorsWriterTests: XCTestCase {
  private func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

  func testRoundTrip() throws {
    let directory = try temporaryDirectory(self)
    let url = directory.appendingPathComponent("heads.safetensors")
    let f32: [Float] = [1, -2.5, 3.25, .infinity, -0.0, .leastNonzeroMagnitude]
    let i64: [Int64] = [1, -1, 1 << 40]
    try SafetensorsWriter.write(
      [
        (name: "w\"q\\\n", dtype: .f32, shape: [2, 3], bytes: bytes(f32)),
        (name: "ids", dtype: .i64, shape: [3], bytes: bytes(i64)),
        (name: "none", dtype: .f16, shape: [0], bytes: []),
        (name: "flag", dtype: .bool, shape: [], bytes: [1]),
      ], metadata: ["format": "pt", "ünï": "\u{1}"], to: url)
    let file = try SafetensorsFile(url: url)
    XCTAssertEqual(file.names, ["w\"q\\\n", "ids", "none", "flag"])
    XCTAssertEqual(file.metadata, ["format": "pt", "ünï": "\u{1}"])
    let w = try file.tensor("w\"q\\\n")
    XCTAssertEqual(w.dtype, .f32)
    XCTAssertEqual(w.shape, [2, 3])
    XCTAssertEqual(w.elementCount, 6)
    XCTAssertEqual(try w.floats().map(\.bitPattern), f32.map(\.bitPattern))
    XCTAssertEqual(Array(try file.tensor("ids").bytes), bytes(i64))
    XCTAssertEqual(try file.tensor("flag").elementCount, 1)
    let raw = try Data(contentsOf: url)
    let headerLength = raw.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes like the Python writer")
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: directory.path), ["heads.safetensors"])
    assertThrows(.notFloatingPoint(file: url.path, tensor: "ids", dtype: "I64")) {
      () throws(FormatError) in
      try file.tensor("ids").floats()
    }
  }

  func testWriterRejectsInconsistentTensors() throws {
    let url = try temporaryDirectory(self).appendingPathComponent("x.safetensors")
    let path = url.path
    assertThrows(
      .invalidTensorForWriting(file: path, tensor: "a", reason: "3 bytes given, shape needs 4")
    ) {
      () throws(FormatError) in
      try SafetensorsWriter.write(
        [(name: "a", dtype: .f32, shape: [1], bytes: [0, 0, 0])], metadata: [:], to: url)
    }
    assertThrows(
      .invalidTensorForWriting(file: path, tensor: "a", reason: "duplicate or reserved name")
    ) {
      () throws(FormatError) in
      try SafetensorsWriter.write(
        [
          (name: "a", dtype: .u8, shape: [1], bytes: [0]),
          (name: "a", dtype: .u8, shape: [1], bytes: [0]),
        ],
        metadata: [:], to: url)
    }
    assertThrows(
      .invalidTensorForWriting(file: path, tensor: "a", reason: "negative dimension in [-1]")
    ) {
      () throws(FormatError) in
      try SafetensorsWriter.write(
        [(name: "a", dtype: .u8, shape: [-1], bytes: [])], metadata: [:], to: url)
    }
    XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    let missing = URL(fileURLWithPath: "/nonexistent-dir/x.safetensors")
    assertThrows(.unwritable(file: missing.path, reason: "No such file or directory")) {
      () throws(FormatError) in
      try SafetensorsWriter.write([], metadata: [:], to: missing)
    }
  }

  func testHalfAndBFloatWideningIsExact() throws {
    let url = try temporaryDirectory(self).appendingPathComponent("h.safetensors")
    // Every 16-bit pattern: f16 widening must match Float(Float16), bf16 must be bits << 16.
    let patterns = (0...UInt16.max).map { $0 }
    try SafetensorsWriter.write(
      [
        (name: "h", dtype: .f16, shape: [patterns.count], bytes: bytes(patterns)),
        (name: "b", dtype: .bf16, shape: [patterns.count], bytes: bytes(patterns)),
      ], metadata: [:], to: url)
    let file = try SafetensorsFile(url: url)
    let halves = try file.tensor("h").floats()
    let bfloats = try file.tensor("b").floats()
    for (i, bits) in patterns.enumerated() {
      let half = Float16(bitPattern: bits)
      if half.isNaN {
        XCTAssertTrue(halves[i].isNaN)
      } else {
        XCTAssertEqual(halves[i].bitPattern, Float(half).bitPattern)
      }
      XCTAssertEqual(bfloats[i].bitPattern, UInt32(bits) << 16)
    }
    XCTAssertEqual(halves[0x3C00], 1)
    XCTAssertEqual(halves[0x0001], 5.9604645e-08)
    XCTAssertEqual(bfloats[0x3F80], 1)
  }

  func testTensorKeepsFileMappedAfterFileObjectIsGone() throws {
    let url = try temporaryDirectory(self).appendingPathComponent("k.safetensors")
    try SafetensorsWriter.write(
      [(name: "a", dtype: .f32, shape: [1], bytes: bytes([Float(7)]))], metadata: [:], to: url)
    let tensor = try SafetensorsFile(url: url).tensor("a")
    XCTAssertEqual(try tensor.floats(), [7])
  }
}
