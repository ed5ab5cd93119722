import Foundation
import Medusa
import MedusaTraining
import XCTest

/// The greedy tree construction against the original's `explore_graph` (`medusa/eval/
/// gen_results.py`), whose outputs below were produced by running that function, unchanged
/// except for plain lists instead of tensors, on these tables.
final class TrainingTreeTests: XCTestCase {
  func testGreedyTreeMatchesTheOriginalExploreGraph() throws {
    let accuracy: [[Double]] = [
      [0.162, 0.038, 0.108, 0.009, 0.054, 0.03, 0.004, 0.032, 0.002, 0.022],
      [0.035, 0.023, 0.071, 0.103, 0.012, 0.019, 0.045, 0.059, 0.032, 0.02],
      [0.488, 0.012, 0.143, 0.036, 0.014, 0.01, 0.022, 0.051, 0.01, 0.029],
      [0.319, 0.093, 0.091, 0.008, 0.006, 0.017, 0.049, 0.027, 0.017, 0.029],
    ]
    // explore_graph(accuracy, 4, [10] * 4, 25)
    let tree = TreeConstruction.greedy(accuracy: accuracy, nodes: 26)
    XCTAssertEqual(
      tree.paths,
      [
        [0], [1], [2], [3], [4], [5], [0, 0], [6], [7], [2, 0], [0, 1], [0, 2], [0, 3], [0, 3, 0],
        [0, 2, 0], [0, 0, 0], [0, 3, 0, 0], [2, 1], [2, 2], [2, 3], [2, 3, 0], [2, 2, 0], [8], [9],
        [0, 4], [0, 5],
      ])
    XCTAssertEqual(tree.expectedTokensPerStep, 1.556952742992, accuracy: 1e-12)
    _ = try MedusaChoices(paths: tree.paths, headCount: 4)

    // Ties go to the first candidate found (siblings before children, nodes in order taken).
    let tied = TreeConstruction.greedy(accuracy: [[0.5, 0.25, 0.25], [0.5, 0.5, 0.1]], nodes: 7)
    XCTAssertEqual(tied.paths, [[0], [1], [0, 0], [2], [0, 1], [1, 0], [2, 0]])
    XCTAssertEqual(tied.expectedTokensPerStep, 2.75, accuracy: 1e-12)
  }

  func testSpeedCurveUsesTheForwardOfNodesPlusRoot() {
    let accuracy: [[Double]] = [[0.6, 0.2], [0.5, 0.1]]
    // cost(T) for T = 1, 2, 3, 4: a tree of N nodes pays cost(N + 1).
    let curve = TreeConstruction.speedCurve(accuracy: accuracy, relativeCost: [1, 1.1, 1.5, 2])
    XCTAssertEqual(curve.map(\.nodes), [1, 2, 3])
    XCTAssertEqual(curve.map(\.relativeCost), [1.1, 1.5, 2])
    // Nodes [0] 0.6, [0, 0] 0.3, [1] 0.2.
    XCTAssertEqual(curve[0].tokensPerStep, 1.6, accuracy: 1e-12)
    XCTAssertEqual(curve[1].tokensPerStep, 1.9, accuracy: 1e-12)
    XCTAssertEqual(curve[2].speedup, 2.1 / 2, accuracy: 1e-12)

    // Forwards without logits plus one LM-head row (0.2) per token a step yields.
    let lazy = TreeConstruction.speedCurve(
      accuracy: accuracy, relativeCost: [0.8, 0.9, 1.2, 1.6], logitRowCost: 0.2)
    XCTAssertEqual(lazy[0].relativeCost, 0.9 + 1.6 * 0.2, accuracy: 1e-12)
    XCTAssertEqual(lazy[1].relativeCost, 1.2 + 1.9 * 0.2, accuracy: 1e-12)
    XCTAssertEqual(lazy[2].speedup, 2.1 / (1.6 + 2.1 * 0.2), accuracy: 1e-12)
  }

  func testAccuracyFilesWithOnlyCumulativeAccuracyAreDifferenced() throws {
    let json = #"{"accuracy": [[0.5, 0.75, 0.8]]}"#
    let table = try HeadAccuracy.rankTable(json: Data(json.utf8), source: "inline")
    XCTAssertEqual(table[0][0], 0.5)
    XCTAssertEqual(table[0][1], 0.25, accuracy: 1e-12)
    XCTAssertEqual(table[0][2], 0.05, accuracy: 1e-12)
    XCTAssertThrowsError(
      try HeadAccuracy.rankTable(json: Data(#"{"accuracy": [[2]]}"#.utf8), source: "inline"))
    XCTAssertThrowsError(try HeadAccuracy.rankTable(json: Data("[]".utf8), source: "inline"))
  }
}
