import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// The committed conformance reference is exactly what `ConformanceEmitter` produces today
/// (so Golden/cases/conformance/ cannot drift from the decoder); `medusa tree show`'s drawing.
final class ConformanceEmitTests: XCTestCase {
  func testReferencesAreReproducedByTheEmitter() throws {
    for name in [
      "tiny-mha-f32", "tiny-mha-f32-trees", "tiny-mha-f32-typical", "default-trees",
      "default-typical",
    ] {
      try reproduce(try ConformanceCheckTests.reference(name))
    }
  }

  /// Every reference judges the stop rule: some cases stop at EOS inside an accepted chunk (the
  /// step that emits the EOS accepted tokens after it, which the stop rule drops), and the
  /// greedy ones also at an EOS accepted as a head token (not a step's root).
  func testReferencesStopAtEOSInsideAcceptedChunks() throws {
    for name in ["tiny-mha-f32", "tiny-mha-f32-trees", "tiny-mha-f32-typical"] {
      let reference = try ConformanceCheckTests.reference(name)
      let eos = Set(reference.stop.stopTokenIDs)
      let inside = reference.cases.filter { item in
        guard let last = item.steps.last, let token = item.medusaOutputIDs.last else {
          return false
        }
        return eos.contains(token) && last.tokens.count < last.acceptLength + 1
      }
      XCTAssertGreaterThanOrEqual(inside.count, 2, name)
      let headEOS = reference.cases.contains { item in
        eos.contains(item.medusaOutputIDs.last ?? -1) && (item.steps.last?.tokens.count ?? 0) >= 2
      }
      XCTAssertTrue(headEOS || !(reference.cases[0].verification?.isGreedy ?? true), name)
    }
  }

  private func reproduce(_ committed: ConformanceReference) throws {
    let model = try LlamaModel(directory: Golden.root.appendingPathComponent(committed.model.path))
    let heads = try MedusaHeads.load(
      directory: Golden.root.appendingPathComponent(committed.heads.path), backbone: model.config)
    let trees = try committed.trees.map {
      (name: $0.name, choices: try MedusaChoices(paths: $0.choices, headCount: heads.headCount))
    }
    var prompts: [[Int]] = []
    for item in committed.cases where !prompts.contains(item.promptIDs) {
      prompts.append(item.promptIDs)
    }
    let emitter = ConformanceEmitter(
      model: model, heads: heads, modelPath: committed.model.path, headsPath: committed.heads.path)
    let stop = StopRule(
      maxNewTokens: committed.stop.maxNewTokens, stopTokens: Set(committed.stop.stopTokenIDs))
    var verifications: [Verification] = []
    for item in committed.cases {
      let verification = try XCTUnwrap((item.verification ?? .greedy).verification)
      if !verifications.contains(verification) { verifications.append(verification) }
    }
    let emitted = try emitter.emit(
      trees: trees, prompts: prompts, stop: stop, includeLogits: committed.cases[0].logits != nil,
      verifications: verifications, nearTieRelative: committed.nearTieRelative)
    XCTAssertEqual(emitted.cases.count, committed.cases.count)
    // One short message per differing case (whole cases are megabytes of logits): after a
    // kernel change, rerun Golden/tools/conformance/regenerate.sh.
    for (a, b) in zip(emitted.cases, committed.cases) where a != b {
      XCTFail(
        "\(a.id): emitted case differs from the committed one in \(Self.firstDifference(a, b))")
    }
    var header = emitted
    header.cases = []
    var committedHeader = committed
    committedHeader.cases = []
    XCTAssertEqual(header, committedHeader)
    // Every step's node_top1 agrees with its accepted tokens (a consistency check of the file).
    for item in committed.cases {
      for step in item.steps {
        XCTAssertEqual(step.tokens.first, step.treeCandidates.first, item.id)
      }
    }
  }

  /// The first field in which two reference cases differ.
  static func firstDifference(_ a: ReferenceCase, _ b: ReferenceCase) -> String {
    if a.medusaOutputIDs != b.medusaOutputIDs || a.arOutputIDs != b.arOutputIDs {
      return "output ids"
    }
    if let step = zip(a.steps, b.steps).enumerated().first(where: { $0.element.0 != $0.element.1 })
    {
      return "step \(step.offset)"
    }
    if a.steps.count != b.steps.count { return "the number of steps" }
    if a.margins != b.margins || a.top1Logits != b.top1Logits { return "margins" }
    return a.logits != b.logits ? "logits" : "other fields"
  }

  /// Independent agreement: the greedy traces of the Python re-implementation
  /// (Golden/cases/medusa/tiny-mha-f32.json, transformers in float32) stopped at EOS give the
  /// same output ids and the same steps as the reference, for every case they share.
  func testReferenceAgreesWithThePythonTraces() throws {
    let reference = try ConformanceCheckTests.reference()
    let traces = try Golden.json("Golden/cases/medusa/tiny-mha-f32.json")
    let trees = try Golden.json("Golden/cases/medusa/trees.json")["trees"] as? [String: Any] ?? [:]
    var greedy: [String: [String: Any]] = [:]
    for item in traces["cases"] as? [[String: Any]] ?? [] {
      guard (item["mode"] as? [String: Any])?["name"] as? String == "greedy" else { continue }
      greedy["\(Golden.ints(item["prompt_ids"]))/\(item["tree"] ?? "")"] = item
    }
    var compared = 0
    for item in reference.cases {
      guard let trace = greedy["\(item.promptIDs)/\(item.tree)"] else { continue }
      let choices = (trees[item.tree] as? [String: Any])?["choices"] as? [[Int]]
      XCTAssertEqual(choices, reference.trees.first { $0.name == item.tree }?.choices, item.tree)
      let eosStop = trace["eos_stop"] as? [String: Any]
      XCTAssertEqual(item.medusaOutputIDs, Golden.ints(eosStop?["output_ids"]), item.id)
      let steps = trace["steps"] as? [[String: Any]] ?? []
      for (mine, theirs) in zip(item.steps, steps) {
        XCTAssertEqual(mine.treeCandidates, Golden.ints(theirs["tree_candidates"]), item.id)
        XCTAssertEqual(mine.bestCandidate, (theirs["best_candidate"] as? NSNumber)?.intValue)
        XCTAssertEqual(mine.acceptLength, (theirs["accept_length"] as? NSNumber)?.intValue)
      }
      compared += 1
    }
    // The conformance prompts add two long EOS prompts the Python traces do not have.
    XCTAssertGreaterThanOrEqual(compared, 21)
  }

  func testTreeDrawingShowsNodesAndBuffers() throws {
    let choices = try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: 2)
    let text = TreeDrawing.render(name: "small", choices: choices)
    XCTAssertTrue(text.contains("tree small: 4 nodes"), text)
    XCTAssertTrue(text.contains("├─ slot 0  n1  [0]  (head 1)"), text)
    XCTAssertTrue(text.contains("│  └─ slot 0  n3  [0, 0]  (head 2)"), text)
    XCTAssertTrue(text.contains("[0, 1, 3]"), text)
    XCTAssertTrue(text.contains("   3  11.1"), text)
  }
}
