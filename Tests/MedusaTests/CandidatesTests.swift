import GoldenSupport
import XCTest

@testable import Medusa

final class CandidatesTests: XCTestCase {
  /// Against the original `generate_candidates` (greedy base token) for every golden case.
  func testCandidatesEqualOriginal() throws {
    for golden in try GoldenTrees.posterior() {
      let buffers = TreeBuffers(
        choices: try MedusaChoices(paths: golden.choices, headCount: golden.heads))
      let candidates = try Candidates(
        baseToken: golden.baseToken, headTopK: golden.headTopk, buffers: buffers)
      XCTAssertEqual(candidates.treeCandidates, golden.treeCandidates, "case \(golden.id)")
      XCTAssertEqual(candidates.candidates, golden.candidates, "case \(golden.id)")
      XCTAssertEqual(
        candidates.isPad, buffers.retrieveIndices.map { $0.map { $0 == -1 } }, "case \(golden.id)")
    }
  }

  func testByHand() throws {
    let buffers = TreeBuffers(choices: try MedusaChoices(paths: [[0], [1], [0, 2]], headCount: 2))
    let heads = [Array(10..<20), Array(20..<30)]
    let candidates = try Candidates(baseToken: 7, headTopK: heads, buffers: buffers)
    XCTAssertEqual(candidates.treeCandidates, [7, 10, 11, 22])
    XCTAssertEqual(candidates.candidates, [[7, 10, 22], [7, 11, 0]])
    XCTAssertEqual(candidates.isPad, [[false, false, false], [false, false, true]])
  }

  func testRejectsWrongShapes() throws {
    let buffers = TreeBuffers(choices: try MedusaChoices(paths: [[0], [0, 0]], headCount: 2))
    XCTAssertThrowsError(
      try Candidates(baseToken: 1, headTopK: [Array(0..<10)], buffers: buffers)
    ) { error in
      XCTAssertEqual(error as? CandidatesError, .tooFewHeads(needed: 2, got: 1))
    }
    XCTAssertThrowsError(
      try Candidates(baseToken: 1, headTopK: [Array(0..<10), Array(0..<9)], buffers: buffers)
    ) { error in
      XCTAssertEqual(error as? CandidatesError, .wrongTopKCount(head: 1, got: 9))
      XCTAssertTrue("\(error)".contains("head 1"))
    }
  }
}
