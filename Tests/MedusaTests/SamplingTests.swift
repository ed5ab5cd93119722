import XCTest

@testable import Medusa

final class SamplingTests: XCTestCase {
  func testSplitMix64ReferenceOutputs() {
    var rng = SplitMix64(seed: 1_234_567)
    XCTAssertEqual(rng.next(), 6_457_827_717_110_365_317)
    XCTAssertEqual(rng.next(), 3_203_168_211_198_807_973)
    XCTAssertEqual(rng.next(), 9_817_491_932_198_370_423)
    var zero = SplitMix64(seed: 0)
    XCTAssertEqual(zero.next(), 0xE220_A839_7B1D_CDAF)
  }

  func testUnitDoubleUsesTheTop53Bits() {
    var rng = SplitMix64(seed: 1_234_567)
    var copy = rng
    XCTAssertEqual(rng.nextUnitDouble(), Double(copy.next() >> 11) / 9_007_199_254_740_992)
  }

  func testDrawFollowsTheCumulativeRule() {
    var rng = SplitMix64(seed: 7)
    var counts = [0, 0, 0, 0]
    for _ in 0..<40_000 { counts[Sampling.draw(weights: [1, 0, 2, 1], using: &rng)] += 1 }
    XCTAssertEqual(counts[1], 0)
    XCTAssertEqual(Double(counts[0]) / 40_000, 0.25, accuracy: 0.01)
    XCTAssertEqual(Double(counts[2]) / 40_000, 0.5, accuracy: 0.01)
    // u * total falls in the first interval for the smallest u.
    struct Zero: RandomNumberGenerator { mutating func next() -> UInt64 { 0 } }
    var zero = Zero()
    XCTAssertEqual(Sampling.draw(weights: [0, 3, 1], using: &zero), 1)
  }

  func testTypicalWeightsRemoveTokensBelowTheThreshold() {
    let acceptance = TypicalAcceptance(temperature: 1)
    let logits: [Float] = [4, 4, 0, -8]
    let weights = Sampling.typicalWeights(logits: logits, acceptance: acceptance)
    let p = acceptance.probabilities(logits)
    let threshold = acceptance.threshold(p)
    for token in 0..<4 { XCTAssertEqual(weights[token] > 0, p[token] >= threshold) }
    XCTAssertEqual(weights[0], weights[1])
    XCTAssertEqual(weights[3], 0)
  }

  func testNucleusKeepsTheSmallestPrefixOverTopP() {
    // Probabilities ~ [0.42, 0.42, 0.16, ~0]: the tie is ordered by id, token 2 enters only
    // once the first two exceed top-p.
    let logits: [Float] = [1, 1, 0.034, -20]
    let keepTwo = Sampling.nucleusWeights(logits: logits, temperature: 1, topP: 0.5)
    XCTAssertEqual(keepTwo.map { $0 > 0 }, [true, true, false, false])
    let keepOne = Sampling.nucleusWeights(logits: logits, temperature: 1, topP: 0.1)
    XCTAssertEqual(keepOne.map { $0 > 0 }, [true, false, false, false])
    let keepAll = Sampling.nucleusWeights(logits: logits, temperature: 1, topP: 1)
    XCTAssertEqual(keepAll.map { $0 > 0 }, [true, true, true, true])
  }

  private func fixture() throws -> ([[[Float]]], Candidates) {
    let buffers = TreeBuffers(
      choices: try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: 2))
    let heads = [[1, 2, 0, 3, 4, 5, 6, 7, 8, 9], [2, 3, 0, 1, 4, 5, 6, 7, 8, 9]]
    let candidates = try Candidates(baseToken: 3, headTopK: heads, buffers: buffers)
    let nodes: [[Float]] = [[0, 3, 3, 0], [0, 0, 20, 0], [20, 0, 0, 0], [0, 0, 0, 0]]
    let paths = try Posterior.gatherPathLogits(
      nodeLogits: nodes, retrieveIndices: buffers.retrieveIndices)
    return (paths, candidates)
  }

  func testSamplingVerdictsAreReproducibleAndConsistent() throws {
    let (paths, candidates) = try fixture()
    let acceptance = TypicalAcceptance(temperature: 1)
    for seed in UInt64(0)..<50 {
      var rng = SplitMix64(seed: seed)
      let first = try Posterior.typicalSampling(
        pathLogits: paths, candidates: candidates, acceptance: acceptance, using: &rng)
      var again = SplitMix64(seed: seed)
      let second = try Posterior.typicalSampling(
        pathLogits: paths, candidates: candidates, acceptance: acceptance, using: &again)
      XCTAssertEqual(first, second)
      XCTAssertEqual(rng, again)
      // One draw per row and column: 2 rows x maxDepth 2.
      XCTAssertEqual(first.samples.map(\.count), [2, 2])
      // The root keeps tokens 1 and 2, and each row draws from it on its own (the bias of
      // the original). Node 1 is certain of token 2, row 0's second head token; node 2
      // predicts token 0, which is row 1's pad and never accepted.
      let expected: Verdict
      if first.samples[0][0] == 1 {
        expected = Verdict(bestCandidate: 0, acceptLength: 2)
      } else if first.samples[1][0] == 2 {
        expected = Verdict(bestCandidate: 1, acceptLength: 1)
      } else {
        expected = Verdict(bestCandidate: 0, acceptLength: 0)
      }
      XCTAssertEqual(first.verdict, expected, "seed \(seed)")
      XCTAssertEqual(first.samples[0][1], 2)
      XCTAssertEqual(first.samples[1][1], 0)
    }
  }

  func testNucleusWithTinyTopPIsGreedy() throws {
    let (paths, candidates) = try fixture()
    var rng = SplitMix64(seed: 3)
    let sampled = try Posterior.nucleusSampling(
      pathLogits: paths, candidates: candidates, temperature: 1, topP: 0.01, using: &rng)
    XCTAssertEqual(
      sampled.verdict, try Posterior.greedy(pathLogits: paths, candidates: candidates))
    XCTAssertThrowsError(
      try Posterior.nucleusSampling(
        pathLogits: paths, candidates: candidates, temperature: 1, topP: 0, using: &rng))
  }

  func testBaseTokenSamplers() {
    var rng = SplitMix64(seed: 11)
    let logits: [Float] = [0, 30, 0, 0]
    let acceptance = TypicalAcceptance(temperature: 0.7)
    XCTAssertEqual(Sampling.typicalToken(logits: logits, acceptance: acceptance, using: &rng), 1)
    XCTAssertEqual(
      Sampling.nucleusToken(logits: logits, temperature: 0.7, topP: 0.8, using: &rng), 1)
  }
}
