import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// References that carry the K largest logits per position (`top_logits`, `emit --top-logits
/// K`) instead of full rows: the SmolLM2 reference is what the emitter produces today and a
/// faithful candidate passes it; a candidate's full rows or its own lists are compared on the
/// reference's ids, and a value beyond tolerance or a missing id fails, naming the position.
final class ConformanceTopLogitsTests: XCTestCase {
  static let smolLM2 = "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"

  /// The reference's own answers as a candidate, with full rows or with top lists.
  static func candidate(
    _ reference: ConformanceReference, rows: [String: [[Float]]] = [:],
    top: [String: TopLogits] = [:]
  ) -> ConformanceCandidate {
    ConformanceCandidate(
      backend: "the reference itself",
      cases: reference.cases.map { item in
        CandidateCase(
          id: item.id, outputIDs: item.medusaOutputIDs, arOutputIDs: item.arOutputIDs,
          steps: item.steps.map(CandidateStep.init), logits: rows[item.id], topLogits: top[item.id]
        )
      })
  }

  /// The tiny reference's first `count` cases (all of them when nil), full rows replaced by
  /// their top 20; and those rows by case id.
  static func tinyTopReference(count: Int? = 3) throws -> (
    reference: ConformanceReference, rows: [String: [[Float]]]
  ) {
    var reference = try ConformanceCheckTests.reference()
    reference.cases = Array(reference.cases.prefix(count ?? reference.cases.count))
    var rows: [String: [[Float]]] = [:]
    for index in reference.cases.indices {
      let full = try XCTUnwrap(reference.cases[index].logits)
      rows[reference.cases[index].id] = full
      reference.cases[index].topLogits = TopLogits(rows: full, k: 20)
      reference.cases[index].logits = nil
    }
    return (reference, rows)
  }

  /// The reference's own top lists by case id.
  static func lists(_ reference: ConformanceReference) -> [String: TopLogits] {
    Dictionary(
      uniqueKeysWithValues: reference.cases.compactMap { item in
        item.topLogits.map { (item.id, $0) }
      })
  }

  // MARK: - SmolLM2 (needs the fetched GGUF)

  func testEmitterReproducesTheSmolLM2ReferenceAndACandidatePasses() throws {
    let file = Golden.root.appendingPathComponent(Self.smolLM2)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw XCTSkip("SmolLM2 is not fetched: run `bash Golden/tools/fetch_smollm2.sh`")
    }
    let committed = try ConformanceCheckTests.reference("smollm2-135m-instruct")
    XCTAssertTrue(committed.cases.allSatisfy { $0.logits == nil && $0.topLogits != nil })
    let model = try LlamaModel(path: file)
    let heads = try MedusaHeads.load(
      directory: Golden.root.appendingPathComponent(committed.heads.path), model: model)
    // One prompt and tree, greedy and typical: the multi-turn chat, whose EOS is accepted as a
    // head token (not a step's root) and stops the case.
    let tree = "chain_4"
    let prompt = try XCTUnwrap(committed.cases.first { $0.id == "p2/\(tree)" }?.promptIDs)
    let chosen = committed.cases.filter { $0.promptIDs == prompt && $0.tree == tree }
    XCTAssertEqual(chosen.count, 2)
    for item in chosen {
      XCTAssertEqual(item.medusaOutputIDs.last.map(committed.stop.stopTokenIDs.contains), true)
      XCTAssertGreaterThanOrEqual(item.steps.last?.tokens.count ?? 0, 2, item.id)
    }
    let paths = try XCTUnwrap(committed.trees.first { $0.name == tree }?.choices)
    let verifications = try chosen.map { try XCTUnwrap(($0.verification ?? .greedy).verification) }
    let emitter = ConformanceEmitter(
      model: model, heads: heads, modelPath: committed.model.path,
      headsPath: committed.heads.path)
    let emitted = try emitter.emit(
      trees: [(name: tree, choices: try MedusaChoices(paths: paths, headCount: heads.headCount))],
      prompts: [prompt],
      stop: StopRule(
        maxNewTokens: committed.stop.maxNewTokens, stopTokens: Set(committed.stop.stopTokenIDs)),
      includeLogits: true, topLogits: 20, verifications: verifications,
      nearTieRelative: committed.nearTieRelative)
    XCTAssertEqual(emitted.cases.count, chosen.count)
    var rows: [String: [[Float]]] = [:]
    var top40: [String: TopLogits] = [:]
    for (mine, theirs) in zip(emitted.cases, chosen) {
      var bare = mine
      bare.id = theirs.id  // emitted as prompt 0
      bare.logits = nil
      XCTAssertEqual(bare.steps, theirs.steps, theirs.id)
      XCTAssertEqual(bare.topLogits, theirs.topLogits, theirs.id)
      XCTAssertEqual(bare, theirs, "\(theirs.id): rerun Golden/tools/conformance/regenerate.sh")
      rows[theirs.id] = mine.logits
      top40[theirs.id] = mine.logits.map { TopLogits(rows: $0, k: 40) }
    }
    var subset = committed
    subset.cases = chosen
    for candidate in [
      Self.candidate(subset, rows: rows), Self.candidate(subset, top: top40),
      Self.candidate(subset, top: rows.mapValues { TopLogits(rows: $0, k: 20) }),
    ] {
      let report = ConformanceCheck.run(reference: subset, candidate: candidate)
      XCTAssertTrue(report.passed, report.render())
      for result in report.cases {
        XCTAssertTrue(result.levels.contains(6), result.id)
        XCTAssertTrue(result.compared.contains { $0.hasPrefix("top-20 logits") }, result.id)
      }
    }
  }

  /// Without the GGUF: both SmolLM2 files hold 20 ids and values at every emitted position
  /// (the greedy ones descending, the top-1 the emitted token) and their own answers pass.
  func testSmolLM2ReferencesCarryTop20AndPassThemselves() throws {
    for name in ["smollm2-135m-instruct", "smollm2-135m-instruct-mc_sim"] {
      let reference = try ConformanceCheckTests.reference(name)
      for item in reference.cases {
        let top = try XCTUnwrap(item.topLogits, item.id)
        XCTAssertEqual(top.ids.count, item.medusaOutputIDs.count, item.id)
        XCTAssertTrue(
          top.ids.allSatisfy { $0.count == 20 } && top.values.allSatisfy { $0.count == 20 })
        XCTAssertTrue(top.values.allSatisfy { zip($0, $0.dropFirst()).allSatisfy { $0 >= $1 } })
        if item.verification == nil {
          XCTAssertEqual(top.ids.map(\.first), item.medusaOutputIDs.map { $0 }, item.id)
        }
      }
      let report = ConformanceCheck.run(
        reference: reference, candidate: Self.candidate(reference, top: Self.lists(reference)))
      XCTAssertTrue(report.passed, report.render())
    }
  }

  // MARK: - The comparison (tiny-mha-f32, no GGUF needed)

  func testFullRowsAreComparedOnTheReferenceIDs() throws {
    let (reference, rows) = try Self.tinyTopReference()
    let exact = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, rows: rows))
    XCTAssertTrue(exact.passed, exact.render())
    let item = reference.cases[0]
    let top = try XCTUnwrap(item.topLogits)
    XCTAssertGreaterThan(item.medusaOutputIDs.count, 3)
    // An entry outside the reference's top 20 is not compared.
    var outside = rows
    let row = try XCTUnwrap(rows[item.id]?[3])
    let lowest = try XCTUnwrap(row.indices.min { row[$0] < row[$1] })
    XCTAssertFalse(top.ids[3].contains(lowest))
    outside[item.id]?[3][lowest] -= 5
    let ignored = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, rows: outside))
    XCTAssertTrue(ignored.passed, ignored.render())
    // One of the 20 ids beyond tolerance fails the case at that position.
    var perturbed = rows
    let token = top.ids[3][4]
    perturbed[item.id]?[3][token] -= 0.01
    let report = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, rows: perturbed))
    XCTAssertFalse(report.passed)
    let result = try XCTUnwrap(report.cases.first { $0.id == item.id })
    XCTAssertEqual(result.status, .fail)
    XCTAssertEqual(result.diagnosis?.cause, .logitsTolerance)
    XCTAssertEqual(result.diagnosis?.field, "logits")
    let explanation = result.diagnosis?.explanation ?? ""
    XCTAssertTrue(explanation.contains("output position 3"), explanation)
    XCTAssertTrue(explanation.contains("token \(token) (rank 5"), explanation)
    let count = item.medusaOutputIDs.count
    XCTAssertTrue(
      result.compared.contains("top-20 logits 3/\(count) within tolerance"), "\(result.compared)")
    XCTAssertEqual(report.cases.filter { $0.status == .fail }.count, 1)
  }

  func testOwnListsMustHoldEveryReferenceID() throws {
    let (reference, rows) = try Self.tinyTopReference()
    let item = reference.cases[0]
    let top = try XCTUnwrap(item.topLogits)
    var lists = Self.lists(reference)
    let same = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, top: lists))
    XCTAssertTrue(same.passed, same.render())
    let longer = ConformanceCheck.run(
      reference: reference,
      candidate: Self.candidate(reference, top: rows.mapValues { TopLogits(rows: $0, k: 40) }))
    XCTAssertTrue(longer.passed, longer.render())
    // The 20th id swapped for another of the same value (rounding at the cut): forgiven.
    let row = try XCTUnwrap(rows[item.id]?[3])
    let twentyFirst = try XCTUnwrap(TopLogits(rows: [row], k: 21).ids.first?.last)
    var swapped = lists
    swapped[item.id]?.ids[3][19] = twentyFirst
    let forgiven = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, top: swapped))
    XCTAssertTrue(forgiven.passed, forgiven.render())
    // Rank 5 left out: a clear failure at that position.
    let token = top.ids[3][4]
    lists[item.id]?.ids[3].remove(at: 4)
    lists[item.id]?.values[3].remove(at: 4)
    let report = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, top: lists))
    let result = try XCTUnwrap(report.cases.first { $0.id == item.id })
    XCTAssertEqual(result.status, .fail)
    XCTAssertEqual(result.diagnosis?.field, "top_logits")
    let explanation = result.diagnosis?.explanation ?? ""
    XCTAssertTrue(explanation.contains("output position 3"), explanation)
    XCTAssertTrue(explanation.contains("lack token \(token), rank 5"), explanation)
    XCTAssertTrue(explanation.contains("fewer than 20"), explanation)
    // A list of 20 that holds another id instead: the same failure, named by its cut.
    lists[item.id]?.ids[3].append(twentyFirst)
    lists[item.id]?.values[3].append(row[twentyFirst])
    let full = ConformanceCheck.run(
      reference: reference, candidate: Self.candidate(reference, top: lists))
    let cut = try XCTUnwrap(full.cases.first { $0.id == item.id }?.diagnosis?.explanation)
    XCTAssertTrue(cut.contains("lack token \(token)") && cut.contains("smallest"), cut)
  }

  func testShiftedAndNoisyCandidatesAgainstTopLists() throws {
    let (reference, _) = try Self.tinyTopReference(count: nil)
    let shifted = ConformanceCheck.run(
      reference: reference, candidate: try ConformanceCheckTests.candidate("bug-logits_shifted"))
    let misaligned = shifted.cases.filter { $0.diagnosis?.cause == .logitsMisaligned }
    XCTAssertEqual(misaligned.count, 3, shifted.render())
    let noisy = ConformanceCheck.run(
      reference: reference, candidate: try ConformanceCheckTests.candidate("correct_noise"))
    XCTAssertTrue(noisy.passed, noisy.render())
    XCTAssertTrue(noisy.cases.contains { $0.compared.contains { $0.hasPrefix("top-20 logits") } })
  }

  func testTheFieldIsOptionalInBothFiles() throws {
    let (reference, _) = try Self.tinyTopReference()
    let text = String(decoding: try ConformanceFiles.encode(reference), as: UTF8.self)
    XCTAssertTrue(text.contains(#""top_logits":{"ids":[["#), String(text.prefix(200)))
    var plain = try ConformanceCheckTests.reference()
    plain.cases = Array(plain.cases.prefix(3))
    let old = String(decoding: try ConformanceFiles.encode(plain), as: UTF8.self)
    XCTAssertFalse(old.contains("top_logits"))
    // Own lists against a reference without them: said, not compared.
    let lists = Self.lists(reference)
    let report = ConformanceCheck.run(
      reference: plain, candidate: Self.candidate(plain, top: lists))
    XCTAssertTrue(report.passed, report.render())
    XCTAssertTrue(
      report.cases.allSatisfy {
        $0.compared.contains { $0.contains("top_logits: not in the reference") }
      })
    // K outside 1...1000 is refused.
    let folder = Golden.root.appendingPathComponent("Golden/models/tiny-mha-f32")
    let model = try LlamaModel(directory: folder)
    let emitter = ConformanceEmitter(
      model: model,
      heads: try MedusaHeads.load(
        directory: folder.appendingPathComponent("medusa"), backbone: model.config),
      modelPath: "m", headsPath: "h")
    XCTAssertThrowsError(
      try emitter.emit(
        trees: [], prompts: [[1]], stop: StopRule(maxNewTokens: 1, stopTokens: []),
        includeLogits: false, topLogits: 1001)
    ) { XCTAssertTrue("\($0)".contains("1...1000"), "\($0)") }
  }
}
