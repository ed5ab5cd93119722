import GoldenSupport
import XCTest

@testable import Medusa

/// Verdicts against the original `evaluate_posterior` (PyPI medusa-llm 0.1, float64) on the
/// cases of `Golden/cases/trees/posterior.json`.
final class PosteriorGoldenTests: XCTestCase {
  func testVerdictsEqualOriginalForEveryCase() throws {
    let cases = try GoldenTrees.posterior()
    XCTAssertGreaterThan(cases.count, 100)
    for golden in cases {
      let choices = try MedusaChoices(paths: golden.choices, headCount: golden.heads)
      let buffers = TreeBuffers(choices: choices)
      let candidates = try Candidates(
        baseToken: golden.baseToken, headTopK: golden.headTopk, buffers: buffers)
      let pathLogits = try Posterior.gatherPathLogits(
        nodeLogits: golden.nodeLogits, retrieveIndices: buffers.retrieveIndices)
      let verdict: Verdict
      if golden.temperature == 0 {
        verdict = try Posterior.greedy(pathLogits: pathLogits, candidates: candidates)
      } else {
        let acceptance = TypicalAcceptance(
          temperature: golden.temperature, posteriorThreshold: golden.posteriorThreshold,
          posteriorAlpha: golden.posteriorAlpha)
        verdict = try Posterior.typical(
          pathLogits: pathLogits, candidates: candidates, acceptance: acceptance)
      }
      let label = "case \(golden.id) (\(golden.tree), T=\(golden.temperature))"
      XCTAssertEqual(verdict.bestCandidate, golden.expected.bestCandidate, label)
      XCTAssertEqual(verdict.acceptLength, golden.expected.acceptLength, label)
      XCTAssertEqual(golden.padAcceptedByOriginal, golden.original != golden.expected, label)
    }
  }

  func testGoldenCoversEveryKindOfCase() throws {
    let cases = try GoldenTrees.posterior()
    for temperature in [0.0, 0.7, 1.0] {
      let subset = cases.filter { $0.temperature == temperature }
      XCTAssertTrue(subset.contains { $0.expected.acceptLength == 0 }, "T=\(temperature)")
      XCTAssertTrue(subset.contains { $0.expected.acceptLength >= 3 }, "T=\(temperature)")
      XCTAssertTrue(subset.contains { $0.padAcceptedByOriginal }, "T=\(temperature)")
    }
  }

  func testGatherReadsTheLastNodeForAPad() throws {
    let nodeLogits: [[Float]] = [[0], [1], [2], [3]]
    let gathered = try Posterior.gatherPathLogits(
      nodeLogits: nodeLogits, retrieveIndices: [[0, 1, 3], [0, 2, -1]])
    XCTAssertEqual(gathered, [[[0], [1], [3]], [[0], [2], [3]]])
    XCTAssertThrowsError(
      try Posterior.gatherPathLogits(nodeLogits: nodeLogits, retrieveIndices: [[0, 4]])
    ) { error in
      XCTAssertEqual(
        error as? PosteriorError, .nodeOutOfRange(row: 0, column: 1, node: 4, nodeCount: 4))
    }
  }
}
