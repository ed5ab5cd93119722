import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// Verification that computes the logits of only the tree nodes it reaches (``TreeLogits``):
/// greedy Medusa without recorded logits computes exactly `accept_length + 1` LM-head rows per
/// step, and still equals greedy autoregressive decoding bit for bit, in its output ids and in
/// the logits every step ends with (the next root's); lossless sampling computes at most the
/// nodes its walk can visit and gives the same output as with every node computed.
final class TreeLogitsTests: XCTestCase {
  static let newTokens = 32

  func testGreedyComputesOnlyTheAcceptedPathWithAutoregressiveBits() throws {
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let heads = try MedusaHeads.load(
        directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
      let trees = [
        try XCTUnwrap(try MedusaChoices.published("mc_sim_7b_63", headCount: heads.headCount)),
        try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: heads.headCount),
      ]
      let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
      var accepted = 0
      for prompt in try MedusaLosslessTests.prompts(name).prefix(3) {
        let ar = try AutoregressiveDecoder(
          model: model,
          capacity: AutoregressiveDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: Self.newTokens))
        let expected = try ar.generate(prompt: prompt, stop: stop, recordLogits: true)
        for choices in trees {
          let decoder = try MedusaDecoder(
            model: model, heads: heads, choices: choices,
            capacity: MedusaDecoder.capacity(
              promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices))
          try decoder.prefill(prompt: prompt, maxNewTokens: Self.newTokens)
          var produced = 0
          let ids = try decoder.decode(stop: stop, recordLogits: false) { step in
            let acceptLength = step.outcome.record.acceptLength
            XCTAssertEqual(
              decoder.treeLogits.computedCount, acceptLength + 1,
              "\(name) \((choices.paths.count + 1)) nodes, step \(step.index): LM-head rows")
            accepted += acceptLength
            produced += step.appended.count
            if produced < expected.outputLogits.count {
              XCTAssertEqual(
                decoder.baseLogits.map(\.bitPattern),
                expected.outputLogits[produced].map(\.bitPattern),
                "\(name) step \(step.index): the next root's logits")
            }
          }
          XCTAssertEqual(ids, expected.outputIDs, "\(name) \((choices.paths.count + 1)) nodes")
        }
      }
      XCTAssertGreaterThan(accepted, 20, "\(name): drafts accepted")
    }
  }

  func testLosslessSamplingGivesTheSameOutputWithEveryNodeComputed() throws {
    let name = Golden.modelNames[1]
    let model = try LlamaModel(directory: Golden.model(name))
    let heads = try MedusaHeads.load(
      directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
    let choices = try XCTUnwrap(
      try MedusaChoices.published("mc_sim_7b_63", headCount: heads.headCount))
    let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
    let verification = Verification.lossless(LogitsProcessor(temperature: 0.8), seed: 11)
    for prompt in try MedusaLosslessTests.prompts(name).prefix(2) {
      func run(recordLogits: Bool) throws -> ([Int], [Int]) {
        let decoder = try MedusaDecoder(
          model: model, heads: heads, choices: choices,
          capacity: MedusaDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices))
        try decoder.prefill(
          prompt: prompt, maxNewTokens: Self.newTokens, verification: verification)
        var rows: [Int] = []
        let ids = try decoder.decode(stop: stop, recordLogits: recordLogits) { _ in
          rows.append(decoder.treeLogits.computedCount)
        }
        return (ids, rows)
      }
      let (lazy, rows) = try run(recordLogits: false)
      let (eager, allRows) = try run(recordLogits: true)
      XCTAssertEqual(lazy, eager, "\(prompt)")
      XCTAssertTrue(allRows.allSatisfy { $0 == (choices.paths.count + 1) })
      XCTAssertTrue(rows.allSatisfy { $0 <= choices.maxDepth + 1 }, "\(rows)")
    }
  }
}
