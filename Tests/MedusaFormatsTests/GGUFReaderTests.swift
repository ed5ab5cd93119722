import Foundation
import XCTest

@testable import MedusaFormats

/// Valid GGUF files built in memory: every value type, alignment, versions, tensor access.
final class GGUFReaderTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/")

  override func setUpWithError() throws { directory = try temporaryDirectory(self) }

  private func open(_ builder: GGUFBuilder, _ name: String = "t.gguf") throws -> GGUFFile {
    let url = try writeFile(builder.bytes(), name, in: directory)
    do {
      return try GGUFFile(url: url)
    } catch {
      XCTFail("\(error)")
      throw error
    }
  }

  /// One value of every type, arrays of every element type, empty and nested arrays.
  static let everyValue: [(key: String, value: GGUFValue)] = [
    ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(65_000)), ("i16", .int16(-30_000)),
    ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)),
    ("u64", .uint64(UInt64.max)), ("i64", .int64(Int64.min)), ("f32", .float32(-1.5e-7)),
    ("f64", .float64(1e300)), ("yes", .bool(true)), ("no", .bool(false)),
    ("text", .string("héllo ▁ 🦙")), ("empty text", .string("")),
    ("u8s", .array(elementType: .uint8, values: [.uint8(0), .uint8(255)])),
    ("i8s", .array(elementType: .int8, values: [.int8(-128), .int8(127)])),
    ("u16s", .array(elementType: .uint16, values: [.uint16(1)])),
    ("i16s", .array(elementType: .int16, values: [.int16(-1)])),
    ("u32s", .array(elementType: .uint32, values: [.uint32(7), .uint32(8)])),
    ("i32s", .array(elementType: .int32, values: [.int32(-7), .int32(3)])),
    ("u64s", .array(elementType: .uint64, values: [.uint64(1 << 40)])),
    ("i64s", .array(elementType: .int64, values: [.int64(-(1 << 40))])),
    ("f32s", .array(elementType: .float32, values: [.float32(0.25), .float32(-0.0)])),
    ("f64s", .array(elementType: .float64, values: [.float64(.pi)])),
    ("bools", .array(elementType: .bool, values: [.bool(true), .bool(false)])),
    ("strings", .array(elementType: .string, values: [.string("a b"), .string("")])),
    ("none", .array(elementType: .int32, values: [])),
    (
      "nested",
      .array(
        elementType: .array,
        values: [
          .array(elementType: .string, values: [.string("x")]),
          .array(elementType: .uint8, values: []),
          .array(
            elementType: .array, values: [.array(elementType: .float32, values: [.float32(2)])]),
        ])
    ),
  ]

  func testEveryValueTypeRoundTrips() throws {
    let file = try open(GGUFBuilder(metadata: Self.everyValue))
    XCTAssertEqual(file.metadataKeys, Self.everyValue.map(\.key))
    for (key, value) in Self.everyValue {
      XCTAssertEqual(file.value(key), value, key)
    }
    XCTAssertNil(file.value("missing"))
    XCTAssertEqual(file.tensorInfos, [])
    XCTAssertEqual(file.dataOffset % 32, 0)
  }

  func testConveniences() throws {
    let file = try open(GGUFBuilder(metadata: Self.everyValue))
    XCTAssertEqual(file.value("u8")?.int, 200)
    XCTAssertEqual(file.value("i64")?.int, Int(Int64.min))
    XCTAssertNil(file.value("u64")?.int, "UInt64.max does not fit an Int")
    XCTAssertNil(file.value("f32")?.int)
    XCTAssertEqual(file.value("f32")?.float, Double(Float(-1.5e-7)))
    XCTAssertEqual(file.value("f64")?.float, 1e300)
    XCTAssertNil(file.value("i32")?.float, "integers are not floats")
    XCTAssertEqual(file.value("yes")?.bool, true)
    XCTAssertNil(file.value("u8")?.bool)
    XCTAssertEqual(file.value("text")?.string, "héllo ▁ 🦙")
    XCTAssertEqual(file.value("strings")?.strings, ["a b", ""])
    XCTAssertNil(file.value("u8s")?.strings)
    XCTAssertEqual(file.value("i32s")?.ints, [-7, 3])
    XCTAssertEqual(file.value("u8s")?.ints, [0, 255])
    XCTAssertEqual(file.value("none")?.ints, [])
    XCTAssertNil(file.value("f32s")?.ints)
    XCTAssertEqual(file.value("f32s")?.floats, [0.25, -0.0])
    XCTAssertEqual(file.value("nested")?.array?.count, 3)
    XCTAssertEqual(file.value("u32")?.type, .uint32)
    XCTAssertEqual(GGUFValueType.float64.name, "FLOAT64")
  }

  func testTensorsDefaultAlignment() throws {
    var builder = GGUFBuilder(metadata: [("general.name", .string("t"))])
    builder.tensors = [
      .init("a", [3], type: .f32), .init("b", [64, 2], type: .q8_0), .init("c", [5], type: .f16),
    ]
    let file = try open(builder)
    XCTAssertEqual(file.alignment, 32)
    XCTAssertEqual(file.dataOffset % 32, 0)
    XCTAssertEqual(file.tensorNames, ["a", "b", "c"])
    let b = try file.tensor("b")
    XCTAssertEqual(b.info.dimensions, [64, 2])
    XCTAssertEqual(b.info.shape, [2, 64])
    XCTAssertEqual(b.info.offset, 32)
    XCTAssertEqual(b.info.byteCount, 4 * 34)
    XCTAssertEqual(b.info.rowBytes, 68)
    XCTAssertEqual(b.info.rowCount, 2)
    XCTAssertEqual(b.info.elementCount, 128)
    XCTAssertEqual(
      Array(b.bytes.prefix(3)), (0..<3).map { GGUFBuilder.patternByte(tensor: 1, at: $0) })
    XCTAssertEqual(b.bytes.count, 136)
    XCTAssertNil(b.plainTensor)
    let c = try file.tensor("c")
    XCTAssertEqual(c.info.offset, 32 + 160)
    XCTAssertEqual(c.plainTensor?.shape, [5])
    XCTAssertEqual(c.plainTensor?.dtype, .f16)
    XCTAssertEqual(Int(bitPattern: c.bytes.baseAddress) % 32, 0, "aligned in the mapping")
    assertThrows(.tensorNotFound(name: "d", searched: [file.url.path])) {
      () throws(FormatError) in try file.tensor("d")
    }
  }

  func testCustomAlignment() throws {
    for alignment in [1, 8, 64, 4096] {
      var builder = GGUFBuilder(
        metadata: [("general.alignment", .uint32(UInt32(alignment)))], alignment: alignment)
      builder.tensors = [.init("a", [3], type: .f32), .init("b", [2], type: .i8)]
      let file = try open(builder, "a\(alignment).gguf")
      XCTAssertEqual(file.alignment, alignment)
      XCTAssertEqual(file.dataOffset % alignment, 0)
      XCTAssertEqual(try file.tensor("b").info.offset, GGUFBuilder.padded(12, alignment))
    }
  }

  func testVersionsTwoAndThree() throws {
    for version: UInt32 in [2, 3] {
      var builder = GGUFBuilder(version: version, metadata: [("k", .string("v"))])
      builder.tensors = [.init("w", [4, 4], type: .bf16)]
      let file = try open(builder, "v\(version).gguf")
      XCTAssertEqual(file.version, Int(version))
      XCTAssertEqual(try file.tensor("w").plainTensor?.shape, [4, 4])
    }
  }

  func testEmptyTensorAndGapsAreAllowed() throws {
    // ggml reads ne >= 0, so a zero-sized tensor is valid; gguf-py allows unused gaps.
    var builder = GGUFBuilder()
    builder.tensors = [
      .init("empty", [0, 3], type: .q4_0, offset: 0), .init("a", [2], type: .f32, offset: 64),
    ]
    let file = try open(builder)
    XCTAssertEqual(try file.tensor("empty").bytes.count, 0)
    XCTAssertEqual(try file.tensor("empty").info.elementCount, 0)
    XCTAssertEqual(try file.tensor("a").info.offset, 64)
  }

  func testNoTensorsNeedNoDataSection() throws {
    // The header ends at 24 + entry bytes; the file stops there, without padding.
    var bytes = GGUFBuilder(metadata: [("k", .uint8(1))]).bytes()
    bytes.removeLast(bytes.count - (24 + 8 + 1 + 4 + 1))
    let file = try GGUFFile(url: writeFile(bytes, "n.gguf", in: directory))
    XCTAssertEqual(file.value("k"), .uint8(1))
    XCTAssertEqual(file.dataOffset, 64)
  }

  func testGGMLTypeTable() {
    XCTAssertEqual(GGMLType.allCases.count, 34)
    for type in GGMLType.allCases {
      XCTAssertEqual(GGMLType(name: type.name), type)
      XCTAssertEqual(type.isPlain, type.blockSize == 1)
    }
    XCTAssertEqual(GGMLType.q4_K.name, "Q4_K")
    XCTAssertEqual(GGMLType.iq2_xxs.name, "IQ2_XXS")
    XCTAssertEqual(GGMLType(rawValue: 30), .bf16)
    XCTAssertNil(GGMLType(rawValue: 4))
    XCTAssertEqual(GGMLType.q4_1.blockSize, 32)
    XCTAssertEqual(GGMLType.q4_1.blockBytes, 20)
    XCTAssertEqual(GGMLType.q6_K.blockBytes, 210)
    XCTAssertEqual(GGMLType(name: "q8_0"), .q8_0)
    XCTAssertNil(GGMLType(name: "Q4_2"))
  }
}
