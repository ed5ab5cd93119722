import Foundation
import XCTest

@testable import Medusa

/// The sampling distribution: temperature, top-k, top-p and min-p, in transformers' order.
final class LogitsProcessingTests: XCTestCase {
  func kept(_ weights: [Double]) -> [Int] { weights.indices.filter { weights[$0] > 0 } }

  func testTemperatureAloneIsSoftmaxUpToItsNormaliser() {
    let logits: [Float] = [1.5, -0.25, 3, 0]
    let weights = LogitsProcessor(temperature: 0.7).weights(logits)
    for (index, logit) in logits.enumerated() {
      XCTAssertEqual(weights[index], exp((Double(logit) - 3) / 0.7), accuracy: 1e-15)
    }
    XCTAssertEqual(weights[2], 1)
  }

  func testTopKKeepsTiesAtTheKthValue() {
    let logits: [Float] = [1, 3, 3, 2, 0]
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 1).weights(logits)), [1, 2])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 2).weights(logits)), [1, 2])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 3).weights(logits)), [1, 2, 3])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 9).weights(logits)), [0, 1, 2, 3, 4])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 0).weights(logits)), [0, 1, 2, 3, 4])
  }

  func testTopPRemovesTheLeastLikelyTailWithinOneMinusP() {
    let probabilities = [0.5, 0.3, 0.12, 0.08]
    let logits = probabilities.map { Float(log($0)) }
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topP: 0.75).weights(logits)), [0, 1])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topP: 0.85).weights(logits)), [0, 1, 2])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topP: 0.01).weights(logits)), [0])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topP: 1).weights(logits)), [0, 1, 2, 3])
  }

  func testTopPBreaksTiesTowardsTheLowestIds() {
    // Four equal weights, top-p 0.5: a cumulative sum of exactly half the mass is removed, and
    // among equals the highest ids go first.
    let weights = LogitsProcessor(temperature: 1, topP: 0.5).weights([0, 0, 0, 0])
    XCTAssertEqual(kept(weights), [0, 1])
  }

  func testTemperatureComesBeforeTopPAndMinP() {
    // At T = 1 top-p 0.8 keeps one token; at T = 3 the tempered distribution needs two.
    let logits: [Float] = [2, 0, -5]
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topP: 0.8).weights(logits)), [0])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 3, topP: 0.8).weights(logits)), [0, 1])
    // Min-p 0.1 relative to the top token: e^-3 < 0.1 at T = 1, e^-1.5 > 0.1 at T = 2.
    let tail: [Float] = [0, -1, -3]
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, minP: 0.1).weights(tail)), [0, 1])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 2, minP: 0.1).weights(tail)), [0, 1, 2])
  }

  func testProcessorsComposeInOrder() {
    // top-k 4 leaves ids 0-3; top-p 0.9 then drops id 3 (the smallest of those); min-p 0.3
    // drops id 2. Each later processor sees only what the earlier ones kept.
    let logits: [Float] = [2, 1.5, 0.5, -1, -1.2, -4]
    let processor = LogitsProcessor(temperature: 1, topK: 4, topP: 0.9, minP: 0.3)
    XCTAssertEqual(kept(processor.weights(logits)), [0, 1])
    XCTAssertEqual(
      kept(LogitsProcessor(temperature: 1, topK: 4, topP: 0.9).weights(logits)), [0, 1, 2])
    XCTAssertEqual(kept(LogitsProcessor(temperature: 1, topK: 4).weights(logits)), [0, 1, 2, 3])
  }

  func testInvalidParametersAreRejected() {
    XCTAssertThrowsError(try LogitsProcessor(temperature: 0).validate())
    XCTAssertThrowsError(try LogitsProcessor(temperature: .nan).validate())
    XCTAssertThrowsError(try LogitsProcessor(temperature: 1, topK: -1).validate())
    XCTAssertThrowsError(try LogitsProcessor(temperature: 1, topP: 0).validate())
    XCTAssertThrowsError(try LogitsProcessor(temperature: 1, topP: 1.5).validate())
    XCTAssertThrowsError(try LogitsProcessor(temperature: 1, minP: 2).validate())
    XCTAssertNoThrow(
      try LogitsProcessor(temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05).validate())
  }

  func testDecisionsFollowTheDocumentedRules() {
    var rng = SplitMix64(seed: 42)
    var copy = rng
    let u = copy.nextUnitDouble()
    let choice = rng.accept(weight: 0.25, total: 1)
    XCTAssertEqual(choice.uniform, u)
    XCTAssertEqual(choice.value == 1, u * 1 < 0.25)
    let v = copy.nextUnitDouble()
    let draw = rng.draw(weights: [1, 0, 2, 1])
    XCTAssertEqual(draw.uniform, v)
    XCTAssertEqual(draw.value, Sampling.draw(weights: [1, 0, 2, 1], uniform: v))
    XCTAssertEqual(rng, copy)
    // A draft holding the whole residual is always accepted, one of weight 0 never.
    for seed in UInt64(0)..<200 {
      var g = SplitMix64(seed: seed)
      XCTAssertEqual(g.accept(weight: 0.3, total: 0.3).value, 1)
      XCTAssertEqual(g.accept(weight: 0, total: 0.3).value, 0)
    }
  }
}
