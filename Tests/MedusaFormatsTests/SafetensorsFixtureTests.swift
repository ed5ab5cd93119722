import Foundation
import XCTest

@testable import MedusaFormats

/// Files written by the Python `safetensors` library, and sharded model folders.
final class SafetensorsFixtureTests: XCTestCase {
  func testFileWrittenByPythonLibrary() throws {
    let file = try SafetensorsFile(url: goldenFormats.appendingPathComponent("mixed.safetensors"))
    let expected = try loadExpected("mixed.expected.json")
    XCTAssertEqual(file.metadata, ["format": "pt"])
    XCTAssertEqual(Set(file.names), Set(expected.keys))
    for name in file.names { try assertMatches(try file.tensor(name), expected[name]) }
  }

  func testShardedFolder() throws {
    let store = try TensorStore(directory: goldenFormats.appendingPathComponent("sharded"))
    let expected = try loadExpected("sharded.expected.json")
    XCTAssertEqual(store.names, expected.keys.sorted())
    XCTAssertTrue(store.contains("lm_head.weight"))
    XCTAssertFalse(store.contains("lm_head.bias"))
    for name in store.names { try assertMatches(try store.tensor(name), expected[name]) }
    assertThrows(.tensorNotFound(name: "lm_head.bias", searched: store.files.map(\.url.path))) {
      () throws(FormatError) in try store.tensor("lm_head.bias")
    }
  }

  /// A copy of the sharded fixture folder in a temp dir, with the index replaced by `index`.
  private func shardedCopy(index: String?) throws -> URL {
    let directory = try temporaryDirectory(self).appendingPathComponent("model")
    try FileManager.default.copyItem(
      at: goldenFormats.appendingPathComponent("sharded"), to: directory)
    if let index {
      try writeFile(Array(index.utf8), TensorStore.indexFileName, in: directory)
    }
    return directory
  }

  private let shard1 = "model-00001-of-00002.safetensors"
  private let shard2 = "model-00002-of-00002.safetensors"

  private func weightMap(_ entries: [(String, String)]) -> String {
    "{\"weight_map\":{" + entries.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}}"
  }

  func testShardIndexErrors() throws {
    let all = [
      ("model.embed_tokens.weight", shard1), ("model.norm.weight", shard2),
      ("lm_head.weight", shard2),
    ]
    var directory = try shardedCopy(index: "{\"metadata\":{}}")
    var index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(.invalidIndex(file: index, reason: "no 'weight_map'")) { () throws(FormatError) in
      try TensorStore(directory: directory)
    }
    directory = try shardedCopy(index: "{\"weight_map\":")
    index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(.invalidIndex(file: index, reason: "not JSON: unexpected end of input at byte 14"))
    {
      () throws(FormatError) in try TensorStore(directory: directory)
    }
    directory = try shardedCopy(
      index: weightMap(all + [("extra", "model-00003-of-00002.safetensors")]))
    index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(.shardMissing(index: index, shard: "model-00003-of-00002.safetensors")) {
      () throws(FormatError) in
      try TensorStore(directory: directory)
    }
    directory = try shardedCopy(index: weightMap(all + [("lm_head.bias", shard2)]))
    index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(.tensorMissingFromShard(index: index, tensor: "lm_head.bias", shard: shard2)) {
      () throws(FormatError) in try TensorStore(directory: directory)
    }
    directory = try shardedCopy(index: weightMap(Array(all.dropLast())))
    index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(.tensorNotInIndex(index: index, tensor: "lm_head.weight", shard: shard2)) {
      () throws(FormatError) in try TensorStore(directory: directory)
    }
    directory = try shardedCopy(index: weightMap([("model.norm.weight", "../\(shard2)")]))
    index = directory.appendingPathComponent(TensorStore.indexFileName).path
    assertThrows(
      .invalidIndex(file: index, reason: "shard name '../\(shard2)' is not a plain file name")
    ) {
      () throws(FormatError) in try TensorStore(directory: directory)
    }
  }

  func testFolderWithoutCheckpoint() throws {
    let directory = try temporaryDirectory(self)
    assertThrows(.noCheckpoint(directory: directory.path)) { () throws(FormatError) in
      try TensorStore(directory: directory)
    }
  }

  func testSingleFileFolderAndDuplicateNames() throws {
    let directory = try temporaryDirectory(self)
    let single = directory.appendingPathComponent(TensorStore.singleFileName)
    try FileManager.default.copyItem(
      at: goldenFormats.appendingPathComponent("mixed.safetensors"), to: single)
    let store = try TensorStore(directory: directory)
    XCTAssertEqual(store.names, ["bf16", "empty", "f16", "f32", "i64", "scalar"])
    let copy = directory.appendingPathComponent("copy.safetensors")
    try FileManager.default.copyItem(at: single, to: copy)
    let first = try XCTUnwrap(try SafetensorsFile(url: single).names.first)
    assertThrows(.duplicateTensor(name: first, firstFile: single.path, secondFile: copy.path)) {
      () throws(FormatError) in try TensorStore(files: [single, copy])
    }
    XCTAssertEqual(try TensorStore(files: []).names, [])
  }
}
