import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import XCTest

@testable import Medusa

/// Autoregressive sampling and lossless Medusa sampling runs on the Golden models: seeded
/// reproducibility, the documented use of the generator (every uniform in order), the trace's
/// consistency with the accepted tokens, and the degenerate case (top-k 1) equal to greedy.
final class LosslessSamplingTraceTests: XCTestCase {
  static let newTokens = 24

  func load(_ name: String) throws -> (LlamaModel, MedusaHeads, [[Int]]) {
    let model = try LlamaModel(directory: Golden.model(name))
    let heads = try MedusaHeads.load(
      directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
    return (model, heads, try MedusaLosslessTests.prompts(name))
  }

  func testAutoregressiveSamplingUsesOneUniformPerToken() throws {
    let (model, _, prompts) = try load("tiny-gqa-f16")
    let processor = LogitsProcessor(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.02)
    let decoder = try AutoregressiveDecoder(
      model: model,
      capacity: AutoregressiveDecoder.capacity(
        promptLength: prompts[0].count, maxNewTokens: Self.newTokens))
    let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
    let result = try decoder.generate(
      prompt: prompts[0], stop: stop, sampling: processor, seed: 7, recordLogits: true)
    XCTAssertEqual(result.outputIDs.count, Self.newTokens)
    var rng = SplitMix64(seed: 7)
    for (index, logits) in result.outputLogits.enumerated() {
      let token = Sampling.draw(weights: processor.weights(logits), uniform: rng.nextUnitDouble())
      XCTAssertEqual(token, result.outputIDs[index], "position \(index)")
    }
    let again = try decoder.generate(prompt: prompts[0], stop: stop, sampling: processor, seed: 7)
    XCTAssertEqual(again.outputIDs, result.outputIDs)
    let other = try decoder.generate(prompt: prompts[0], stop: stop, sampling: processor, seed: 8)
    XCTAssertNotEqual(other.outputIDs, result.outputIDs)
  }

  func testTopKOneSamplingIsGreedy() throws {
    let processor = LogitsProcessor(temperature: 0.9, topK: 1)
    let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
    for name in Golden.modelNames {
      let (model, heads, prompts) = try load(name)
      let prompt = prompts[3]
      let ar = try AutoregressiveDecoder(
        model: model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: Self.newTokens))
      let greedy = try ar.generate(prompt: prompt, stop: stop).outputIDs
      XCTAssertEqual(
        try ar.generate(prompt: prompt, stop: stop, sampling: processor, seed: 3).outputIDs,
        greedy, name)
      for tree in ["mc_sim_7b_63", "vicuna_7b_stage2"] {
        guard let choices = try MedusaChoices.published(tree, headCount: heads.headCount) else {
          return XCTFail(tree)
        }
        let medusa = try MedusaDecoder(
          model: model, heads: heads, choices: choices,
          capacity: MedusaDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices))
        let sampled = try medusa.generate(
          prompt: prompt, stop: stop, verification: .lossless(processor, seed: 3))
        XCTAssertEqual(sampled.outputIDs, greedy, "\(name) \(tree)")
      }
    }
  }

  func testTheTraceRecordsEveryDecisionInGeneratorOrder() throws {
    let (model, heads, prompts) = try load("tiny-mha-f32")
    let processor = LogitsProcessor(temperature: 1, topP: 0.9)
    guard let choices = try MedusaChoices.published("mc_sim_7b_63", headCount: heads.headCount)
    else { return XCTFail("tree") }
    let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
    var acceptedTrials = 0
    var rejectedTrials = 0
    for seed in UInt64(0)..<8 {
      let prompt = prompts[Int(seed) % prompts.count]
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices),
        parallelism: seed % 2 == 0 ? .serial : Parallelism(threads: 2))
      let result = try decoder.generate(
        prompt: prompt, stop: stop, verification: .lossless(processor, seed: seed),
        recordSteps: true)
      XCTAssertEqual(result.outputIDs.count, Self.newTokens)
      var rng = SplitMix64(seed: seed)
      var previousRejected: [Int] = []
      for (index, step) in result.medusaSteps.enumerated() {
        let label = "seed \(seed) step \(index)"
        guard let trace = step.sampling else { return XCTFail(label) }
        // One uniform for the root, then one per trial, nothing else.
        XCTAssertEqual(trace.root.uniform, rng.nextUnitDouble(), label)
        XCTAssertEqual(trace.root.token, step.tokens.first, label)
        XCTAssertEqual(trace.root.excluded, previousRejected, label)
        for trial in trace.trials {
          XCTAssertEqual(trial.uniform, rng.nextUnitDouble(), label)
          if abs(trial.uniform - trial.probability) > 1e-12 {
            XCTAssertEqual(trial.accepted, trial.uniform < trial.probability, label)
          }
          if trial.accepted { acceptedTrials += 1 } else { rejectedTrials += 1 }
        }
        // The accepted trials are the accepted path, each a child of the previous one.
        let accepted = trace.trials.filter(\.accepted)
        XCTAssertEqual(accepted.count, step.acceptLength, label)
        let path = decoder.tree.retrieveIndices[step.bestCandidate]
        XCTAssertEqual(accepted.map(\.node), Array(path[1..<(1 + step.acceptLength)]), label)
        XCTAssertEqual(
          [trace.root.token] + accepted.map(\.token), Array(step.tokens.prefix(1 + accepted.count)),
          label)
        let last = path[step.acceptLength]
        previousRejected = trace.trials.filter {
          !$0.accepted && decoder.tree.parents[$0.node] == last
        }
        .map(\.token)
      }
      let again = try decoder.generate(
        prompt: prompt, stop: stop, verification: .lossless(processor, seed: seed),
        recordSteps: true)
      XCTAssertEqual(again.medusaSteps, result.medusaSteps, "seed \(seed) reproducible")
    }
    XCTAssertGreaterThan(acceptedTrials, 20)
    XCTAssertGreaterThan(rejectedTrials, 20)
  }
}
