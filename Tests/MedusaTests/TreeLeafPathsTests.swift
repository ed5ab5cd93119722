import XCTest

@testable import Medusa

final class TreeLeafPathsTests: XCTestCase {
  func testRoundTripForEveryPublishedTree() throws {
    for name in PublishedTrees.names {
      let full = try XCTUnwrap(try MedusaChoices.published(name, headCount: 4))
      let leaves = full.leafPaths
      XCTAssertLessThan(leaves.count, full.paths.count, name)
      let expanded = try MedusaChoices(leafPaths: leaves, headCount: 4)
      XCTAssertEqual(expanded.paths, full.sortedPaths, name)
      XCTAssertEqual(expanded.leafPaths, leaves, name)
      XCTAssertEqual(TreeBuffers(choices: expanded), TreeBuffers(choices: full), name)
    }
  }

  func testExpandsSharedPrefixesOnce() throws {
    let choices = try MedusaChoices(leafPaths: [[0, 1, 2], [1], [0, 0]], headCount: 3)
    XCTAssertEqual(choices.paths, [[0], [1], [0, 0], [0, 1], [0, 1, 2]])
    XCTAssertEqual(choices.leafPaths, [[1], [0, 0], [0, 1, 2]])
  }

  func testLeafThatIsAPrefixOfAnotherIsAnInnerNode() throws {
    let choices = try MedusaChoices(leafPaths: [[0], [0, 3]], headCount: 2)
    XCTAssertEqual(choices.paths, [[0], [0, 3]])
  }

  func testRejectsBadLeaves() {
    XCTAssertThrowsError(try MedusaChoices(leafPaths: [], headCount: 2)) {
      XCTAssertEqual($0 as? TreeError, .noPaths)
    }
    XCTAssertThrowsError(try MedusaChoices(leafPaths: [[0, 1], [0, 1]], headCount: 2)) {
      XCTAssertEqual($0 as? TreeError, .duplicate(path: [0, 1], position: 1, firstPosition: 0))
    }
    XCTAssertThrowsError(try MedusaChoices(leafPaths: [[0], []], headCount: 2)) {
      XCTAssertEqual($0 as? TreeError, .emptyPath(position: 1))
    }
    XCTAssertThrowsError(try MedusaChoices(leafPaths: [[0, 0, 0]], headCount: 2)) {
      XCTAssertEqual($0 as? TreeError, .tooDeep(path: [0, 0, 0], position: 2, headCount: 2))
    }
  }
}
