import Foundation
import XCTest

@testable import MedusaFormats

/// Files written by an independent writer (gguf-py's GGUFWriter, Golden/tools/
/// make_gguf_fixtures.py) against what that script recorded, and the real SmolLM2 GGUF.
final class GGUFFixtureTests: XCTestCase {
  private let folder = goldenFormats.appendingPathComponent("gguf")

  func testValuesFixture() throws { try check("values") }

  func testAligned64Fixture() throws { try check("aligned64") }

  func testBigEndianFixtureRejected() throws {
    let url = folder.appendingPathComponent("big_endian.gguf")
    assertThrows(.ggufBigEndian(file: url.path, version: 3)) { () throws(FormatError) in
      try GGUFFile(url: url)
    }
  }

  /// Every GGUF file under Golden/ (the tokenizer fixtures, the tiny models made by llama.cpp's
  /// converter and quantizer, SmolLM2 when fetched) opens, and every tensor and value reads.
  func testEveryGoldenGGUFOpens() throws {
    let golden = goldenFormats.deletingLastPathComponent()
    var opened = 0
    for folder in ["formats/gguf", "models"] {
      let root = golden.appendingPathComponent(folder)
      let paths = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }
      for path in paths ?? [] where path.hasSuffix(".gguf") && !path.hasSuffix("big_endian.gguf") {
        let file = try GGUFFile(url: root.appendingPathComponent(path))
        for key in file.metadataKeys { XCTAssertNotNil(file.value(key), "\(path) \(key)") }
        for info in file.tensorInfos {
          let tensor = try file.tensor(info.name)
          XCTAssertEqual(tensor.bytes.count, info.rowBytes * info.rowCount, "\(path) \(info.name)")
        }
        opened += 1
      }
    }
    XCTAssertGreaterThanOrEqual(opened, 11)
  }

  /// Opens `name`.gguf and compares everything with `name`.expected.json.
  private func check(_ name: String) throws {
    let file = try GGUFFile(url: folder.appendingPathComponent("\(name).gguf"))
    let data = try Data(contentsOf: folder.appendingPathComponent("\(name).expected.json"))
    let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    XCTAssertEqual(file.version, expected["version"] as? Int)
    XCTAssertEqual(file.alignment, expected["alignment"] as? Int)
    XCTAssertEqual(file.dataOffset, expected["data_offset"] as? Int)
    let metadata = try XCTUnwrap(expected["metadata"] as? [[String: Any]])
    XCTAssertEqual(file.metadataKeys, metadata.compactMap { $0["key"] as? String })
    for entry in metadata {
      let key = try XCTUnwrap(entry["key"] as? String)
      XCTAssertEqual(file.value(key), try Self.value(entry), key)
    }
    let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
    XCTAssertEqual(file.tensorNames, tensors.compactMap { $0["name"] as? String })
    for entry in tensors {
      let tensor = try file.tensor(try XCTUnwrap(entry["name"] as? String))
      XCTAssertEqual(tensor.type.name, entry["type"] as? String, tensor.name)
      XCTAssertEqual(tensor.info.dimensions, entry["dimensions"] as? [Int], tensor.name)
      XCTAssertEqual(tensor.info.offset, entry["offset"] as? Int, tensor.name)
      XCTAssertEqual(tensor.info.byteCount, entry["byte_count"] as? Int, tensor.name)
      XCTAssertEqual(Self.fnv1a64(tensor.bytes), entry["fnv1a64"] as? String, tensor.name)
      XCTAssertEqual(tensor.plainTensor != nil, tensor.type.isPlain, tensor.name)
    }
  }

  /// The `GGUFValue` an expected-JSON entry describes.
  static func value(_ entry: [String: Any]) throws -> GGUFValue {
    let name = try XCTUnwrap(entry["type"] as? String)
    let type = try XCTUnwrap(GGUFValueType.allCases.first { $0.name == name }, name)
    func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
      try XCTUnwrap((entry["value"] as? String).flatMap { T($0) }, "\(entry)")
    }
    func bits() throws -> UInt64 {
      let object = try XCTUnwrap(entry["value"] as? [String: Any])
      return try XCTUnwrap((object["bits"] as? String).flatMap { UInt64($0) })
    }
    switch type {
    case .uint8: return .uint8(try integer(UInt8.self))
    case .int8: return .int8(try integer(Int8.self))
    case .uint16: return .uint16(try integer(UInt16.self))
    case .int16: return .int16(try integer(Int16.self))
    case .uint32: return .uint32(try integer(UInt32.self))
    case .int32: return .int32(try integer(Int32.self))
    case .uint64: return .uint64(try integer(UInt64.self))
    case .int64: return .int64(try integer(Int64.self))
    case .float32: return .float32(Float(bitPattern: UInt32(try bits())))
    case .float64: return .float64(Double(bitPattern: try bits()))
    case .bool: return .bool(try XCTUnwrap(entry["value"] as? Bool))
    case .string: return .string(try XCTUnwrap(entry["value"] as? String))
    case .array:
      let elementName = try XCTUnwrap(entry["element_type"] as? String)
      let elementType = try XCTUnwrap(GGUFValueType.allCases.first { $0.name == elementName })
      let items = try XCTUnwrap(entry["value"] as? [[String: Any]])
      return .array(elementType: elementType, values: try items.map(value))
    }
  }

  /// FNV-1a, 64 bits, as 16 hex digits.
  static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> String {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}
