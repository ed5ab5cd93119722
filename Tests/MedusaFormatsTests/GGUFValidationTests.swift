import Foundation
import XCTest

@testable import MedusaFormats

/// Every way a GGUF file is rejected on open, one lying file each, asserting the exact error.
final class GGUFValidationTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/")

  override func setUpWithError() throws { directory = try temporaryDirectory(self) }

  /// Opens `bytes` as a file, expecting `error(path)`.
  private func assertRejects(
    _ bytes: [UInt8], line: UInt = #line, _ error: (String) -> FormatError
  ) throws {
    let url = try writeFile(bytes, "t.gguf", in: directory)
    assertThrows(error(url.path), line: line) { () throws(FormatError) in
      try GGUFFile(url: url)
    }
  }

  private func assertRejects(
    _ builder: GGUFBuilder, line: UInt = #line, _ error: (String) -> FormatError
  ) throws {
    try assertRejects(builder.bytes(), line: line, error)
  }

  /// A builder with one tensor of `dimensions` and `type`.
  private func oneTensor(_ dimensions: [UInt64], type: GGMLType = .f32) -> GGUFBuilder {
    GGUFBuilder(tensors: [.init("w", dimensions, type: type)])
  }

  // MARK: Header

  func testBadMagic() throws {
    try assertRejects(GGUFBuilder(magic: Array("GGML".utf8))) {
      .ggufBadMagic(file: $0, magic: Array("GGML".utf8))
    }
    try assertRejects([0x7F, 0x45]) { .ggufBadMagic(file: $0, magic: [0x7F, 0x45]) }
  }

  func testEmptyAndShortFilesAreTruncated() throws {
    try assertRejects([]) { .ggufTruncated(file: $0, what: "the magic", offset: 0) }
    try assertRejects(Array("GGU".utf8)) {
      .ggufTruncated(file: $0, what: "the magic", offset: 0)
    }
    try assertRejects(Array("GGUF".utf8) + [3, 0]) {
      .ggufTruncated(file: $0, what: "the version", offset: 4)
    }
  }

  func testVersionOneRejectedByName() throws {
    try assertRejects(GGUFBuilder(version: 1)) { .ggufVersion1(file: $0) }
  }

  func testUnknownVersions() throws {
    try assertRejects(GGUFBuilder(version: 4)) { .ggufUnknownVersion(file: $0, version: 4) }
    try assertRejects(GGUFBuilder(version: 0)) { .ggufUnknownVersion(file: $0, version: 0) }
  }

  func testBigEndianRejectedByName() throws {
    try assertRejects(GGUFBuilder(version: UInt32(3).byteSwapped)) {
      .ggufBigEndian(file: $0, version: 3)
    }
  }

  func testTensorCountBoundedByFile() throws {
    let builder = GGUFBuilder(tensorCount: 1 << 40)
    try assertRejects(builder) {
      .ggufCountTooLarge(
        file: $0, what: "tensor count", count: 1 << 40, minimumSize: 32, offset: 8,
        available: 16)
    }
    try assertRejects(GGUFBuilder(tensorCount: UInt64.max)) {
      .ggufCountTooLarge(
        file: $0, what: "tensor count", count: .max, minimumSize: 32, offset: 8, available: 16)
    }
  }

  func testMetadataCountBoundedByFile() throws {
    try assertRejects(GGUFBuilder(entryCount: 3)) {
      .ggufCountTooLarge(
        file: $0, what: "metadata count", count: 3, minimumSize: 13, offset: 16, available: 8)
    }
  }

  // MARK: Metadata

  func testStringLengthBoundedByFile() throws {
    let lying = le(UInt64(1) << 63) + Array("key".utf8)
    try assertRejects(GGUFBuilder(rawEntries: [lying])) {
      .ggufStringTooLong(
        file: $0, what: "metadata key 0", length: 1 << 63, offset: 24, available: 32)
    }
    let value = GGUFBuilder.string("k") + le(GGUFValueType.string.rawValue) + le(UInt64(100))
    try assertRejects(GGUFBuilder(rawEntries: [value])) {
      .ggufStringTooLong(
        file: $0, what: "the value of key 'k'", length: 100, offset: 37, available: 19)
    }
  }

  func testKeysAndStringsMustBeUTF8() throws {
    let badKey = le(UInt64(2)) + [0xC3, 0x28] + le(UInt32(0)) + [1]
    try assertRejects(GGUFBuilder(rawEntries: [badKey])) {
      .ggufNotUTF8(file: $0, what: "metadata key 0", offset: 32)
    }
    let badValue =
      GGUFBuilder.string("k") + le(GGUFValueType.string.rawValue) + le(UInt64(1))
      + [0xFF]
    try assertRejects(GGUFBuilder(rawEntries: [badValue])) {
      .ggufNotUTF8(file: $0, what: "the value of key 'k'", offset: 45)
    }
    var builder = oneTensor([2])
    builder.tensors[0].rawName = [0x80]
    try assertRejects(builder) { .ggufNotUTF8(file: $0, what: "the name of tensor 0", offset: 32) }
  }

  func testEmptyKey() throws {
    try assertRejects(GGUFBuilder(metadata: [("", .uint8(1))])) {
      .ggufEmptyKey(file: $0, offset: 24)
    }
  }

  func testUnknownValueType() throws {
    let entry = GGUFBuilder.string("k") + le(UInt32(13)) + [0, 0, 0, 0]
    try assertRejects(GGUFBuilder(rawEntries: [entry])) {
      .ggufUnknownValueType(file: $0, key: "k", type: 13, offset: 33)
    }
  }

  func testUnknownArrayElementType() throws {
    let entry =
      GGUFBuilder.string("k") + le(GGUFValueType.array.rawValue) + le(UInt32(99))
      + le(UInt64(0))
    try assertRejects(GGUFBuilder(rawEntries: [entry])) {
      .ggufUnknownValueType(file: $0, key: "k", type: 99, offset: 37)
    }
    // An unknown type inside a nested array.
    let nested =
      GGUFBuilder.string("n") + le(GGUFValueType.array.rawValue)
      + le(GGUFValueType.array.rawValue) + le(UInt64(1)) + le(UInt32(77)) + le(UInt64(0))
    try assertRejects(GGUFBuilder(rawEntries: [nested])) {
      .ggufUnknownValueType(file: $0, key: "n", type: 77, offset: 49)
    }
  }

  func testNestingBounded() throws {
    var entry = GGUFBuilder.string("deep") + le(GGUFValueType.array.rawValue)
    for _ in 0..<20 { entry += le(GGUFValueType.array.rawValue) + le(UInt64(1)) }
    entry += le(GGUFValueType.uint8.rawValue) + le(UInt64(0))
    try assertRejects(GGUFBuilder(rawEntries: [entry])) {
      .ggufNestingTooDeep(file: $0, key: "deep", limit: 16, offset: 40 + 16 * 12)
    }
  }

  func testArrayCountBoundedByFile() throws {
    let entry =
      GGUFBuilder.string("k") + le(GGUFValueType.array.rawValue)
      + le(GGUFValueType.uint32.rawValue) + le(UInt64(1) << 62) + [1, 2, 3, 4]
    try assertRejects(GGUFBuilder(rawEntries: [entry])) {
      .ggufCountTooLarge(
        file: $0, what: "array count of key 'k'", count: 1 << 62, minimumSize: 4, offset: 41,
        available: 15)
    }
    let strings =
      GGUFBuilder.string("s") + le(GGUFValueType.array.rawValue)
      + le(GGUFValueType.string.rawValue) + le(UInt64(2)) + le(UInt64(0))
    try assertRejects(GGUFBuilder(rawEntries: [strings])) {
      .ggufCountTooLarge(
        file: $0, what: "array count of key 's'", count: 2, minimumSize: 8, offset: 41,
        available: 15)
    }
  }

  func testInvalidBool() throws {
    let entry = GGUFBuilder.string("b") + le(GGUFValueType.bool.rawValue) + [2]
    try assertRejects(GGUFBuilder(rawEntries: [entry])) {
      .ggufInvalidBool(file: $0, key: "b", byte: 2, offset: 37)
    }
  }

  func testDuplicateKey() throws {
    try assertRejects(GGUFBuilder(metadata: [("a", .uint8(1)), ("b", .uint8(2)), ("a", .int8(3))]))
    { .ggufDuplicateKey(file: $0, key: "a") }
  }

  func testMessagesStayOnOneLine() throws {
    let url = try writeFile(
      GGUFBuilder(metadata: [("a\nb", .uint8(1)), ("a\nb", .uint8(2))]).bytes(), "t.gguf",
      in: directory)
    assertThrows(.ggufDuplicateKey(file: url.path, key: "a\nb")) { () throws(FormatError) in
      try GGUFFile(url: url)
    }
    XCTAssertEqual(
      FormatError.ggufDuplicateKey(file: "f", key: "a\nb\u{2028}").description,
      "f: metadata key 'a\\u{A}b\\u{2028}' appears twice")
  }

  func testCanonicallyEquivalentKeysAreDistinct() throws {
    let builder = GGUFBuilder(metadata: [("\u{E9}", .uint8(1)), ("e\u{301}", .uint8(2))])
    let file = try GGUFFile(url: writeFile(builder.bytes(), "t.gguf", in: directory))
    XCTAssertEqual(file.value("\u{E9}"), .uint8(1))
    XCTAssertEqual(file.value("e\u{301}"), .uint8(2))
  }

  func testAlignmentMustBeUInt32() throws {
    try assertRejects(GGUFBuilder(metadata: [("general.alignment", .uint64(32))])) {
      .ggufAlignmentType(file: $0, type: "UINT64")
    }
  }

  func testAlignmentMustBePowerOfTwo() throws {
    try assertRejects(GGUFBuilder(metadata: [("general.alignment", .uint32(0))])) {
      .ggufInvalidAlignment(file: $0, alignment: 0)
    }
    try assertRejects(GGUFBuilder(metadata: [("general.alignment", .uint32(48))])) {
      .ggufInvalidAlignment(file: $0, alignment: 48)
    }
  }

  // MARK: Tensor infos

  func testDuplicateTensor() throws {
    let builder = GGUFBuilder(tensors: [.init("w", [2]), .init("v", [2]), .init("w", [2])])
    try assertRejects(builder) { .ggufDuplicateTensor(file: $0, tensor: "w") }
  }

  func testUnknownGGMLType() throws {
    for number: UInt32 in [4, 31, 42, 1000] {
      var builder = oneTensor([32])
      builder.tensors[0].type = number
      try assertRejects(builder) { .ggufUnknownTensorType(file: $0, tensor: "w", type: number) }
    }
  }

  func testDimensionCount() throws {
    try assertRejects(oneTensor([])) { .ggufDimensionCount(file: $0, tensor: "w", count: 0) }
    try assertRejects(oneTensor([1, 1, 1, 1, 1])) {
      .ggufDimensionCount(file: $0, tensor: "w", count: 5)
    }
  }

  func testDimensionsMustFitInt64() throws {
    try assertRejects(oneTensor([1 << 63])) {
      .ggufShapeOverflow(file: $0, tensor: "w", dimensions: [1 << 63])
    }
  }

  func testElementCountOverflow() throws {
    try assertRejects(oneTensor([1 << 32, 1 << 32])) {
      .ggufShapeOverflow(file: $0, tensor: "w", dimensions: [1 << 32, 1 << 32])
    }
  }

  func testByteSizeOverflow() throws {
    // 2^62 elements fit an Int; 2^62 * 4 bytes do not.
    try assertRejects(oneTensor([1 << 31, 1 << 31])) {
      .ggufShapeOverflow(file: $0, tensor: "w", dimensions: [1 << 31, 1 << 31])
    }
  }

  func testRowMustBeWholeBlocks() throws {
    try assertRejects(oneTensor([48, 2], type: .q4_0)) {
      .ggufRowNotBlockMultiple(file: $0, tensor: "w", type: "Q4_0", rowLength: 48, blockSize: 32)
    }
    try assertRejects(oneTensor([128], type: .q6_K)) {
      .ggufRowNotBlockMultiple(file: $0, tensor: "w", type: "Q6_K", rowLength: 128, blockSize: 256)
    }
  }

  // MARK: Data section

  func testMisalignedOffset() throws {
    let builder = GGUFBuilder(tensors: [.init("a", [2]), .init("b", [2], offset: 36)])
    try assertRejects(builder) {
      .ggufMisalignedTensor(file: $0, tensor: "b", offset: 36, alignment: 32)
    }
  }

  func testOffsetPastTheEnd() throws {
    // Header: 24 + 33 ("a") + 35 ("far") = 92 bytes, padded to 96; then 64 data bytes.
    var builder = GGUFBuilder(tensors: [.init("a", [2]), .init("far", [2], offset: 1 << 40)])
    builder.trailing = [UInt8](repeating: 0, count: 64)
    try assertRejects(builder) {
      .ggufTensorOutOfBounds(file: $0, tensor: "far", offset: 1 << 40, byteCount: 8, dataSize: 64)
    }
    let beyondInt = UInt64.max - 31  // aligned, but not an Int
    builder.tensors[1].offset = beyondInt
    builder.trailing = [UInt8](repeating: 0, count: 32)  // after the builder's 32 data bytes
    try assertRejects(builder) {
      .ggufTensorOutOfBounds(
        file: $0, tensor: "far", offset: beyondInt, byteCount: 8, dataSize: 64)
    }
  }

  func testTensorBytesPastTheEnd() throws {
    // Header 57 bytes, padded to 64; the tensor's 8 bytes are cut to 4.
    try assertRejects(Array(oneTensor([2]).bytes().prefix(64 + 4))) {
      .ggufTensorOutOfBounds(file: $0, tensor: "w", offset: 0, byteCount: 8, dataSize: 4)
    }
  }

  func testDataSectionStartInsideFile() throws {
    // The tensor infos end at byte 57; the data section would start at 64.
    try assertRejects(Array(oneTensor([0]).bytes().prefix(60))) {
      .ggufDataOffsetOutOfBounds(file: $0, dataOffset: 64, fileSize: 60)
    }
  }

  func testOverlappingTensors() throws {
    let builder = GGUFBuilder(tensors: [
      .init("a", [8], offset: 0), .init("b", [16], offset: 32), .init("c", [2], offset: 96),
      .init("inside", [8], offset: 32),
    ])
    try assertRejects(builder) {
      .overlappingTensors(file: $0, tensor: "b", other: "inside", offset: 32)
    }
  }

  func testEveryErrorHasAOneLineDescription() throws {
    let url = try writeFile(oneTensor([48], type: .q4_0).bytes(), "t.gguf", in: directory)
    do {
      _ = try GGUFFile(url: url)
      XCTFail("expected an error")
    } catch {
      XCTAssertEqual(
        error.description,
        "\(url.path): tensor 'w': row of 48 elements is not a multiple of the Q4_0 block size 32")
    }
  }
}
