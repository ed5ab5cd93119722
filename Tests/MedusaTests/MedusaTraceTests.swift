import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// Our Medusa decoder against the Python re-implementation of the original algorithm on top of
/// transformers (Golden/tools/medusa_reference.py): for every Golden model, prompt, tree and
/// mode (greedy; typical acceptance at T = 0.7 and 1.0), output ids, accept lengths and
/// appended tokens match exactly at every step, with and without stopping at EOS. Candidate
/// order follows the heads' top-10 ranking, which float noise (transformers vs us, ~1e-5) can
/// swap where two head logits nearly tie, so tree candidates and the chosen row are compared
/// wherever every used head's smallest top-10 gap is above `orderGap`.
final class MedusaTraceTests: XCTestCase {
  static let orderGap: Float = 1e-3

  func testTracesMatchThePythonReimplementation() throws {
    var compared = 0
    var orderCompared = 0
    for name in Golden.modelNames {
      let reference = try Golden.json("Golden/cases/medusa/\(name).json")
      let trees = try XCTUnwrap(
        try Golden.json("Golden/cases/medusa/trees.json")["trees"] as? [String: Any])
      let model = try LlamaModel(directory: Golden.model(name))
      let heads = try MedusaHeads.load(
        directory: Golden.model(name).appendingPathComponent("medusa"), backbone: model.config)
      let eos = Set(Golden.ints(reference["eos_token_ids"]))
      var decoders: [String: MedusaDecoder] = [:]
      for item in try XCTUnwrap(reference["cases"] as? [[String: Any]]) {
        let treeName = try XCTUnwrap(item["tree"] as? String)
        let decoder =
          try decoders[treeName]
          ?? {
            let tree = try XCTUnwrap(trees[treeName] as? [String: Any])
            let paths = try XCTUnwrap(tree["choices"] as? [[NSNumber]]).map { $0.map(\.intValue) }
            let choices = try MedusaChoices(paths: paths, headCount: heads.headCount)
            return try MedusaDecoder(model: model, heads: heads, choices: choices, capacity: 256)
          }()
        decoders[treeName] = decoder
        let prompt = Golden.ints(item["prompt_ids"])
        let maxNewTokens = try XCTUnwrap(item["max_new_tokens"] as? Int)
        let verification = try Self.verification(try XCTUnwrap(item["mode"] as? [String: Any]))
        let label = "\(name) \(treeName) \(item["mode"] ?? "") \(prompt)"

        let result = try decoder.generate(
          prompt: prompt, stop: StopRule(maxNewTokens: maxNewTokens, stopTokens: []),
          verification: verification, recordSteps: true)
        XCTAssertEqual(result.outputIDs, Golden.ints(item["output_ids"]), label)
        let steps = try XCTUnwrap(item["steps"] as? [[String: Any]])
        XCTAssertEqual(result.medusaSteps.count, steps.count, label)
        for (index, (got, want)) in zip(result.medusaSteps, steps).enumerated() {
          XCTAssertEqual(got.acceptLength, want["accept_length"] as? Int, "\(label) step \(index)")
          XCTAssertEqual(got.tokens, Golden.ints(want["tokens"]), "\(label) step \(index)")
          let gaps = Golden.floats(want["head_topk_gaps"]).prefix(decoder.tree.maxDepth)
          if gaps.allSatisfy({ $0 > Self.orderGap }) {
            XCTAssertEqual(
              got.treeCandidates, Golden.ints(want["tree_candidates"]), "\(label) \(index)")
            XCTAssertEqual(got.bestCandidate, want["best_candidate"] as? Int, "\(label) \(index)")
            orderCompared += 1
          }
        }
        let stopped = try XCTUnwrap(item["eos_stop"] as? [String: Any])
        let withEOS = try decoder.generate(
          prompt: prompt, stop: StopRule(maxNewTokens: maxNewTokens, stopTokens: eos),
          verification: verification)
        XCTAssertEqual(withEOS.outputIDs, Golden.ints(stopped["output_ids"]), "\(label) EOS")
        compared += 1
      }
    }
    XCTAssertGreaterThanOrEqual(compared, 3 * 6 * 5 * 3)
    XCTAssertGreaterThan(orderCompared, compared)
  }

  /// The decoding mode of a Golden case.
  static func verification(_ mode: [String: Any]) throws -> Verification {
    switch mode["name"] as? String {
    case "greedy": return .greedy
    case "typical":
      return .typical(
        TypicalAcceptance(
          temperature: (mode["temperature"] as? NSNumber)?.doubleValue ?? 1,
          posteriorThreshold: (mode["posterior_threshold"] as? NSNumber)?.doubleValue ?? 0.09,
          posteriorAlpha: (mode["posterior_alpha"] as? NSNumber)?.doubleValue ?? 0.3))
    default:
      throw NSError(domain: "MedusaTraceTests", code: 1, userInfo: ["mode": mode])
    }
  }
}
