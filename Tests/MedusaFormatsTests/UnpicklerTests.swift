import XCTest

@testable import MedusaFormats

/// The restricted unpickler on raw pickles: integer encodings and torch-call argument checks.
final class UnpicklerTests: XCTestCase {
  private func load(_ bytes: [UInt8]) -> Result<PickleValue, FormatError> {
    bytes.withUnsafeBytes { buffer in
      var unpickler = Unpickler(bytes: buffer, file: "p.pkl")
      return Result { () throws(FormatError) in try unpickler.load() }
    }
  }

  private func integer(_ body: [UInt8]) -> Int? {
    if case .success(.int(let value)) = load([0x80, 0x02] + body + [0x2E]) { return value }
    return nil
  }

  func testIntegerOpcodes() {
    XCTAssertEqual(integer([0x8A, 0]), 0)
    XCTAssertEqual(integer([0x8A, 2, 0xFF, 0x7F]), 0x7FFF)
    XCTAssertEqual(integer([0x8A, 1, 0xFF]), -1)
    XCTAssertEqual(integer([0x8A, 5, 0, 0, 0, 0, 1]), 1 << 32)
    XCTAssertEqual(integer([0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80]), Int.min)
    XCTAssertEqual(integer([0x4A, 0xFE, 0xFF, 0xFF, 0xFF]), -2)
    XCTAssertEqual(integer([0x4D, 0xFF, 0xFF]), 65535)
    XCTAssertEqual(integer([0x4B, 200]), 200)
    guard
      case .failure(.pickleMalformed(_, let reason, 2)) = load(
        [0x80, 0x02, 0x8A, 9] + Array(repeating: 1, count: 9) + [0x2E])
    else { return XCTFail("a 9-byte LONG1 must be rejected") }
    XCTAssertEqual(reason, "LONG1 of 9 bytes does not fit 64 bits")
  }

  func testMemoAndTuples() {
    guard
      case .success(.tuple(let items)) = load([0x80, 0x02, 0x4B, 7, 0x71, 3, 0x68, 3, 0x86, 0x2E])
    else {
      return XCTFail("expected a tuple")
    }
    XCTAssertEqual(items.count, 2)
  }

  func testTorchCallArgumentChecks() {
    let cases: [([UInt8], String)] = [
      ([0x4B, 1, 0x51], "persistent id is not (\"storage\", type, key, location, numel)"),
      (
        TestArchives.global("torch", "FloatStorage") + [0x29, 0x52],
        "torch.FloatStorage cannot be called"
      ),
      (
        TestArchives.global("collections", "OrderedDict") + [0x4B, 1, 0x85, 0x52],
        "OrderedDict called with arguments"
      ),
      (
        TestArchives.global("torch._utils", "_rebuild_tensor_v2") + [0x29, 0x52],
        "_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, bool, hooks)"
      ),
      (
        TestArchives.global("torch._utils", "_rebuild_parameter") + [0x29, 0x52],
        "_rebuild_parameter arguments are not (tensor, bool, hooks)"
      ),
      ([0x4B, 1, 0x29, 0x52], "REDUCE of int with tuple arguments"),
      ([0x29, 0x7D, 0x62], "BUILD on tuple, not on a dict"),
      ([0x7D, 0x4B, 1, 0x4B, 2, 0x73], "dict key is int, not str"),
      ([0x75], "no MARK"),
    ]
    for (body, reason) in cases {
      guard case .failure(.pickleMalformed(_, let actual, _)) = load([0x80, 0x02] + body + [0x2E])
      else {
        XCTFail("accepted: \(reason)")
        continue
      }
      XCTAssertEqual(actual, reason)
    }
  }
}
