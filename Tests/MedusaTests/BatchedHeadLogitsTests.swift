import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import MedusaTestSupport
import XCTest

@testable import Medusa

/// The batched head logits of a decoding step (one `Kernels.linear` with tokens = K over the
/// shared LM head; one fan-out over the own projections) are the same bits as each head
/// computed alone, for every head count and thread count.
final class BatchedHeadLogitsTests: XCTestCase {
  private func assertBatchedEqualsPerHead(_ heads: MedusaHeads, _ label: String) {
    for seed in 0..<3 {
      let hidden = SharedHeads.hidden(heads.hiddenSize, seed: seed)
      let expected = SharedHeads.perHead(heads, hidden: hidden).map { $0.map(\.bitPattern) }
      for threads in [1, 2, 3, 7] {
        let parallelism = Parallelism(threads: threads)
        for count in 1...heads.headCount {
          let got = SharedHeads.batched(
            heads, hidden: hidden, count: count, parallelism: parallelism)
          XCTAssertEqual(
            got.map { $0.map(\.bitPattern) }, Array(expected.prefix(count)),
            "\(label): \(count) heads, \(threads) threads, hidden \(seed)")
        }
      }
    }
  }

  func testOwnProjectionsOfEveryGoldenModel() throws {
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let heads = try MedusaHeads.load(
        directory: Golden.model(name).appendingPathComponent("medusa"), model: model)
      XCTAssertEqual(heads.headProjection, .own)
      assertBatchedEqualsPerHead(heads, name)
    }
  }

  func testSharedLanguageModelHeadQuantizedAndFloat() throws {
    let gguf = try LlamaModel(gguf: SharedHeads.ggufModel)
    let heads = try MedusaHeads.load(directory: SharedHeads.ggufHeads, model: gguf)
    XCTAssertEqual(heads.headProjection, .baseLanguageModelHead)
    XCTAssertEqual(gguf.languageModelHead.type, .q6_K)
    assertBatchedEqualsPerHead(heads, "tiny-gpt2-Q4_K_M shared")

    let model = try LlamaModel(directory: Golden.model("tiny-gqa-f16"))
    let folder = try SharedHeads.folder(
      SharedHeads.blockTensors(heads: 5, layers: 1, hidden: model.config.hiddenSize, seed: 3),
      config: SharedHeads.marker())
    defer { try? FileManager.default.removeItem(at: folder) }
    assertBatchedEqualsPerHead(
      try MedusaHeads.load(directory: folder, model: model), "tiny-gqa-f16 shared")
  }

  func testTheDecoderStepUsesTheBatchedLogits() throws {
    // The decoder's head logits after the prefill are the per-head logits of the last
    // prompt token's hidden state.
    let gguf = try LlamaModel(gguf: SharedHeads.ggufModel)
    let heads = try MedusaHeads.load(directory: SharedHeads.ggufHeads, model: gguf)
    let choices = try MedusaChoices(paths: [[0], [0, 0], [0, 0, 0]], headCount: heads.headCount)
    let decoder = try MedusaDecoder(model: gguf, heads: heads, choices: choices, capacity: 64)
    let prompt = [5, 9, 14, 200, 31]
    try decoder.prefill(prompt: prompt, maxNewTokens: 0)
    let ar = try AutoregressiveDecoder(model: gguf, capacity: 64)
    let state = ar.state
    try state.cache.truncate(to: 0)
    try Prefill.run(model: gguf, state: state, prompt: prompt)
    let hidden = Array(state.hiddenState(state.tokenCount - 1))
    let expected = SharedHeads.perHead(heads, hidden: hidden)
    for (k, row) in decoder.headLogits.enumerated() {
      XCTAssertEqual(
        Array(UnsafeBufferPointer(start: row.base, count: row.count)).map(\.bitPattern),
        expected[k].map(\.bitPattern), "head \(k)")
    }
  }
}
