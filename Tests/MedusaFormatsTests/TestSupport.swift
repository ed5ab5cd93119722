import Foundation
import XCTest

@testable import MedusaFormats

/// A fresh temporary folder, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
  let url = FileManager.default.temporaryDirectory
    .appendingPathComponent("medusa-formats-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
  return url
}

/// Golden/formats/ of this repository (symlinks resolved, so private packages work too).
let goldenFormats = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
  .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  .appendingPathComponent("Golden/formats")

/// The raw bytes of a safetensors file with `header` (unpadded) and `data`.
func safetensorsBytes(header: String, data: [UInt8] = []) -> [UInt8] {
  let json = Array(header.utf8)
  return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + data
}

/// Writes `bytes` to `name` in `directory` and returns its URL.
@discardableResult
func writeFile(_ bytes: [UInt8], _ name: String, in directory: URL) throws -> URL {
  let url = directory.appendingPathComponent(name)
  try Data(bytes).write(to: url)
  return url
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(
  _ expected: FormatError, file: StaticString = #filePath, line: UInt = #line,
  _ body: () throws(FormatError) -> T
) {
  do {
    _ = try body()
    XCTFail("expected \(expected)", file: file, line: line)
  } catch {
    XCTAssertEqual(error, expected, file: file, line: line)
  }
}

/// One tensor of an `*.expected.json` fixture written by make_format_fixtures.py.
struct ExpectedTensor: Decodable {
  /// torch dtype name (float32, float16, bfloat16, int64).
  let dtype: String
  /// The shape.
  let shape: [Int]
  /// float32 bit patterns of the values, for floating-point tensors.
  let bits: [UInt32]?
  /// The values of integer tensors.
  let values: [Int]?
}

/// Loads `Golden/formats/<name>`.
func loadExpected(_ name: String) throws -> [String: ExpectedTensor] {
  try JSONDecoder().decode(
    [String: ExpectedTensor].self,
    from: Data(contentsOf: goldenFormats.appendingPathComponent(name)))
}

/// The torch name of a dtype.
func torchName(_ dtype: TensorDType) -> String {
  switch dtype {
  case .f32: "float32"
  case .f16: "float16"
  case .bf16: "bfloat16"
  case .i64: "int64"
  default: dtype.rawValue
  }
}

/// Asserts that `tensor` has the dtype, shape and exact values that Python saved.
func assertMatches(_ tensor: Tensor, _ expected: ExpectedTensor?, line: UInt = #line) throws {
  let expected = try XCTUnwrap(expected, "no expected values for \(tensor.name)", line: line)
  XCTAssertEqual(torchName(tensor.dtype), expected.dtype, tensor.name, line: line)
  XCTAssertEqual(tensor.shape, expected.shape, tensor.name, line: line)
  if let bits = expected.bits {
    XCTAssertEqual(try tensor.floats().map(\.bitPattern), bits, tensor.name, line: line)
  } else {
    let values = (0..<tensor.elementCount).map {
      Int(tensor.bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))
    }
    XCTAssertEqual(values, expected.values, tensor.name, line: line)
  }
}
