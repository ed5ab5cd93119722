import Foundation
import XCTest

@testable import MedusaFormats

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// No file crashes the readers. Values that nest tens of thousands of levels
/// deep (which would overflow the stack when built, compared or freed recursively) and dicts
/// that contain themselves are one-line errors; FIFOs and devices are refused before they are
/// opened for reading (item 2).
final class NestingTests: XCTestCase {
  private func unpickle(_ bytes: [UInt8]) -> Result<PickleValue, FormatError> {
    bytes.withUnsafeBytes { buffer in
      var unpickler = Unpickler(bytes: buffer, file: "p.pkl")
      return Result { () throws(FormatError) in try unpickler.load() }
    }
  }

  private func reason(_ result: Result<PickleValue, FormatError>) -> String? {
    if case .failure(.pickleMalformed(_, let reason, _)) = result { return reason }
    return nil
  }

  /// 50,000 nested one-tuples: a SIGSEGV before the limit existed.
  func testDeeplyNestedTuplesAreRejected() {
    let body = [0x4B, 1] + [UInt8](repeating: 0x85, count: 50_000)
    XCTAssertEqual(
      reason(unpickle([0x80, 0x02] + body + [0x2E])),
      "values nest deeper than \(Unpickler.maxDepth) levels")
    let markTuples =
      [UInt8](repeating: 0x28, count: 50_000) + [UInt8](repeating: 0x74, count: 50_000)
    XCTAssertEqual(
      reason(unpickle([0x80, 0x02] + markTuples + [0x2E])),
      "values nest deeper than \(Unpickler.maxDepth) levels")
  }

  func testNestingUpToTheLimitIsAccepted() {
    let body = [0x4B, 1] + [UInt8](repeating: 0x85, count: Unpickler.maxDepth)
    guard case .success(.tuple) = unpickle([0x80, 0x02] + body + [0x2E]) else {
      return XCTFail("\(Unpickler.maxDepth) levels must load")
    }
    let over = [0x4B, 1] + [UInt8](repeating: 0x85, count: Unpickler.maxDepth + 1)
    XCTAssertNotNil(reason(unpickle([0x80, 0x02] + over + [0x2E])))
  }

  /// Dicts nested through SETITEM, and a chain built by filling dicts after placing them
  /// (via the memo): the first is bounded by depth, the second by sealing.
  func testDeepDictsAndLateMutationAreRejected() {
    var nested: [UInt8] = [0x80, 0x02]
    for _ in 0..<10_000 { nested += [0x7D] + TestArchives.string("k") }
    nested += [0x4E] + [UInt8](repeating: 0x73, count: 10_000) + [0x2E]
    XCTAssertEqual(
      reason(unpickle(nested)), "values nest deeper than \(Unpickler.maxDepth) levels")
    // d0 = {}; d1 = {}; d0["k"] = d1 (seals d1); then d1["k"] = None must fail.
    let sealed: [UInt8] =
      [0x80, 0x02, 0x7D, 0x94] + [0x68, 0] + TestArchives.string("k") + [0x7D, 0x94, 0x73]
      + [0x68, 1] + TestArchives.string("k") + [0x4E, 0x73] + [0x2E]
    XCTAssertEqual(
      reason(unpickle(sealed)), "SETITEM on a dict that is already inside another value")
  }

  /// `d = {}; d["k"] = d` would be a reference cycle (leaked, and a loop for any walker).
  func testSelfContainingDictIsRejected() {
    let cycle: [UInt8] =
      [0x80, 0x02, 0x7D, 0x94] + TestArchives.string("k") + [0x68, 0, 0x73, 0x2E]
    XCTAssertEqual(
      reason(unpickle(cycle)), "SETITEM on a dict that is already inside another value")
    let viaTuple: [UInt8] =
      [0x80, 0x02, 0x7D, 0x94] + TestArchives.string("k") + [0x68, 0, 0x85, 0x73, 0x2E]
    XCTAssertEqual(
      reason(unpickle(viaTuple)), "SETITEM on a dict that is already inside another value")
  }

  /// The checkpoint reader turns the same pickle into a one-line error naming the file.
  func testDeepPickleInACheckpointIsOneLine() throws {
    let directory = try temporaryDirectory(self)
    let body = [0x4B, 1] + [UInt8](repeating: 0x85, count: 60_000)
    let url = try writeFile(
      TestArchives.checkpoint(pickle: [0x80, 0x02] + body + [0x2E]), "deep.pt", in: directory)
    XCTAssertThrowsError(try PyTorchCheckpoint(url: url)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.hasPrefix(url.path) && text.contains("nest deeper"), text)
      XCTAssertFalse(text.contains("\n"))
    }
  }

  func testDeepJSONIsRejected() {
    for open in ["[", "{\"a\":"] {
      let text = String(repeating: open, count: 100_000)
      XCTAssertThrowsError(try JSONValue.parse(Array(text.utf8), file: "deep.json")) { error in
        XCTAssertEqual(
          "\(error)",
          "deep.json: invalid JSON at byte \(128 * open.utf8.count): nested deeper than 128")
      }
    }
    let ok = String(repeating: "[", count: 127) + String(repeating: "]", count: 127)
    XCTAssertNoThrow(try JSONValue.parse(Array(ok.utf8), file: "ok.json"))
  }

  func testFIFOAndDevicesAreRefusedWithoutBlocking() throws {
    let directory = try temporaryDirectory(self)
    let fifo = directory.appendingPathComponent("model.safetensors")
    XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
    let expected = FormatError.unreadable(
      file: fifo.path, reason: "a FIFO (named pipe), not a regular file")
    assertThrows(expected) { () throws(FormatError) in try SafetensorsFile(url: fifo) }
    assertThrows(expected) { () throws(FormatError) in try GGUFFile(url: fifo) }
    assertThrows(expected) { () throws(FormatError) in try PyTorchCheckpoint(url: fifo) }
    assertThrows(expected) { () throws(FormatError) in try JSONValue.read(fifo) }
    let device = URL(fileURLWithPath: "/dev/zero")
    assertThrows(
      .unreadable(file: "/dev/zero", reason: "a character device, not a regular file")
    ) { () throws(FormatError) in try SafetensorsFile(url: device) }
    assertThrows(.unreadable(file: directory.path, reason: "not a regular file")) {
      () throws(FormatError) in try GGUFFile(url: directory)
    }
  }
}
