import Foundation
import XCTest

@testable import MedusaFormats

/// Real files written by `torch.save` (torch 2.13), good and broken.
final class PyTorchFixtureTests: XCTestCase {
  private func open(_ name: String) throws(FormatError) -> PyTorchCheckpoint {
    try PyTorchCheckpoint(url: goldenFormats.appendingPathComponent(name))
  }

  private func assertFixture(_ name: String, expected: String, line: UInt = #line) throws {
    let checkpoint = try open(name)
    let values = try loadExpected(expected)
    XCTAssertEqual(checkpoint.names, values.keys.sorted(), line: line)
    for tensorName in checkpoint.names {
      try assertMatches(try checkpoint.tensor(tensorName), values[tensorName], line: line)
    }
  }

  func testMedusaHeadsFloat32() throws {
    try assertFixture("medusa_lm_head.pt", expected: "medusa_lm_head.expected.json")
    let heads = try open("medusa_lm_head.pt")
    XCTAssertEqual(
      heads.names,
      [
        "0.0.linear.bias", "0.0.linear.weight", "0.1.weight", "1.0.linear.bias",
        "1.0.linear.weight", "1.1.weight",
      ])
    XCTAssertEqual(try heads.tensor("0.1.weight").shape, [6, 4])
  }

  func testMedusaHeadsBFloat16() throws {
    try assertFixture("medusa_lm_head_bf16.pt", expected: "medusa_lm_head_bf16.expected.json")
  }

  func testMixedDtypesViewsAndSharedStorage() throws {
    try assertFixture("mixed.pt", expected: "mixed.pt.expected.json")
    try assertFixture("mixed_protocol4.pt", expected: "mixed.pt.expected.json")
    let mixed = try open("mixed.pt")
    let rows = try mixed.tensor("rows_1_to_4")
    let base = try mixed.tensor("base")
    XCTAssertEqual(
      rows.bytes.baseAddress, base.bytes.baseAddress.map { $0 + 12 }, "a view into the shared blob")
  }

  func testSameHeadsThroughEverySource() throws {
    let pt = try open("medusa_lm_head.pt")
    let url = try temporaryDirectory(self).appendingPathComponent("medusa_lm_head.safetensors")
    let tensors = try pt.names.map { (name: String) throws in
      let t = try pt.tensor(name)
      return (name: name, dtype: t.dtype, shape: t.shape, bytes: Array(t.bytes))
    }
    try SafetensorsWriter.write(tensors, metadata: [:], to: url)
    let sources: [any TensorSource] = [
      pt, try SafetensorsFile(url: url), try TensorStore(files: [url]),
    ]
    for source in sources {
      XCTAssertEqual(source.names.sorted(), pt.names)
      XCTAssertEqual(try source.tensor("1.1.weight").floats(), try pt.tensor("1.1.weight").floats())
    }
  }

  func testParameter() throws {
    try assertFixture("parameter.pt", expected: "parameter.expected.json")
  }

  func testMissingTensor() throws {
    let heads = try open("medusa_lm_head.pt")
    assertThrows(.tensorNotFound(name: "2.1.weight", searched: [heads.url.path])) {
      () throws(FormatError) in
      try heads.tensor("2.1.weight")
    }
  }

  private func path(_ name: String) -> String { goldenFormats.appendingPathComponent(name).path }

  func testOsSystemIsRefused() {
    assertThrows(
      .pickleForbiddenGlobal(file: path("os_system.pt"), name: "posix.system", offset: 169)
    ) {
      () throws(FormatError) in try open("os_system.pt")
    }
  }

  func testOtherStorageTypesAreRefused() {
    assertThrows(
      .pickleForbiddenGlobal(file: path("int64.pt"), name: "torch.LongStorage", offset: 64)
    ) {
      () throws(FormatError) in try open("int64.pt")
    }
  }

  func testNonContiguousTensor() {
    assertThrows(
      .nonContiguousTensor(
        file: path("noncontiguous.pt"), tensor: "t", shape: [3, 2], stride: [1, 3])
    ) {
      () throws(FormatError) in try open("noncontiguous.pt")
    }
  }

  func testTruncatedZip() {
    assertThrows(.zipNoEndRecord(file: path("truncated.pt"))) { () throws(FormatError) in
      try open("truncated.pt")
    }
  }

  func testCompressedZip() {
    assertThrows(
      .zipUnsupportedEntry(
        file: path("compressed.pt"), entry: "medusa_lm_head/data.pkl", method: 8, flags: 0)
    ) { () throws(FormatError) in try open("compressed.pt") }
  }

  func testBlobShorterThanStorage() {
    assertThrows(
      .storageOutOfBounds(
        file: path("blob_too_short.pt"), tensor: "0.0.linear.weight", needed: 64, available: 32)
    ) {
      () throws(FormatError) in try open("blob_too_short.pt")
    }
  }

  func testStorageOffsetPastStorage() {
    assertThrows(
      .storageOutOfBounds(
        file: path("offset_past_storage.pt"), tensor: "w", needed: 4064, available: 64)
    ) {
      () throws(FormatError) in try open("offset_past_storage.pt")
    }
  }

  func testSafetensorsFileIsNotAZip() {
    assertThrows(.zipNoEndRecord(file: path("mixed.safetensors"))) { () throws(FormatError) in
      try open("mixed.safetensors")
    }
  }
}
