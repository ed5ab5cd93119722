import Foundation
import GoldenSupport
import XCTest

@testable import Llama
@testable import Medusa
@testable import MedusaConformance

/// `MedusaSelfCheck` passes on the real decoder, agrees with plain generation, and its
/// detectors name a corrupted tree node and a corrupted cache row.
final class ConformanceSelfCheckTests: XCTestCase {
  static func decoder(_ tree: String, prompt: [Int], maxNewTokens: Int) throws -> MedusaDecoder {
    let directory = Golden.model("tiny-mha-f32")
    let model = try LlamaModel(directory: directory)
    let heads = try MedusaHeads.load(
      directory: directory.appendingPathComponent("medusa"), backbone: model.config)
    let choices = try XCTUnwrap(try MedusaChoices.published(tree, headCount: heads.headCount))
    return try MedusaDecoder(
      model: model, heads: heads, choices: choices,
      capacity: MedusaDecoder.capacity(
        promptLength: prompt.count, maxNewTokens: maxNewTokens, choices: choices))
  }

  static func prompt() throws -> [Int] { try ConformanceCheckTests.reference().cases[2].promptIDs }

  func testSelfCheckPassesOnTheDecoder() throws {
    let prompt = try Self.prompt()
    for name in ["mc_sim_7b_63", "vicuna_7b_stage2"] {
      let stop = StopRule(maxNewTokens: 24, stopTokens: [])
      let decoder = try Self.decoder(name, prompt: prompt, maxNewTokens: stop.maxNewTokens)
      let report = try MedusaSelfCheck.run(decoder: decoder, prompt: prompt, stop: stop)
      XCTAssertTrue(report.passed, report.summary)
      XCTAssertEqual(report.nodesChecked, report.steps * decoder.tree.nodeCount)
      XCTAssertGreaterThanOrEqual(report.cacheRowsChecked, 24)
      XCTAssertEqual(report.outputIDs.count, 24)
      let plain = try decoder.generate(prompt: prompt, stop: stop)
      XCTAssertEqual(report.outputIDs, plain.outputIDs)
    }
  }

  func testDetectorsNameTheCorruptedNodeAndRow() throws {
    let prompt = try Self.prompt()
    let decoder = try Self.decoder("mc_sim_7b_63", prompt: prompt, maxNewTokens: 8)
    let checker = try ReferenceDecoding(decoder: decoder, prompt: prompt, extra: 20)
    try decoder.prefill(prompt: prompt, maxNewTokens: 8)
    let committed = decoder.state.cache.length
    let outcome = try decoder.step(recordLogits: true)
    XCTAssertEqual(try checker.treeCandidates(tree: decoder.tree), outcome.record.treeCandidates)
    XCTAssertNil(
      try checker.firstWrongNode(
        tree: decoder.tree, tokens: outcome.record.treeCandidates, logits: outcome.treeLogits))
    var corrupted = outcome.treeLogits
    corrupted[37][5] = corrupted[37][5].nextUp
    XCTAssertEqual(
      try checker.firstWrongNode(
        tree: decoder.tree, tokens: outcome.record.treeCandidates, logits: corrupted), 37)
    try checker.append(outcome.record.tokens)
    XCTAssertNil(checker.compareCache(with: decoder.state.cache, from: committed))
    let row = committed + outcome.record.tokens.count - 1
    let cache = decoder.state.cache
    cache.values(layer: 1)[row * cache.headDimension + 3] += 1
    let mismatch = checker.compareCache(with: decoder.state.cache, from: committed)
    XCTAssertEqual(mismatch?.kind, .cacheValues)
    XCTAssertEqual(mismatch?.layer, 1)
    XCTAssertEqual(mismatch?.row, row)
  }

  /// Regression: the first heads must run on the prompt's last hidden state after a chunked
  /// prefill (this self-check found them reading a row past the last chunk).
  func testSelfCheckWithAPromptLongerThanOneBatch() throws {
    let prompt = (0..<100).map { ($0 * 37 + 11) % 320 }
    let stop = StopRule(maxNewTokens: 8, stopTokens: [])
    let decoder = try Self.decoder("mc_sim_7b_63", prompt: prompt, maxNewTokens: stop.maxNewTokens)
    let report = try MedusaSelfCheck.run(decoder: decoder, prompt: prompt, stop: stop)
    XCTAssertTrue(report.passed, report.summary)
  }
}
