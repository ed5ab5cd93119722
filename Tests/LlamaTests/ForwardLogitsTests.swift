import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import XCTest

/// ``LlamaModel/computeLogits(ofToken:state:)``: a row computed after a forward without logits
/// has the bits of the same row computed inside the forward (the LM head is batch-invariant),
/// on every Golden model with 1 and 2 threads, and a token outside the last pass is refused.
final class ForwardLogitsTests: XCTestCase {
  func testRowsComputedLaterEqualTheForwardsRowsBitwise() throws {
    for name in Golden.modelNames {
      let model = try LlamaModel(directory: Golden.model(name))
      let vocabulary = model.config.vocabularySize
      let count = 9
      let tokens = (0..<count).map { ($0 * 29 + 7) % vocabulary }
      for threads in [1, 2] {
        let state = try model.makeState(
          capacity: count, maxBatch: count, parallelism: Parallelism(threads: threads))
        try model.forward(
          tokens: tokens, positions: Array(0..<count), plan: .causal(count),
          logitsFor: Array(0..<count), state: state)
        let eager = (0..<count).map { state.logits($0).map(\.bitPattern) }
        try state.cache.truncate(to: 0)
        try model.forward(
          tokens: tokens, positions: Array(0..<count), plan: .causal(count), logitsFor: [],
          state: state)
        for token in [4, 0, 8, 4] {
          try model.computeLogits(ofToken: token, state: state)
          XCTAssertEqual(
            state.logits(token).map(\.bitPattern), eager[token],
            "\(name) token \(token) threads \(threads)")
        }
        XCTAssertThrowsError(try model.computeLogits(ofToken: count, state: state)) {
          XCTAssertTrue("\($0)".contains("token \(count) of \(count)"), "\($0)")
        }
      }
    }
  }
}
