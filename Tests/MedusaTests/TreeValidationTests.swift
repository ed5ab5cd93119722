import XCTest

@testable import Medusa

final class TreeValidationTests: XCTestCase {
  private func error(_ paths: [[Int]], heads: Int = 4) -> TreeError? {
    do {
      _ = try MedusaChoices(paths: paths, headCount: heads)
      return nil
    } catch {
      return error
    }
  }

  func testAcceptsEveryPublishedTree() throws {
    for name in PublishedTrees.names {
      let choices = try XCTUnwrap(try MedusaChoices.published(name, headCount: 4), name)
      XCTAssertEqual(choices.paths.count, 63, name)
    }
    XCTAssertNil(try MedusaChoices.published("no_such_tree", headCount: 4))
  }

  func testRejectsNoPaths() {
    XCTAssertEqual(error([]), .noPaths)
  }

  /// 1023 paths (10 x 10 x 10 + 10 x 10 + 10 ... cut to the cap) pass; one more is refused by
  /// count, before any path is inspected.
  func testCapsTheNumberOfPaths() throws {
    var paths: [[Int]] = []
    for a in 0..<10 { paths.append([a]) }
    for a in 0..<10 { for b in 0..<10 { paths.append([a, b]) } }
    for a in 0..<10 { for b in 0..<10 { for c in 0..<10 { paths.append([a, b, c]) } } }
    let capped = Array(paths.prefix(MedusaChoices.maxPaths))
    XCTAssertEqual(try MedusaChoices(paths: capped, headCount: 4).paths.count, 1023)
    let over = Array(paths.prefix(MedusaChoices.maxPaths + 1))
    XCTAssertEqual(error(over), .tooManyPaths(count: 1024, limit: 1023))
    XCTAssertTrue("\(TreeError.tooManyPaths(count: 1024, limit: 1023))".contains("1024 paths"))
  }

  func testRejectsEmptyPath() {
    let found = error([[0], []])
    XCTAssertEqual(found, .emptyPath(position: 1))
    XCTAssertTrue("\(found.map { "\($0)" } ?? "")".contains("#1"))
  }

  func testRejectsIndexOutOfRange() {
    XCTAssertEqual(
      error([[0], [0, 10]]),
      .indexOutOfRange(path: [0, 10], position: 1, depth: 2, index: 10, topK: 10))
    XCTAssertEqual(
      error([[-1]]), .indexOutOfRange(path: [-1], position: 0, depth: 1, index: -1, topK: 10))
    XCTAssertTrue("\(error([[0], [0, 10]]).map { "\($0)" } ?? "")".contains("[0, 10]"))
  }

  func testRejectsTreeDeeperThanHeads() throws {
    XCTAssertEqual(
      error([[0], [0, 0], [0, 0, 0]], heads: 2),
      .tooDeep(path: [0, 0, 0], position: 2, headCount: 2))
    XCTAssertThrowsError(try MedusaChoices.published("mc_sim_7b_63", headCount: 3))
    XCTAssertNotNil(try MedusaChoices.published("vicuna_33b_stage1", headCount: 3))
  }

  func testRejectsDuplicate() {
    let found = error([[0], [1], [0, 0], [1]])
    XCTAssertEqual(found, .duplicate(path: [1], position: 3, firstPosition: 1))
    XCTAssertTrue("\(found.map { "\($0)" } ?? "")".contains("[1] (#3) repeats path #1"))
  }

  func testRejectsMissingParent() {
    let found = error([[0], [0, 0], [1, 2]])
    XCTAssertEqual(found, .missingParent(path: [1, 2], position: 2, parent: [1]))
    XCTAssertTrue("\(found.map { "\($0)" } ?? "")".contains("prefix-closed"))
    XCTAssertEqual(
      error([[0], [0, 1, 2], [0, 1, 2, 3]]),
      .missingParent(path: [0, 1, 2], position: 1, parent: [0, 1]))
  }

  func testOrderOfPathsIsKeptAndSortedLikeTheOriginal() throws {
    let choices = try MedusaChoices(paths: [[2], [0, 1], [0], [1], [0, 0]], headCount: 2)
    XCTAssertEqual(choices.paths, [[2], [0, 1], [0], [1], [0, 0]])
    XCTAssertEqual(choices.sortedPaths, [[0], [1], [2], [0, 0], [0, 1]])
    XCTAssertEqual(choices.maxDepth, 2)
  }
}
