import Foundation
import XCTest

@testable import Medusa

final class TreeJSONTests: XCTestCase {
  private func load(_ text: String, heads: Int = 4) -> Result<MedusaChoices, TreeError> {
    Result { () throws(TreeError) in
      try MedusaChoices(jsonData: Data(text.utf8), source: "tree.json", headCount: heads)
    }
  }

  func testLoadsAValidTree() throws {
    let choices = try load("[[0], [0, 0], [1]]").get()
    XCTAssertEqual(choices.paths, [[0], [0, 0], [1]])
  }

  func testTruncatedJSONIsMalformed() {
    guard case .failure(.malformedJSON(let source, _)) = load("[[0], [0, 0") else {
      return XCTFail("expected malformedJSON")
    }
    XCTAssertEqual(source, "tree.json")
    guard case .failure(.malformedJSON) = load("") else { return XCTFail("empty file") }
  }

  func testWrongTypesNameTheLocation() {
    let cases: [(String, String)] = [
      ("{\"paths\": [[0]]}", "top level"),
      ("[[0], 1]", "[1]"),
      ("[[0], [0, \"1\"]]", "[1][1]"),
      ("[[0], [0, true]]", "[1][1]"),
      ("[[0], [0, 1.5]]", "[1][1]"),
      ("[[0], [[0]]]", "[1][0]"),
      ("[[0], null]", "[1]"),
      ("[[0], [2.0]]", "[1][0]"),
      ("[[0], {\"a\": 1}]", "[1]"),
      ("5", "top level"),
    ]
    for (text, location) in cases {
      let result = load(text)
      guard case .failure(let error) = result, case .wrongJSONType(_, let found, _) = error else {
        XCTFail("\(text): expected wrongJSONType, got \(result)")
        continue
      }
      XCTAssertEqual(found, location, text)
      XCTAssertTrue(error.description.contains("tree.json"), text)
    }
  }

  func testValidJSONInvalidTreeIsATreeError() {
    guard case .failure(.missingParent(let path, _, _)) = load("[[0], [1, 1]]") else {
      return XCTFail("expected missingParent")
    }
    XCTAssertEqual(path, [1, 1])
  }

  func testReadsAFileAndReportsAMissingOne() throws {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("medusa-tree-\(UUID().uuidString).json")
    try Data("[[0],[1],[0,0]]".utf8).write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    let choices = try MedusaChoices(contentsOfFile: url.path, headCount: 2)
    XCTAssertEqual(choices.sortedPaths, [[0], [1], [0, 0]])

    let missing = url.path + ".missing"
    XCTAssertThrowsError(try MedusaChoices(contentsOfFile: missing, headCount: 2)) { error in
      guard case .unreadableFile(let path, _) = error as? TreeError else {
        return XCTFail("expected unreadableFile, got \(error)")
      }
      XCTAssertEqual(path, missing)
    }
  }
}
