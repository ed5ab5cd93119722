import Foundation
import XCTest

@testable import MedusaFormats

/// Hand-made checkpoints: every opcode-, global-, ZIP- and tensor-level rejection, and the
/// ZIP64 and protocol details that small real files do not exercise.
final class PyTorchCraftedTests: XCTestCase {
  private var directory = URL(fileURLWithPath: "/")

  override func setUpWithError() throws { directory = try temporaryDirectory(self) }

  private func load(_ bytes: [UInt8]) throws -> (URL, Result<PyTorchCheckpoint, FormatError>) {
    let url = try writeFile(bytes, "c.pt", in: directory)
    return (url, Result { () throws(FormatError) in try PyTorchCheckpoint(url: url) })
  }

  private func assertRejects(_ bytes: [UInt8], line: UInt = #line, _ error: (String) -> FormatError)
    throws
  {
    let (url, result) = try load(bytes)
    switch result {
    case .success: XCTFail("accepted", line: line)
    case .failure(let actual): XCTAssertEqual(actual, error(url.path), line: line)
    }
  }

  private func pickle(_ body: [UInt8]) -> [UInt8] { TestArchives.checkpoint(pickle: body) }

  func testHandMadeCheckpointAndZip64() throws {
    for zip64 in [false, true] {
      let bytes = TestArchives.checkpoint(
        pickle: TestArchives.dict([
          ("w", TestArchives.tensor()),
          ("tail", TestArchives.tensor(offset: 2, size: [2], stride: [1])),
        ]),
        zip64: zip64)
      let checkpoint = try load(bytes).1.get()
      XCTAssertEqual(checkpoint.names, ["tail", "w"])
      XCTAssertEqual(try checkpoint.tensor("w").floats(), [1, 2, 3, 4])
      XCTAssertEqual(try checkpoint.tensor("tail").floats(), [3, 4])
    }
  }

  func testSizeOneDimensionsAndEmptyTensorsIgnoreStrides() throws {
    let body = TestArchives.dict([
      ("column", TestArchives.tensor(size: [4, 1], stride: [1, 99])),
      ("empty", TestArchives.tensor(size: [0, 3], stride: [7, 7])),
    ])
    let checkpoint = try load(pickle(body)).1.get()
    XCTAssertEqual(try checkpoint.tensor("column").floats(), [1, 2, 3, 4])
    XCTAssertEqual(try checkpoint.tensor("empty").elementCount, 0)
  }

  func testForbiddenGlobals() throws {
    let evil = TestArchives.global("builtins", "eval") + TestArchives.string("1") + [0x85, 0x52]
    try assertRejects(pickle(TestArchives.dict([("x", evil)]))) {
      .pickleForbiddenGlobal(file: $0, name: "builtins.eval", offset: 10)
    }
    let stacked: [UInt8] =
      [0x80, 0x04, 0x8C, 2] + Array("os".utf8) + [0x8C, 6] + Array("system".utf8) + [0x93, 0x2E]
    try assertRejects(pickle(stacked)) {
      .pickleForbiddenGlobal(file: $0, name: "os.system", offset: 14)
    }
  }

  func testUnsupportedOpcodes() throws {
    try assertRejects(pickle([0x80, 0x02, 0x5D, 0x2E])) {
      .pickleUnsupportedOpcode(file: $0, opcode: 0x5D, offset: 2)
    }
    try assertRejects(pickle([0x80, 0x02, 0x69] + Array("os\nsystem\n".utf8))) {
      .pickleUnsupportedOpcode(file: $0, opcode: 0x69, offset: 2)
    }
    try assertRejects(pickle([0x80, 0x01, 0x7D, 0x2E])) {
      .pickleMalformed(file: $0, reason: "pickle protocol 1 is not 2 to 5", offset: 0)
    }
  }

  func testTruncatedAndMalformedPickles() throws {
    try assertRejects(pickle([0x80, 0x02, 0x7D])) { .pickleTruncated(file: $0, offset: 3) }
    try assertRejects(pickle([0x80, 0x02, 0x58, 0xFF, 0xFF, 0, 0, 0x41])) {
      .pickleTruncated(file: $0, offset: 2)
    }
    try assertRejects(pickle([0x80, 0x02, 0x52, 0x2E])) {
      .pickleMalformed(file: $0, reason: "stack underflow", offset: 2)
    }
    try assertRejects(pickle([0x80, 0x02, 0x68, 0x05, 0x2E])) {
      .pickleMalformed(file: $0, reason: "memo key 5 was never stored", offset: 2)
    }
    try assertRejects(pickle([0x80, 0x02, 0x7D, 0x4B, 1, 0x2E])) {
      .pickleMalformed(
        file: $0, reason: "STOP with 2 values on the stack and 0 open marks", offset: 5)
    }
    try assertRejects(pickle([0x80, 0x02, 0x29, 0x2E])) {
      .pickleMalformed(file: $0, reason: "the pickled object is tuple, not a dict", offset: 3)
    }
    let duplicate = TestArchives.dict([("w", TestArchives.tensor()), ("w", TestArchives.tensor())])
    try assertRejects(pickle(duplicate)) {
      .pickleMalformed(file: $0, reason: "duplicate dict key 'w'", offset: duplicate.count - 2)
    }
    try assertRejects(pickle(TestArchives.dict([("n", [0x8A, 2, 0xFF, 0x7F])]))) {
      .invalidTensor(file: $0, tensor: "n", reason: "holds a value of type int")
    }
  }

  func testTensorChecks() throws {
    try assertRejects(
      pickle(TestArchives.dict([("t", TestArchives.tensor(size: [2, 2], stride: [1, 2]))]))
    ) {
      .nonContiguousTensor(file: $0, tensor: "t", shape: [2, 2], stride: [1, 2])
    }
    try assertRejects(pickle(TestArchives.dict([("t", TestArchives.tensor(offset: 1))]))) {
      .storageOutOfBounds(file: $0, tensor: "t", needed: 20, available: 16)
    }
    try assertRejects(pickle(TestArchives.dict([("t", TestArchives.tensor(count: 5))]))) {
      .storageOutOfBounds(file: $0, tensor: "t", needed: 20, available: 16)
    }
    try assertRejects(pickle(TestArchives.dict([("t", TestArchives.tensor(size: [-1, 2]))]))) {
      .invalidTensor(file: $0, tensor: "t", reason: "size [-1, 2], stride [2, 1], offset 0")
    }
    try assertRejects(pickle(TestArchives.dict([("t", TestArchives.tensor(key: "9"))]))) {
      .zipEntryMissing(file: $0, entry: "archive/data/9")
    }
  }

  func testArchiveChecks() throws {
    let good = TestArchives.dict([("w", TestArchives.tensor())])
    try assertRejects(TestArchives.zip([("archive/data/0", [])])) {
      .zipEntryMissing(file: $0, entry: "<archive>/data.pkl")
    }
    try assertRejects(
      TestArchives.zip([("archive/data.pkl", good), ("archive/byteorder", Array("big".utf8))])
    ) {
      .unsupportedByteOrder(file: $0, byteOrder: "big")
    }
    var bytes = TestArchives.checkpoint(pickle: good)
    let end = bytes.count - 22
    let (size, offset) = (
      Int(bytes[end + 12]) | Int(bytes[end + 13]) << 8,
      Int(bytes[end + 16]) | Int(bytes[end + 17]) << 8
    )
    bytes[end + 19] = 0x7F  // central directory offset now points past the file
    try assertRejects(bytes) {
      .zipMalformed(
        file: $0,
        what:
          "central directory (4 entries, \(size) bytes at \(0x7F00_0000 + offset)) outside the file",
        offset: end)
    }
    var shifted = TestArchives.checkpoint(pickle: good)
    let firstCentral = try XCTUnwrap(
      shifted.indices.first { shifted[$0..<$0 + 4] == [0x50, 0x4B, 0x01, 0x02] })
    shifted[firstCentral + 42] = 7  // local header offset of data.pkl now lands mid-record
    try assertRejects(shifted) {
      .zipMalformed(file: $0, what: "bad local header of 'archive/data.pkl'", offset: 7)
    }
  }
}
