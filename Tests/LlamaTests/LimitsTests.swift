import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import MedusaKernels
import XCTest

/// The limits say so: context length, memory, non-finite activations.
final class LimitsTests: XCTestCase {
  func testContextBeyondTheModelIsAnError() throws {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let limit = model.config.maxPositionEmbeddings
    XCTAssertNoThrow(try model.checkContext(limit))
    XCTAssertThrowsError(try model.checkContext(limit + 1)) { error in
      XCTAssertEqual(error as? LlamaError, .contextTooLong(needed: limit + 1, limit: limit))
      XCTAssertTrue("\(error)".contains("exceed the model's context of \(limit)"), "\(error)")
    }
  }

  /// The cache starts small and grows (copying its rows) as forward passes need more: a
  /// sequence decoded one token at a time across the growth gives the bits of one forward.
  func testCacheGrowsWithUseAndKeepsItsRows() throws {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let count = 300
    let tokens = (0..<count).map { ($0 * 37 + 5) % model.config.vocabularySize }
    let whole = try model.makeState(capacity: count, maxBatch: count, parallelism: .serial)
    try model.forward(
      tokens: tokens, positions: Array(0..<count), plan: .causal(count),
      logitsFor: [count - 1], state: whole)
    let stepwise = try model.makeState(capacity: count, maxBatch: 1, parallelism: .serial)
    XCTAssertLessThan(stepwise.cache.reserved, count)
    for (position, token) in tokens.enumerated() {
      try model.forward(
        tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0],
        state: stepwise)
      try stepwise.cache.commit(1)
    }
    XCTAssertEqual(stepwise.cache.reserved, count)
    XCTAssertEqual(bits(stepwise.logits(0)), bits(whole.logits(0)))
  }

  func testAnImpossibleAllocationIsAnErrorNotACrash() {
    XCTAssertThrowsError(
      try KVCache(layerCount: 1 << 20, capacity: 1 << 40, kvHeads: 1 << 10, headDimension: 1 << 10)
    ) { error in
      guard case .outOfMemory(let what, _) = error as? LlamaError else {
        return XCTFail("\(error)")
      }
      XCTAssertTrue(what.contains("KV cache"), what)
    }
  }

  /// NaN weights are an error naming the layer and position, not a stream of token 0.
  func testNonFiniteActivationsNameTheLayer() throws {
    let directory = Golden.model("tiny-mha-f32")
    let store = try TensorStore(directory: directory)
    var tensors = try store.names.map { name -> (String, TensorDType, [Int], [UInt8]) in
      let tensor = try store.tensor(name)
      return (name, tensor.dtype, tensor.shape, Array(tensor.bytes))
    }
    let poisoned = "model.layers.1.mlp.down_proj.weight"
    let index = try XCTUnwrap(tensors.firstIndex { $0.0 == poisoned })
    let nan = Float.nan.bitPattern
    for byte in 0..<4 { tensors[index].3[byte] = UInt8(truncatingIfNeeded: nan >> (8 * byte)) }
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    try FileManager.default.copyItem(
      at: directory.appendingPathComponent("config.json"),
      to: folder.appendingPathComponent("config.json"))
    try SafetensorsWriter.write(
      tensors, metadata: [:], to: folder.appendingPathComponent("model.safetensors"))
    let model = try LlamaModel(directory: folder)
    let state = try model.makeState(capacity: 8)
    XCTAssertThrowsError(
      try model.forward(
        tokens: [5, 6], positions: [0, 1], plan: .causal(2), logitsFor: [1], state: state)
    ) { error in
      XCTAssertEqual(error as? LlamaError, .nonFinite(layer: 1, position: 0))
      XCTAssertTrue("\(error)".contains("after layer 1 at position 0"), "\(error)")
    }
  }
}
