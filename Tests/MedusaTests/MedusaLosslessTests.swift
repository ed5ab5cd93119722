import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import XCTest

@testable import Medusa

/// Medusa greedy decoding equals greedy autoregressive decoding bit for bit: output ids and
/// the logits at every emitted position, on every Golden model with heads, six prompts, every
/// published tree, a chain and a 3-node tree. Plus, per step, every tree node's logits equal
/// decoding its path one token at a time, and the KV cache after compaction equals the one
/// autoregressive decoding builds.
final class MedusaLosslessTests: XCTestCase {
  static let newTokens = 40

  /// Every tree the tests run: the published ones and two small hand-made ones.
  static func trees(headCount: Int) throws -> [(String, MedusaChoices)] {
    var trees: [(String, MedusaChoices)] = []
    for name in PublishedTrees.names {
      if let choices = try MedusaChoices.published(name, headCount: headCount) {
        trees.append((name, choices))
      }
    }
    trees.append(
      (
        "chain",
        try MedusaChoices(paths: [[0], [0, 0], [0, 0, 0], [0, 0, 0, 0]], headCount: headCount)
      ))
    trees.append(("three-node", try MedusaChoices(paths: [[0], [1]], headCount: headCount)))
    return trees
  }

  static func prompts(_ name: String) throws -> [[Int]] {
    let reference = try Golden.json("Golden/cases/backbone/\(name).json")
    let cases = reference["cases"] as? [[String: Any]] ?? []
    return cases.map { Golden.ints($0["prompt_ids"]) }
  }

  func testGreedyMedusaEqualsAutoregressiveBitwise() throws {
    var checked = 0
    var expectedRuns = 0
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let heads = try MedusaHeads.load(
        directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
      let prompts = try Self.prompts(name)
      XCTAssertGreaterThanOrEqual(prompts.count, 6)
      let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
      let trees = try Self.trees(headCount: heads.headCount)
      XCTAssertEqual(trees.count, PublishedTrees.names.count + 2)
      expectedRuns += prompts.count * trees.count
      var acceptedDrafts = 0
      for prompt in prompts {
        let ar = try AutoregressiveDecoder(
          model: model,
          capacity: AutoregressiveDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: Self.newTokens))
        let expected = try ar.generate(prompt: prompt, stop: stop, recordLogits: true)
        for (treeName, choices) in trees {
          let medusa = try MedusaDecoder(
            model: model, heads: heads, choices: choices,
            capacity: MedusaDecoder.capacity(
              promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices))
          let got = try medusa.generate(prompt: prompt, stop: stop, recordLogits: true)
          XCTAssertEqual(got.outputIDs, expected.outputIDs, "\(name) \(treeName) \(prompt)")
          XCTAssertEqual(got.outputLogits.count, expected.outputLogits.count)
          for (index, (a, b)) in zip(got.outputLogits, expected.outputLogits).enumerated() {
            XCTAssertEqual(
              a.map(\.bitPattern), b.map(\.bitPattern), "\(name) \(treeName) logits @\(index)")
          }
          checked += 1
          acceptedDrafts += max(0, got.outputIDs.count - 1 - got.steps)
        }
      }
      // Tokens beyond one per step are accepted drafts: without them the KV compaction after
      // an accepted path would never have run, and the equality above would prove nothing
      // about it.
      XCTAssertGreaterThan(acceptedDrafts, 100, "\(name): drafts accepted")
    }
    XCTAssertEqual(checked, expectedRuns)
    XCTAssertGreaterThanOrEqual(
      checked, Golden.modelNames.count * 6 * (PublishedTrees.names.count + 2))
  }

  func testEveryTreeNodeAndTheCompactedCacheMatchAutoregressive() throws {
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let heads = try MedusaHeads.load(
        directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
      let prompt = try Self.prompts(name)[2]
      let choices = try XCTUnwrap(
        try MedusaChoices.published("mc_sim_7b_63", headCount: heads.headCount))
      let budget = 4 * (choices.maxDepth + 1)
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: budget, choices: choices))
      try decoder.prefill(prompt: prompt, maxNewTokens: budget)
      var sequence = prompt
      for _ in 0..<4 {
        let committed = decoder.state.cache.length
        let outcome = try decoder.step(recordLogits: true)
        let tree = decoder.tree
        for node in 0..<tree.nodeCount {
          let path = tree.ancestorChains[node].map { outcome.record.treeCandidates[$0] }
          let reference = try decodeOneAtATime(model: model, tokens: sequence + path)
          XCTAssertEqual(
            outcome.treeLogits[node].map(\.bitPattern), reference.last?.logits,
            "\(name) node \(node) at \(committed)")
        }
        sequence += outcome.record.tokens
        let reference = try decodeOneAtATime(model: model, tokens: sequence)
        XCTAssertEqual(decoder.state.cache.length, sequence.count)
        for layer in 0..<model.config.layerCount {
          for row in 0..<sequence.count {
            XCTAssertEqual(
              decoder.state.cache.keyRow(layer: layer, row: row).map(\.bitPattern),
              reference.last?.keys[layer][row], "\(name) K layer \(layer) row \(row)")
            XCTAssertEqual(
              decoder.state.cache.valueRow(layer: layer, row: row).map(\.bitPattern),
              reference.last?.values[layer][row], "\(name) V layer \(layer) row \(row)")
          }
        }
      }
    }
  }

  /// Logits of the last token and the whole cache after decoding `tokens` one at a time.
  private func decodeOneAtATime(model: LlamaModel, tokens: [Int]) throws -> [(
    logits: [UInt32], keys: [[[UInt32]]], values: [[[UInt32]]]
  )] {
    let state = try model.makeState(capacity: tokens.count, maxBatch: 1, parallelism: .serial)
    for (position, token) in tokens.enumerated() {
      try model.forward(
        tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: state)
      try state.cache.commit(1)
    }
    let layers = 0..<model.config.layerCount
    let rows = 0..<tokens.count
    return [
      (
        logits: bits(state.logits(0)),
        keys: layers.map { layer in
          rows.map { state.cache.keyRow(layer: layer, row: $0).map(\.bitPattern) }
        },
        values: layers.map { layer in
          rows.map { state.cache.valueRow(layer: layer, row: $0).map(\.bitPattern) }
        }
      )
    ]
  }
}
