import Foundation
import GoldenSupport
import XCTest

@testable import Medusa

final class TreeBuffersGoldenTests: XCTestCase {
  func testBuffersEqualOriginalForEveryGoldenTree() throws {
    let cases = try GoldenTrees.buffers()
    XCTAssertEqual(cases.count, PublishedTrees.names.count + 3)
    for golden in cases {
      let depth = golden.choices.map(\.count).max() ?? 0
      let buffers = TreeBuffers(
        choices: try MedusaChoices(paths: golden.choices, headCount: depth))
      let mask = buffers.attentionMask.map { row in row.map { $0 ? 1 : 0 } }
      XCTAssertEqual(mask, golden.attnMask, golden.name)
      XCTAssertEqual(buffers.treeIndices, golden.treeIndices, golden.name)
      XCTAssertEqual(buffers.positionIDs, golden.positionIds, golden.name)
      XCTAssertEqual(buffers.retrieveIndices, golden.retrieveIndices, golden.name)
      XCTAssertEqual(buffers.nodeCount, golden.choices.count + 1, golden.name)
      XCTAssertEqual(buffers.maxDepth, depth, golden.name)
    }
  }

  func testPublishedTreesAreTheOriginalData() throws {
    let golden = Dictionary(
      uniqueKeysWithValues: try GoldenTrees.buffers().map { ($0.name, $0.choices) })
    for name in PublishedTrees.names {
      XCTAssertEqual(PublishedTrees.paths(named: name), golden[name], name)
      XCTAssertEqual(PublishedTrees.paths(named: name)?.count, 63, name)
    }
    XCTAssertNil(PublishedTrees.paths(named: "vicuna_7b_stage3"))
  }

  func testParentsDepthAndChainsAgreeWithTheMask() throws {
    for name in PublishedTrees.names {
      let choices = try XCTUnwrap(try MedusaChoices.published(name, headCount: 4))
      let buffers = TreeBuffers(choices: choices)
      XCTAssertEqual(buffers.parents[0], -1)
      XCTAssertEqual(buffers.depth, buffers.positionIDs)
      for node in 0..<buffers.nodeCount {
        let chain = buffers.ancestorChains[node]
        XCTAssertEqual(chain.first, 0)
        XCTAssertEqual(chain.last, node)
        XCTAssertEqual(chain.count, buffers.depth[node] + 1)
        let allowed = buffers.attentionMask[node].indices.filter { buffers.attentionMask[node][$0] }
        XCTAssertEqual(chain, allowed, "\(name) node \(node)")
        if node > 0 {
          XCTAssertEqual(buffers.parents[node], chain[chain.count - 2])
          XCTAssertEqual(buffers.sortedPaths[node - 1].count, buffers.depth[node])
        }
      }
    }
  }

  func testSmallTreeByHand() throws {
    let buffers = TreeBuffers(choices: try MedusaChoices(paths: [[1], [0, 0], [0]], headCount: 2))
    XCTAssertEqual(buffers.sortedPaths, [[0], [1], [0, 0]])
    XCTAssertEqual(buffers.treeIndices, [0, 1, 2, 11])
    XCTAssertEqual(buffers.positionIDs, [0, 1, 1, 2])
    XCTAssertEqual(buffers.parents, [-1, 0, 0, 1])
    XCTAssertEqual(buffers.retrieveIndices, [[0, 1, 3], [0, 2, -1]])
    XCTAssertEqual(buffers.ancestorChains, [[0], [0, 1], [0, 2], [0, 1, 3]])
  }
}
