import XCTest

@testable import Medusa

/// Small hand-built cases for the rules the golden files exercise only statistically.
final class PosteriorUnitTests: XCTestCase {
  /// Tree [[0], [1], [0, 0]] with vocab 4; rows are [base, head1, head2] = [[3, 1, 2], [3, 2, 0]].
  private func fixture() throws -> (TreeBuffers, Candidates) {
    let buffers = TreeBuffers(
      choices: try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: 2))
    let heads = [[1, 2, 0, 3, 4, 5, 6, 7, 8, 9], [2, 3, 0, 1, 4, 5, 6, 7, 8, 9]]
    let candidates = try Candidates(baseToken: 3, headTopK: heads, buffers: buffers)
    XCTAssertEqual(candidates.candidates, [[3, 1, 2], [3, 2, 0]])
    return (buffers, candidates)
  }

  private func oneHot(_ token: Int, _ value: Float = 5) -> [Float] {
    (0..<4).map { $0 == token ? value : 0 }
  }

  func testGreedyArgmaxTiesGoToTheLowestId() throws {
    let (buffers, candidates) = try fixture()
    // Root logits tie tokens 1 and 2: the lowest id (1) is the argmax, so row 0 wins.
    let nodes: [[Float]] = [[0, 5, 5, 0], oneHot(2), oneHot(0), oneHot(0)]
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    let verdict = try Posterior.greedy(pathLogits: paths, candidates: candidates)
    XCTAssertEqual(verdict, Verdict(bestCandidate: 0, acceptLength: 2))
  }

  func testGreedyNeverAcceptsAPad() throws {
    let (buffers, candidates) = try fixture()
    // Root argmax 2 accepts row 1's head token; node 2 then predicts token 0, the pad's token.
    let nodes: [[Float]] = [oneHot(2), oneHot(3), oneHot(0), oneHot(3)]
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    let verdict = try Posterior.greedy(pathLogits: paths, candidates: candidates)
    XCTAssertEqual(verdict, Verdict(bestCandidate: 1, acceptLength: 1))
  }

  func testNothingAcceptedIsRowZero() throws {
    let (buffers, candidates) = try fixture()
    let nodes = [[Float]](repeating: oneHot(3), count: 4)
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    XCTAssertEqual(
      try Posterior.greedy(pathLogits: paths, candidates: candidates),
      Verdict(bestCandidate: 0, acceptLength: 0))
    XCTAssertEqual(
      try Posterior.typical(
        pathLogits: paths, candidates: candidates,
        acceptance: TypicalAcceptance(temperature: 1)),
      Verdict(bestCandidate: 0, acceptLength: 0))
  }

  func testTypicalPrefersTheMoreLikelyRowAmongEqualLengths() throws {
    let (buffers, candidates) = try fixture()
    // Root: tokens 1 and 2 both likely, 2 more so; neither row gets a second token.
    let nodes: [[Float]] = [[0, 3, 4, 0], oneHot(3), oneHot(3), oneHot(3)]
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    let verdict = try Posterior.typical(
      pathLogits: paths, candidates: candidates, acceptance: TypicalAcceptance(temperature: 1))
    XCTAssertEqual(verdict, Verdict(bestCandidate: 1, acceptLength: 1))
  }

  func testDefaultsAreTheGenerationDefaults() {
    let acceptance = TypicalAcceptance(temperature: 0.7)
    XCTAssertEqual(acceptance.posteriorThreshold, 0.09)
    XCTAssertEqual(acceptance.posteriorAlpha, 0.3)
  }

  func testRejectsBadParametersAndShapes() throws {
    let (buffers, candidates) = try fixture()
    let nodes = [[Float]](repeating: oneHot(3), count: 4)
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    XCTAssertThrowsError(
      try Posterior.typical(
        pathLogits: paths, candidates: candidates, acceptance: TypicalAcceptance(temperature: 0))
    ) { XCTAssertEqual($0 as? PosteriorError, .invalidParameter(name: "temperature", value: 0)) }
    XCTAssertThrowsError(
      try Posterior.greedy(pathLogits: Array(paths.prefix(1)), candidates: candidates)
    ) { XCTAssertEqual($0 as? PosteriorError, .rowCountMismatch(logitRows: 1, candidateRows: 2)) }
    var short = paths
    short[1].removeLast()
    XCTAssertThrowsError(try Posterior.greedy(pathLogits: short, candidates: candidates)) {
      XCTAssertEqual(
        $0 as? PosteriorError, .columnCountMismatch(row: 1, logitColumns: 2, candidateColumns: 3))
    }
    var empty = paths
    empty[0][1] = []
    XCTAssertThrowsError(try Posterior.greedy(pathLogits: empty, candidates: candidates)) {
      XCTAssertEqual($0 as? PosteriorError, .emptyLogits(row: 0, column: 1))
    }
  }
}
