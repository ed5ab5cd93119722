import Foundation
import GoldenSupport
import MedusaFormats
import MedusaKernels
import XCTest

/// Every tensor of the real SmolLM2 GGUF, dequantized by the kernels' row decoders, against the
/// `gguf` package's `dequantize` of the same tensor (Golden/cases/quant/smollm2-tensors.json,
/// Golden/tools/make_smollm2_dequant_refs.py): 134.5 M values, bit for bit, through checksums
/// of the float32 bit patterns in storage order.
final class GGUFDequantizationTests: XCTestCase {
  func testEveryTensorOfSmolLM2EqualsGGUFDequantize() throws {
    let file = Golden.root.appendingPathComponent(
      "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw XCTSkip("SmolLM2 is not fetched: run `bash Golden/tools/fetch_smollm2.sh`")
    }
    let reference = try Golden.json("Golden/cases/quant/smollm2-tensors.json")
    let expected = try XCTUnwrap(reference["tensors"] as? [[String: Any]])
    let gguf = try GGUFFile(url: file)
    XCTAssertEqual(gguf.tensorNames, expected.compactMap { $0["name"] as? String })
    var checkedValues = 0
    for entry in expected {
      let name = try XCTUnwrap(entry["name"] as? String)
      let tensor = try gguf.tensor(name)
      XCTAssertEqual(tensor.type.name, entry["type"] as? String, name)
      XCTAssertEqual(tensor.info.dimensions, entry["dimensions"] as? [Int], name)
      let type = try XCTUnwrap(WeightType.allCases.first { $0.name == tensor.type.name }, name)
      let matrix = WeightMatrix(
        rows: tensor.info.rowCount, columns: tensor.info.rowLength, type: type,
        base: try XCTUnwrap(tensor.bytes.baseAddress))
      var row = [Float](repeating: .nan, count: matrix.columns)
      var plain: UInt64 = 0
      var weighted: UInt64 = 0
      for r in 0..<matrix.rows {
        matrix.widenRow(r, into: &row)
        row.withUnsafeBufferPointer {
          accumulateChecksums($0, start: r * matrix.columns, plain: &plain, weighted: &weighted)
        }
      }
      XCTAssertEqual(Self.hex(plain), entry["plain"] as? String, "\(name) (\(type.name))")
      XCTAssertEqual(Self.hex(weighted), entry["weighted"] as? String, "\(name) (\(type.name))")
      checkedValues += matrix.rows * matrix.columns
    }
    XCTAssertEqual(checkedValues, 134_515_008)
  }

  /// 16 lowercase hex digits.
  static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }
}
