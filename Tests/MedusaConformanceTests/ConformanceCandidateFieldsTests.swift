import Foundation
import GoldenSupport
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// What a candidate must and may give (Docs/CONFORMANCE.md §4.2): only `id` and `output_ids`
/// per case and `accept_length` and `tokens` per step are required; a missing optional field
/// narrows the comparison and says so; level 1 compares tree buffers; every Golden tree has a
/// name.
final class ConformanceCandidateFieldsTests: XCTestCase {
  private func write(_ text: String) throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "conformance-\(UUID().uuidString).json")
    try Data(text.utf8).write(to: url)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url.path
  }

  func testOnlyIDsAndOutputIDsAreRequired() throws {
    let minimal = try ConformanceFiles.readCandidate(
      path: try write(#"{"cases":[{"id":"p0/chain_4","output_ids":[1,2]}]}"#))
    XCTAssertNil(minimal.format)
    XCTAssertNil(minimal.backend)
    let step = try ConformanceFiles.readCandidate(
      path: try write(
        #"{"cases":[{"id":"a","output_ids":[1],"steps":[{"accept_length":0,"tokens":[1]}]}]}"#))
    XCTAssertNil(step.cases[0].steps?[0].treeCandidates)
    XCTAssertThrowsError(
      try ConformanceFiles.readCandidate(
        path: try write(#"{"cases":[{"id":"a","output_ids":[1],"steps":[{"accept_length":0}]}]}"#))
    ) { XCTAssertTrue("\($0)".contains("cases[0].steps[0].tokens: missing"), "\($0)") }
    XCTAssertThrowsError(
      try ConformanceFiles.readCandidate(
        path: try write(#"{"format":"something-else","cases":[]}"#)))
    XCTAssertThrowsError(
      try ConformanceFiles.readCandidate(path: try write(#"{"format_version":2,"cases":[]}"#)))
  }

  func testMissingOptionalFieldsNarrowTheComparisonAndSaySo() throws {
    let reference = try ConformanceCheckTests.reference()
    let full = try ConformanceCheckTests.candidate("correct_noise")
    var noRows = full
    var noTree = full
    for index in full.cases.indices {
      for step in (full.cases[index].steps ?? []).indices {
        noRows.cases[index].steps?[step].candidates = nil
        noTree.cases[index].steps?[step].candidates = nil
        noTree.cases[index].steps?[step].treeCandidates = nil
        noTree.cases[index].steps?[step].nodeTop1 = nil
        noTree.cases[index].steps?[step].bestCandidate = nil
      }
    }
    let rows = ConformanceCheck.run(reference: reference, candidate: noRows)
    XCTAssertTrue(rows.passed, rows.render())
    XCTAssertTrue(
      rows.cases.allSatisfy { $0.notes.contains { $0.contains("derived from tree_candidates") } })
    let tree = ConformanceCheck.run(reference: reference, candidate: noTree)
    XCTAssertTrue(tree.passed, tree.render())
    XCTAssertTrue(
      tree.cases.allSatisfy { $0.notes.contains { $0.contains("without tree_candidates") } })
    XCTAssertTrue(tree.cases.allSatisfy { $0.notes.contains { $0.contains("without node_top1") } })
    // Narrowed, not blind: a wrong accept length is still caught.
    var wrong = noTree
    wrong.cases[0].steps?[0].acceptLength += 1
    XCTAssertFalse(ConformanceCheck.run(reference: reference, candidate: wrong).passed)
  }

  func testRowOrderIsNamedFromBestCandidateWhenRowsAreDerived() throws {
    var candidate = try ConformanceCheckTests.candidate("bug-leaves_forward")
    for index in candidate.cases.indices {
      for step in (candidate.cases[index].steps ?? []).indices {
        candidate.cases[index].steps?[step].candidates = nil
      }
    }
    let report = ConformanceCheck.run(
      reference: try ConformanceCheckTests.reference(), candidate: candidate)
    let failing = report.cases.filter { $0.status == .fail }
    XCTAssertFalse(failing.isEmpty)
    for result in failing {
      XCTAssertEqual(result.diagnosis?.cause, .retrieveIndices, result.id)
      XCTAssertEqual(result.diagnosis?.field, "best_candidate", result.id)
    }
  }

  func testAMatchingStepIsNeverStaleKV() throws {
    // Tree, rows, best row and accept length agree; only tokens differ.
    let reference = try ConformanceCheckTests.reference()
    let expected = reference.cases[0]
    var steps = expected.steps.map(CandidateStep.init)
    steps[1].tokens = Array(steps[1].tokens.dropLast())
    var middle = ConformanceCandidate(
      backend: nil,
      cases: [CandidateCase(id: expected.id, outputIDs: expected.medusaOutputIDs, steps: steps)])
    var report = ConformanceCheck.run(reference: reference, candidate: middle)
    XCTAssertEqual(report.cases[0].diagnosis?.cause, .acceptOffByOne)
    XCTAssertEqual(report.cases[0].diagnosis?.field, "tokens")
    steps = expected.steps.map(CandidateStep.init)
    let last = steps.count - 1
    steps[last].tokens = Array(steps[last].tokens.dropLast())
    middle.cases[0].steps = steps
    middle.cases[0].outputIDs = Array(expected.medusaOutputIDs.dropLast())
    report = ConformanceCheck.run(reference: reference, candidate: middle)
    XCTAssertEqual(report.cases[0].diagnosis?.cause, .stopRule, report.render())
    for result in report.cases { XCTAssertNotEqual(result.diagnosis?.cause, .staleKV) }
  }

  func testTreeBuffersAreLevelOne() throws {
    let reference = try ConformanceCheckTests.reference()
    let tree = try XCTUnwrap(reference.trees.first)
    let buffers = TreeBuffers(
      choices: try MedusaChoices(paths: tree.choices, headCount: reference.heads.headCount))
    let good = CandidateTreeBuffers(
      name: tree.name, treeIndices: buffers.treeIndices, positionIDs: buffers.positionIDs,
      retrieveIndices: buffers.retrieveIndices,
      attnMask: buffers.attentionMask.map { $0.map { $0 ? 1 : 0 } })
    var bad = good
    bad.retrieveIndices?.reverse()
    let cases = reference.cases.map { CandidateCase(id: $0.id, outputIDs: $0.medusaOutputIDs) }
    let passing = ConformanceCheck.run(
      reference: reference,
      candidate: ConformanceCandidate(backend: nil, cases: cases, treeBuffers: [good]))
    XCTAssertTrue(passing.passed, passing.render())
    XCTAssertEqual(passing.trees.first?.compared.count, 4)
    let failing = ConformanceCheck.run(
      reference: reference,
      candidate: ConformanceCandidate(
        backend: nil, cases: cases,
        treeBuffers: [
          bad,
          CandidateTreeBuffers(
            name: "tiny_3", treeIndices: [0, 1, 2, 11], positionIDs: nil, retrieveIndices: nil,
            attnMask: nil),
        ]))
    XCTAssertFalse(failing.passed)
    XCTAssertEqual(failing.failedTrees, 1)
    XCTAssertTrue(failing.trees[0].difference?.hasPrefix("retrieve_indices") ?? false)
    XCTAssertTrue(failing.trees[1].passed, "\(failing.trees[1])")
    XCTAssertTrue(failing.summary.contains("trees 1/2"), failing.summary)
  }

  func testEveryGoldenTreeHasAName() throws {
    let golden = try Golden.json("Golden/cases/medusa/trees.json")["trees"] as? [String: Any] ?? [:]
    for (name, value) in golden {
      let choices = (value as? [String: Any])?["choices"] as? [[Int]]
      XCTAssertEqual(ConformanceTrees.paths(named: name), choices, name)
    }
    for item in try GoldenTrees.buffers() {
      XCTAssertEqual(ConformanceTrees.paths(named: item.name), item.choices, item.name)
    }
    XCTAssertNotNil(try MedusaChoices.named("chain_4", headCount: 4))
    XCTAssertNil(try MedusaChoices.named("no_such_tree", headCount: 4))
  }
}
