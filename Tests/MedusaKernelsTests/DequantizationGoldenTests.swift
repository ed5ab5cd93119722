import Foundation
import GoldenSupport
import MedusaKernels
import XCTest

/// The row decoders and their scalar twin against the `gguf` Python package's `dequantize`
/// (Golden/cases/quant, made by Golden/tools/make_quant_fixtures.py): random blocks of every
/// supported type, edge-case scales included, bit for bit.
final class DequantizationGoldenTests: XCTestCase {
  private static let types: [String: WeightType] = [
    "F32": .f32, "F16": .f16, "BF16": .bf16, "Q8_0": .q8_0, "Q4_0": .q4_0, "Q4_1": .q4_1,
    "Q5_0": .q5_0, "Q5_1": .q5_1, "Q2_K": .q2_K, "Q3_K": .q3_K, "Q4_K": .q4_K, "Q5_K": .q5_K,
    "Q6_K": .q6_K,
  ]

  func testEveryTypeEqualsGGUFDequantizeBitForBit() throws {
    let folder = Golden.root.appendingPathComponent("Golden/cases/quant")
    let index = try Golden.json("Golden/cases/quant/index.json")
    let entries = try XCTUnwrap(index["types"] as? [[String: Any]])
    XCTAssertEqual(Set(entries.compactMap { $0["name"] as? String }), Set(Self.types.keys))
    for entry in entries {
      let name = try XCTUnwrap(entry["name"] as? String)
      let type = try XCTUnwrap(Self.types[name], name)
      XCTAssertEqual(entry["block_size"] as? Int, type.blockElements, name)
      XCTAssertEqual(entry["block_bytes"] as? Int, type.blockBytes, name)
      let blockCount = try XCTUnwrap(entry["block_count"] as? Int)
      let blocks = try Data(
        contentsOf: folder.appendingPathComponent(try XCTUnwrap(entry["blocks_file"] as? String)))
      let expectedData = try Data(
        contentsOf: folder.appendingPathComponent(try XCTUnwrap(entry["f32_file"] as? String)))
      let count = blockCount * type.blockElements
      XCTAssertEqual(blocks.count, blockCount * type.blockBytes, name)
      XCTAssertEqual(expectedData.count, count * 4, name)
      let expected = expectedData.withUnsafeBytes { raw in
        (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) }
      }
      blocks.withUnsafeBytes { raw in
        // Rows of 256 elements (or the whole file for the float types), read through the
        // vector decoders and through the scalar twin.
        let columns = type.blockElements == 1 ? count : 256
        let matrix = WeightMatrix(
          rows: count / columns, columns: columns, type: type, base: raw.baseAddress!)
        var row = [Float](repeating: .nan, count: columns)
        var mismatches = 0
        for r in 0..<matrix.rows {
          matrix.widenRow(r, into: &row)
          for c in 0..<columns {
            let want = expected[r * columns + c]
            if row[c].bitPattern != want { mismatches += 1 }
            let scalar = ReferenceKernels.element(matrix, row: r, column: c)
            if scalar.bitPattern != want { mismatches += 1 }
          }
        }
        XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) values differ from gguf")
      }
    }
  }
}
