import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import XCTest

/// DESIGN §2.1: the logits of T tokens run together are bitwise equal to the same tokens run
/// one at a time, for every T up to 64, on every Golden model, with 1 and 2 threads; and a
/// tree plan gives every node the logits of decoding its path one token at a time.
final class BatchInvarianceTests: XCTestCase {
  func testBatchedLogitsEqualOneAtATimeBitwise() throws {
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let vocabulary = model.config.vocabularySize
      let tokens = (0..<64).map { ($0 * 37 + 11) % vocabulary }
      for threads in [1, 2] {
        let sequential = try oneAtATime(model: model, tokens: tokens, threads: threads)
        let state = try model.makeState(
          capacity: 64, maxBatch: 64, parallelism: Parallelism(threads: threads))
        for count in 1...64 {
          try state.cache.truncate(to: 0)
          try model.forward(
            tokens: Array(tokens[0..<count]), positions: Array(0..<count), plan: .causal(count),
            logitsFor: Array(0..<count), state: state)
          for index in 0..<count {
            XCTAssertEqual(
              bits(state.logits(index)), sequential[index],
              "\(name): T=\(count) token \(index) threads \(threads)")
          }
        }
      }
    }
  }

  func testTreePlanEqualsDecodingEachPath() throws {
    // Root, two children, grandchildren under both: parents in depth order.
    let parents = [-1, 0, 0, 1, 1, 2, 3]
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let vocabulary = model.config.vocabularySize
      let prefix = (0..<9).map { ($0 * 13 + 2) % vocabulary }
      let nodes = (0..<parents.count).map { ($0 * 29 + 7) % vocabulary }
      let depth = parents.indices.map { node -> Int in
        var depth = 0
        var current = node
        while parents[current] >= 0 {
          depth += 1
          current = parents[current]
        }
        return depth
      }
      let state = try model.makeState(capacity: 32, parallelism: Parallelism(threads: 2))
      try model.forward(
        tokens: prefix, positions: Array(0..<prefix.count), plan: .causal(prefix.count),
        logitsFor: [], state: state)
      try state.cache.commit(prefix.count)
      try model.forward(
        tokens: nodes, positions: depth.map { prefix.count + $0 },
        plan: .tree(parents: parents), logitsFor: Array(nodes.indices), state: state)
      let treeLogits = nodes.indices.map { bits(state.logits($0)) }
      for node in nodes.indices {
        var path: [Int] = []
        var current = node
        while current >= 0 {
          path.insert(nodes[current], at: 0)
          current = parents[current]
        }
        let sequential = try oneAtATime(model: model, tokens: prefix + path, threads: 1)
        XCTAssertEqual(treeLogits[node], sequential.last, "\(name): node \(node)")
      }
    }
  }

  /// Logit bit patterns of each token when decoding `tokens` one forward per token.
  private func oneAtATime(model: LlamaModel, tokens: [Int], threads: Int) throws -> [[UInt32]] {
    let state = try model.makeState(
      capacity: tokens.count, maxBatch: 1, parallelism: Parallelism(threads: threads))
    var result: [[UInt32]] = []
    for (position, token) in tokens.enumerated() {
      try model.forward(
        tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: state)
      try state.cache.commit(1)
      result.append(bits(state.logits(0)))
    }
    return result
  }
}
