import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// Proof by exhaustion that lossless Medusa sampling has autoregressive sampling's output
/// distribution: every branch of the algorithm (root draws, every accept/reject of every
/// draft, residual draws) is walked with its exact probability on a Golden model, and the
/// probability of every 2- and 3-token output is compared with the product of the
/// autoregressive conditionals. Every published tree, a chain and a 3-node tree; three
/// processors (top-k alone, with top-p, with min-p; top-k keeps the branching finite).
/// A deliberately biased residual rule must fail the same comparison.
final class LosslessSamplingEnumerationTests: XCTestCase {
  static let modelName = "tiny-mha-f32"
  static let processors = [
    LogitsProcessor(temperature: 1, topK: 3),
    LogitsProcessor(temperature: 0.7, topK: 5, topP: 0.8),
    LogitsProcessor(temperature: 1.5, topK: 4, minP: 0.2),
  ]
  static let tolerance = 1e-9

  struct Outcome: Hashable {
    var output: [Int]
    var acceptedDraft: Bool
  }

  /// The exact output distribution of lossless Medusa sampling, by walking every branch.
  static func medusaDistribution(
    decoder: MedusaDecoder, prompt: [Int], processor: LogitsProcessor, length: Int,
    rule: LosslessTreeSampling.ResidualRule = .renormalized
  ) throws -> (outputs: [[Int]: Double], acceptance: Double, runs: Int) {
    decoder.residualRule = rule
    defer {
      decoder.residualRule = .renormalized
      decoder.decisionsOverride = nil
    }
    let stop = StopRule(maxNewTokens: length, stopTokens: [])
    let (distribution, runs) = try BranchEnumerator.distribution { enumerator in
      decoder.decisionsOverride = enumerator
      let result = try decoder.generate(
        prompt: prompt, stop: stop, verification: .lossless(processor, seed: 0),
        recordSteps: true)
      return Outcome(
        output: result.outputIDs,
        acceptedDraft: result.medusaSteps.contains { $0.acceptLength > 0 })
    }
    var outputs: [[Int]: Double] = [:]
    var acceptance = 0.0
    for (outcome, p) in distribution {
      outputs[outcome.output, default: 0] += p
      if outcome.acceptedDraft { acceptance += p }
    }
    return (outputs, acceptance, runs)
  }

  /// The largest absolute difference between two distributions over the same outcomes.
  static func largestDifference(_ a: [[Int]: Double], _ b: [[Int]: Double]) -> Double {
    Set(a.keys).union(b.keys).map { abs((a[$0] ?? 0) - (b[$0] ?? 0)) }.max() ?? 0
  }

  /// Compares every 2- and 3-token output of each `(tree, processor, prompt)` with the
  /// autoregressive product; returns the acceptance probabilities seen and the outputs
  /// compared.
  private func compare(
    model: LlamaModel, heads: MedusaHeads,
    runs: [(name: String, choices: MedusaChoices, processor: LogitsProcessor, prompt: [Int])]
  ) throws -> (acceptances: [Double], outputs: Int) {
    var acceptances: [Double] = []
    var outputs = 0
    for run in runs {
      let oracle = try AutoregressiveOracle(
        model: model, prompt: run.prompt, processor: run.processor, maxNew: 3)
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: run.choices, capacity: run.prompt.count + 3 + 80,
        parallelism: .serial)
      for length in [2, 3] {
        let expected = try oracle.distribution(length: length)
        let got = try Self.medusaDistribution(
          decoder: decoder, prompt: run.prompt, processor: run.processor, length: length)
        let label = "\(run.name) length \(length) \(run.processor)"
        XCTAssertEqual(got.outputs.values.reduce(0, +), 1, accuracy: 1e-12, label)
        XCTAssertEqual(Set(got.outputs.keys), Set(expected.keys), label)
        XCTAssertLessThan(Self.largestDifference(got.outputs, expected), Self.tolerance, label)
        acceptances.append(got.acceptance)
        outputs += got.outputs.count
      }
    }
    return (acceptances, outputs)
  }

  func testEveryPublishedTreeGivesEveryOutputItsAutoregressiveProbability() throws {
    let model = try LlamaModel(directory: Golden.model(Self.modelName))
    let heads = try MedusaHeads.load(
      directory: Golden.model(Self.modelName).appendingPathComponent("medusa"),
      backbone: model.config)
    let prompts = try MedusaLosslessTests.prompts(Self.modelName)
    var runs: [(name: String, choices: MedusaChoices, processor: LogitsProcessor, prompt: [Int])] =
      []
    for (index, name) in PublishedTrees.names.enumerated() {
      guard let choices = try MedusaChoices.published(name, headCount: heads.headCount) else {
        return XCTFail("no tree \(name)")
      }
      runs.append(
        (name, choices, Self.processors[index % 3], prompts[index % prompts.count]))
    }
    let (acceptances, outputs) = try compare(model: model, heads: heads, runs: runs)
    XCTAssertEqual(acceptances.count, 2 * PublishedTrees.names.count)
    // The drafts matter: a draft is accepted with a fair probability in every run, so the
    // comparison exercises acceptance, rejection and residual draws alike.
    XCTAssertGreaterThan(acceptances.min() ?? 0, 0.2)
    XCTAssertGreaterThan(outputs, 200)
  }

  func testSmallTreesAndAChainWithWideSupports() throws {
    let model = try LlamaModel(directory: Golden.model(Self.modelName))
    let heads = try MedusaHeads.load(
      directory: Golden.model(Self.modelName).appendingPathComponent("medusa"),
      backbone: model.config)
    let prompts = try MedusaLosslessTests.prompts(Self.modelName)
    let wide = [
      LogitsProcessor(temperature: 2, topK: 6, topP: 0.95),
      LogitsProcessor(temperature: 1.2, topK: 8, minP: 0.05),
    ]
    let trees = [
      ("chain", try MedusaChoices(paths: [[0], [0, 0], [0, 0, 0]], headCount: heads.headCount)),
      ("three-node", try MedusaChoices(paths: [[0], [1]], headCount: heads.headCount)),
      (
        "eight-node",
        try MedusaChoices(
          paths: [[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0]], headCount: heads.headCount)
      ),
    ]
    var runs: [(name: String, choices: MedusaChoices, processor: LogitsProcessor, prompt: [Int])] =
      []
    for (index, (name, choices)) in trees.enumerated() {
      for (offset, processor) in wide.enumerated() {
        runs.append((name, choices, processor, prompts[(index + offset + 1) % prompts.count]))
      }
    }
    let (acceptances, outputs) = try compare(model: model, heads: heads, runs: runs)
    XCTAssertGreaterThan(acceptances.filter { $0 > 0.1 }.count, acceptances.count / 2)
    XCTAssertGreaterThan(outputs, 1000)
  }

  func testABiasedResidualFailsTheEnumeration() throws {
    let model = try LlamaModel(directory: Golden.model(Self.modelName))
    let heads = try MedusaHeads.load(
      directory: Golden.model(Self.modelName).appendingPathComponent("medusa"),
      backbone: model.config)
    let prompt = try MedusaLosslessTests.prompts(Self.modelName)[0]
    let processor = Self.processors[0]
    let oracle = try AutoregressiveOracle(
      model: model, prompt: prompt, processor: processor, maxNew: 2)
    let expected = try oracle.distribution(length: 2)
    for name in ["mc_sim_7b_63", "vicuna_7b_stage2"] {
      guard let choices = try MedusaChoices.published(name, headCount: heads.headCount) else {
        return XCTFail("no tree \(name)")
      }
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: choices, capacity: prompt.count + 80,
        parallelism: .serial)
      let biased = try Self.medusaDistribution(
        decoder: decoder, prompt: prompt, processor: processor, length: 2, rule: .unchanged)
      XCTAssertEqual(biased.outputs.values.reduce(0, +), 1, accuracy: 1e-12)
      XCTAssertGreaterThan(Self.largestDifference(biased.outputs, expected), 1e-3, name)
      let fair = try Self.medusaDistribution(
        decoder: decoder, prompt: prompt, processor: processor, length: 2)
      XCTAssertLessThan(Self.largestDifference(fair.outputs, expected), Self.tolerance, name)
    }
  }
}
