import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// The statistical check of lossless Medusa sampling: thousands of seeded runs against
/// autoregressive sampling, Pearson's chi-square on the joint distribution of the first three
/// output tokens (against the exact autoregressive probabilities, and against autoregressive
/// samples), at the 0.1% level. The runs accept and reject many drafts, so the tokens that come
/// from accepted drafts, from residual draws and from roots are all in the sample. A
/// deliberately biased variant (the residual not updated after a rejection) must fail.
///
/// Deterministic: fixed seeds, so the statistics are the same on every run.
final class LosslessSamplingChiSquareTests: XCTestCase {
  static let modelName = "tiny-mha-f32"
  static let samples = 1_500
  static let length = 3
  static let processor = LogitsProcessor(temperature: 1, topK: 6)
  static let paths = [[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0]]

  struct Fixture {
    var model: LlamaModel
    var decoder: MedusaDecoder
    var prompt: [Int]
    var exact: [[Int]: Double]
  }

  func fixture() throws -> Fixture {
    let model = try LlamaModel(directory: Golden.model(Self.modelName))
    let heads = try MedusaHeads.load(
      directory: Golden.model(Self.modelName).appendingPathComponent("medusa"),
      backbone: model.config)
    let prompt = try MedusaLosslessTests.prompts(Self.modelName)[1]
    let choices = try MedusaChoices(paths: Self.paths, headCount: heads.headCount)
    let decoder = try MedusaDecoder(
      model: model, heads: heads, choices: choices,
      capacity: MedusaDecoder.capacity(
        promptLength: prompt.count, maxNewTokens: Self.length, choices: choices),
      parallelism: .serial)
    let oracle = try AutoregressiveOracle(
      model: model, prompt: prompt, processor: Self.processor, maxNew: Self.length)
    return Fixture(
      model: model, decoder: decoder, prompt: prompt,
      exact: try oracle.distribution(length: Self.length))
  }

  /// Lossless Medusa samples over seeds `0..<samples`, with the number of accepted and
  /// rejected drafts.
  func medusaSamples(_ fixture: Fixture) throws -> (
    counts: [[Int]: Int], accepted: Int, rejected: Int
  ) {
    let stop = StopRule(maxNewTokens: Self.length, stopTokens: [])
    var counts: [[Int]: Int] = [:]
    var accepted = 0
    var rejected = 0
    for seed in 0..<UInt64(Self.samples) {
      let result = try fixture.decoder.generate(
        prompt: fixture.prompt, stop: stop, verification: .lossless(Self.processor, seed: seed),
        recordSteps: true)
      counts[result.outputIDs, default: 0] += 1
      for step in result.medusaSteps {
        for trial in step.sampling?.trials ?? [] {
          if trial.accepted { accepted += 1 } else if trial.probability > 0 { rejected += 1 }
        }
      }
    }
    return (counts, accepted, rejected)
  }

  func testLosslessSamplingMatchesAutoregressiveSampling() throws {
    let fixture = try fixture()
    let medusa = try medusaSamples(fixture)
    // Both branches of the rule are exercised many times (rejections of drafts that had a
    // chance; drafts outside the top-k are rejected for certain and not counted).
    XCTAssertGreaterThan(medusa.accepted, Self.samples / 2)
    XCTAssertGreaterThan(medusa.rejected, Self.samples / 4)

    let fit = ChiSquare.goodnessOfFit(counts: medusa.counts, expected: fixture.exact)
    XCTAssertGreaterThan(fit.degreesOfFreedom, 20)
    XCTAssertLessThan(
      fit.statistic, ChiSquare.critical001(degreesOfFreedom: fit.degreesOfFreedom),
      "lossless vs exact autoregressive: chi2 \(fit.statistic), df \(fit.degreesOfFreedom)")

    let ar = try AutoregressiveDecoder(
      model: fixture.model,
      capacity: AutoregressiveDecoder.capacity(
        promptLength: fixture.prompt.count, maxNewTokens: Self.length),
      parallelism: .serial)
    var arCounts: [[Int]: Int] = [:]
    for seed in 0..<UInt64(Self.samples) {
      let result = try ar.generate(
        prompt: fixture.prompt, stop: StopRule(maxNewTokens: Self.length, stopTokens: []),
        sampling: Self.processor, seed: 1_000_000 + seed)
      arCounts[result.outputIDs, default: 0] += 1
    }
    let arFit = ChiSquare.goodnessOfFit(counts: arCounts, expected: fixture.exact)
    XCTAssertLessThan(
      arFit.statistic, ChiSquare.critical001(degreesOfFreedom: arFit.degreesOfFreedom),
      "autoregressive sampling vs exact: chi2 \(arFit.statistic), df \(arFit.degreesOfFreedom)")
    let paired = ChiSquare.twoSample(medusa.counts, arCounts)
    XCTAssertLessThan(
      paired.statistic, ChiSquare.critical001(degreesOfFreedom: paired.degreesOfFreedom),
      "lossless vs autoregressive samples: chi2 \(paired.statistic), df \(paired.degreesOfFreedom)")
  }

  func testTheBiasedVariantFailsTheChiSquareTest() throws {
    let fixture = try fixture()
    fixture.decoder.residualRule = .unchanged
    defer { fixture.decoder.residualRule = .renormalized }
    let biased = try medusaSamples(fixture)
    let fit = ChiSquare.goodnessOfFit(counts: biased.counts, expected: fixture.exact)
    XCTAssertGreaterThan(
      fit.statistic, ChiSquare.critical001(degreesOfFreedom: fit.degreesOfFreedom),
      "biased vs exact: chi2 \(fit.statistic), df \(fit.degreesOfFreedom)")
  }
}
