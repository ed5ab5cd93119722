import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import MedusaTestSupport
import XCTest

@testable import Medusa

/// Greedy Medusa decoding with heads that share the base LM head, on a quantized GGUF model
/// (Q4_K/Q6_K blocks used in place, heads trained by this package:
/// `Golden/tools/make_gguf_tiny_heads.sh`), equals greedy autoregressive decoding bit for bit —
/// output ids and the logits of every emitted position — and the heads' drafts are accepted.
final class SharedHeadsLosslessTests: XCTestCase {
  static let newTokens = 32

  static func trees(headCount: Int) throws -> [(String, MedusaChoices)] {
    let sparse = (PublishedTrees.paths(named: "mc_sim_7b_63") ?? []).filter {
      $0.count <= headCount
    }
    return [
      ("chain", try MedusaChoices(paths: [[0], [0, 0], [0, 0, 0]], headCount: headCount)),
      (
        "branched",
        try MedusaChoices(
          paths: [[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0]], headCount: headCount)
      ),
      (
        "mc_sim_7b_63 to depth \(headCount)", try MedusaChoices(paths: sparse, headCount: headCount)
      ),
    ]
  }

  func testGreedyMedusaEqualsAutoregressiveBitwiseAndAcceptsDrafts() throws {
    let model = try LlamaModel(gguf: SharedHeads.ggufModel)
    let heads = try MedusaHeads.load(directory: SharedHeads.ggufHeads, model: model)
    XCTAssertEqual(heads.headProjection, .baseLanguageModelHead)
    XCTAssertEqual(heads.headCount, 3)
    let prompts = [[5, 9, 14, 200], [1863, 1039], [76, 176, 888, 856, 143], [1999, 0, 7, 7]]
    let stop = StopRule(maxNewTokens: Self.newTokens, stopTokens: [])
    var accepted = 0
    for prompt in prompts {
      let ar = try AutoregressiveDecoder(
        model: model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: Self.newTokens))
      let expected = try ar.generate(prompt: prompt, stop: stop, recordLogits: true)
      for (name, choices) in try Self.trees(headCount: heads.headCount) {
        for threads in (prompt == prompts[0] ? [1, 2] : [1]) {
          let medusa = try MedusaDecoder(
            model: model, heads: heads, choices: choices,
            capacity: MedusaDecoder.capacity(
              promptLength: prompt.count, maxNewTokens: Self.newTokens, choices: choices),
            parallelism: Parallelism(threads: threads))
          let got = try medusa.generate(
            prompt: prompt, stop: stop, recordLogits: true, recordSteps: true)
          XCTAssertEqual(got.outputIDs, expected.outputIDs, "\(name) \(prompt)")
          XCTAssertEqual(got.outputLogits.count, expected.outputLogits.count)
          for (index, (a, b)) in zip(got.outputLogits, expected.outputLogits).enumerated() {
            XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(name) logits @\(index)")
          }
          accepted += got.medusaSteps.reduce(0) { $0 + $1.acceptLength }
          XCTAssertLessThanOrEqual(got.steps, Self.newTokens)
        }
      }
    }
    // Trained heads: a good share of the tokens come from accepted drafts.
    XCTAssertGreaterThan(accepted, (prompts.count + 1) * 3 * Self.newTokens / 8)
  }
}
