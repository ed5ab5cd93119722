import GoldenSupport
import XCTest

@testable import Medusa

/// Seeded sampling traces against `Golden/cases/trees/sampling.json`, which the Python tool
/// computes with its own SplitMix64 and draw rule over the original's truncations.
final class SamplingGoldenTests: XCTestCase {
  struct SamplingCase: Decodable {
    let posteriorCase: Int
    let mode: String
    let temperature: Double
    let posteriorThreshold: Double
    let posteriorAlpha: Double
    let topP: Double
    let seed: UInt64
    let samples: [[Int]]
    let verdict: GoldenTrees.GoldenVerdict
    let nextToken: Int
  }

  func testTracesEqualTheIndependentReplay() throws {
    let posterior = Dictionary(
      uniqueKeysWithValues: try GoldenTrees.posterior().map { ($0.id, $0) })
    let cases = try GoldenTrees.load("sampling.json", as: SamplingCase.self)
    XCTAssertGreaterThan(cases.count, 100)
    for golden in cases {
      let step = try XCTUnwrap(posterior[golden.posteriorCase])
      let buffers = TreeBuffers(
        choices: try MedusaChoices(paths: step.choices, headCount: step.heads))
      let candidates = try Candidates(
        baseToken: step.baseToken, headTopK: step.headTopk, buffers: buffers)
      let paths = try Posterior.gatherPathLogits(
        nodeLogits: step.nodeLogits, retrieveIndices: buffers.retrieveIndices)
      let acceptance = TypicalAcceptance(
        temperature: golden.temperature, posteriorThreshold: golden.posteriorThreshold,
        posteriorAlpha: golden.posteriorAlpha)
      var rng = SplitMix64(seed: golden.seed)
      let sampled: SampledVerdict
      if golden.mode == "typical" {
        sampled = try Posterior.typicalSampling(
          pathLogits: paths, candidates: candidates, acceptance: acceptance, using: &rng)
      } else {
        sampled = try Posterior.nucleusSampling(
          pathLogits: paths, candidates: candidates, temperature: golden.temperature,
          topP: golden.topP, using: &rng)
      }
      let label = "case \(golden.posteriorCase) \(golden.mode) top-p \(golden.topP)"
      XCTAssertEqual(sampled.samples, golden.samples, label)
      XCTAssertEqual(sampled.verdict.bestCandidate, golden.verdict.bestCandidate, label)
      XCTAssertEqual(sampled.verdict.acceptLength, golden.verdict.acceptLength, label)

      let row = buffers.retrieveIndices[sampled.verdict.bestCandidate]
      let nextLogits = step.nodeLogits[row[sampled.verdict.acceptLength]]
      let next =
        golden.mode == "typical"
        ? Sampling.typicalToken(logits: nextLogits, acceptance: acceptance, using: &rng)
        : Sampling.nucleusToken(
          logits: nextLogits, temperature: golden.temperature, topP: golden.topP, using: &rng)
      XCTAssertEqual(next, golden.nextToken, label)
    }
  }
}
