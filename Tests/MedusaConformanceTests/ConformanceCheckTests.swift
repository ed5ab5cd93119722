import Foundation
import GoldenSupport
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// `medusa conformance check` catches real bugs and names them: each deliberately broken
/// variant of Golden/tools/broken_variants/make_candidates.py fails with its own diagnosis, a
/// correct candidate with 1e-6 noise on its logits passes, a divergence at a near-tie is
/// tolerated, and the coarse (ids-only) and stop-rule paths answer sensibly.
final class ConformanceCheckTests: XCTestCase {
  static let folder = "Golden/cases/conformance/"

  static func reference() throws -> ConformanceReference {
    try ConformanceFiles.readReference(
      path: Golden.root.appendingPathComponent(folder + "reference-tiny-mha-f32.json").path)
  }

  static func candidate(_ variant: String) throws -> ConformanceCandidate {
    try ConformanceFiles.readCandidate(
      path: Golden.root.appendingPathComponent(folder + "candidate-\(variant).json").path)
  }

  /// Another reference file of the folder (`reference-NAME.json`).
  static func reference(_ name: String) throws -> ConformanceReference {
    try ConformanceFiles.readReference(
      path: Golden.root.appendingPathComponent(folder + "reference-\(name).json").path)
  }

  func testEachBrokenVariantFailsWithItsDiagnosis() throws {
    let reference = try Self.reference()
    // Cases a bug cannot reach pass: a chain has no siblings to leak through a missing mask and
    // its accepted nodes are the first tree rows, so stale rows are right; an off-by-one read
    // needs a step that stops before the end of its row.
    let chains = reference.cases.filter { $0.tree == "chain_4" }.count
    let expected: [(String, Diagnosis.Cause, maxPasses: Int, chainOnly: Bool)] = [
      ("no_tree_mask", .treeMask, chains, true), ("wrong_position_ids", .positionIDs, 0, true),
      ("stale_kv", .staleKV, chains, true), ("stale_head_logits", .staleHeadLogits, 0, true),
      ("off_by_one_retrieve", .acceptOffByOne, 2, false),
    ]
    for (variant, cause, maxPasses, chainOnly) in expected {
      let report = ConformanceCheck.run(
        reference: reference, candidate: try Self.candidate(variant))
      XCTAssertFalse(report.passed, variant)
      let passed = report.cases.filter { $0.status == .pass }
      XCTAssertLessThanOrEqual(passed.count, maxPasses, variant)
      for result in report.cases where result.status != .pass {
        XCTAssertEqual(result.status, .fail, "\(variant) \(result.id)")
        XCTAssertEqual(result.diagnosis?.cause, cause, "\(variant) \(result.id)")
      }
      for result in passed where chainOnly {
        XCTAssertTrue(result.id.hasSuffix("/chain_4"), "\(variant) \(result.id)")
      }
      XCTAssertTrue(report.render().contains("[\(cause.rawValue)]"), variant)
    }
  }

  func testCorrectCandidateWithNoisyLogitsPasses() throws {
    let report = ConformanceCheck.run(
      reference: try Self.reference(), candidate: try Self.candidate("correct_noise"))
    XCTAssertTrue(report.passed, report.render())
    XCTAssertTrue(report.cases.allSatisfy { $0.status == .pass && $0.diagnosis == nil })
    // "logits A/B within tolerance" with A == B, for every case that reported logits.
    let withLogits = report.cases.filter { result in
      result.compared.contains { text in
        let words = text.split(separator: " ")
        guard words.count == 4, words[0] == "logits" else { return false }
        let counts = words[1].split(separator: "/")
        return counts.count == 2 && counts[0] == counts[1]
      }
    }
    XCTAssertEqual(
      withLogits.count, try Self.reference().cases.filter { $0.tree == "mc_sim_7b_63" }.count)
    XCTAssertTrue(
      report.cases.allSatisfy { $0.levels.contains(6) == ($0.id.hasSuffix("mc_sim_7b_63")) })
  }

  func testLogitsBeyondToleranceFailWithIdsAgreeing() throws {
    var candidate = try Self.candidate("correct_noise")
    let index = try XCTUnwrap(candidate.cases.firstIndex { $0.logits != nil })
    candidate.cases[index].logits?[3][7] += 0.01
    let report = ConformanceCheck.run(reference: try Self.reference(), candidate: candidate)
    XCTAssertFalse(report.passed)
    XCTAssertEqual(report.cases[index].diagnosis?.cause, .logitsTolerance)
  }

  func testIDsOnlyCandidatesGetTheCoarseDiagnosis() throws {
    let reference = try Self.reference()
    for (variant, causes) in [
      ("stale_kv", Set<Diagnosis.Cause>([.staleKV])),
      ("no_tree_mask", [.treePass, .staleKV]),
    ] {
      var candidate = try Self.candidate(variant)
      for index in candidate.cases.indices { candidate.cases[index].steps = nil }
      let report = ConformanceCheck.run(reference: reference, candidate: candidate)
      XCTAssertFalse(report.passed)
      for result in report.cases where result.status == .fail {
        XCTAssertTrue(
          causes.contains(result.diagnosis?.cause ?? .missingCase), "\(variant) \(result.id)")
      }
    }
    // Stale head logits do not change greedy output: only steps reveal them.
    var candidate = try Self.candidate("stale_head_logits")
    for index in candidate.cases.indices { candidate.cases[index].steps = nil }
    XCTAssertTrue(ConformanceCheck.run(reference: reference, candidate: candidate).passed)
  }

  func testNearTieDivergenceIsToleratedUnlessStrict() throws {
    var reference = try Self.reference()
    reference.cases = [reference.cases[0]]
    let position = 10
    reference.cases[0].margins[position] = 1e-5
    var ids = reference.cases[0].medusaOutputIDs
    ids[position] = reference.cases[0].top2IDs[position]
    ids.removeSubrange((position + 1)...)
    let candidate = ConformanceCandidate(
      backend: "test", cases: [CandidateCase(id: reference.cases[0].id, outputIDs: ids)])
    let report = ConformanceCheck.run(reference: reference, candidate: candidate)
    XCTAssertTrue(report.passed)
    XCTAssertEqual(report.cases[0].status, .nearTie)
    XCTAssertEqual(report.cases[0].diagnosis?.cause, .nearTie)
    XCTAssertEqual(report.cases[0].divergence?.position, position)
    let strict = ConformanceCheck.run(
      reference: reference, candidate: candidate, options: .init(strict: true))
    XCTAssertFalse(strict.passed)
    // The same divergence with the real (large) margin is a bug.
    let real = ConformanceCheck.run(reference: try Self.reference(), candidate: candidate)
    XCTAssertEqual(real.cases[0].status, .fail)
  }

  func testHeadNearTieInStepsIsTolerated() throws {
    // Stale head logits change the proposals of a later step. Had the reference's heads been at
    // a near-tie there, a different proposal would be noise: give them tiny top-11 gaps. With
    // exact ties (gap 0) it is torch.topk's tie order, the original's deviation.
    let candidate = try Self.candidate("stale_head_logits")
    let before = ConformanceCheck.run(reference: try Self.reference(), candidate: candidate)
    func reference(gap: Float) throws -> ConformanceReference {
      var reference = try Self.reference()
      for (index, result) in before.cases.enumerated() {
        guard let step = result.stepDifference?.step else { continue }
        reference.cases[index].steps[step].headGaps = Array(
          repeating: Array(repeating: gap, count: 10), count: 4)
      }
      return reference
    }
    let near = ConformanceCheck.run(reference: try reference(gap: 1e-5), candidate: candidate)
    XCTAssertTrue(near.passed, near.render())
    XCTAssertTrue(near.cases.allSatisfy { $0.status == .nearTie }, near.render())
    let tied = try reference(gap: 0)
    let exact = ConformanceCheck.run(reference: tied, candidate: candidate)
    XCTAssertTrue(exact.passed, exact.render())
    XCTAssertTrue(
      exact.cases.allSatisfy {
        $0.status == .pass && $0.deviations.map(\.deviation) == [.topKTieOrder]
      },
      exact.render())
    let strict = ConformanceCheck.run(
      reference: tied, candidate: candidate, options: .init(semantics: .swiftMedusa))
    XCTAssertTrue(strict.cases.allSatisfy { $0.diagnosis?.cause == .candidateOrder })
  }

  func testStopRuleAndMissingCases() throws {
    var reference = try Self.reference()
    reference.cases = Array(reference.cases.prefix(2))
    let first = reference.cases[0]
    let candidate = ConformanceCandidate(
      backend: "test",
      cases: [
        CandidateCase(id: first.id, outputIDs: first.medusaOutputIDs + [5]),
        CandidateCase(id: "no-such-case", outputIDs: [1]),
      ])
    let report = ConformanceCheck.run(reference: reference, candidate: candidate)
    XCTAssertEqual(report.cases[0].diagnosis?.cause, .stopRule)
    XCTAssertEqual(report.cases[0].diagnosis?.field, "output_ids")
    XCTAssertEqual(report.cases[1].diagnosis?.cause, .missingCase)
    XCTAssertEqual(report.unknownCandidateIDs, ["no-such-case"])
    XCTAssertFalse(report.passed)
    XCTAssertEqual(report.errorCount, 3)
    XCTAssertTrue(report.summary.hasPrefix("FAIL (3 errors)"), report.summary)
  }

  func testCandidateFilesRoundTripAndBadFilesNameTheField() throws {
    let candidate = try Self.candidate("stale_kv")
    let data = try ConformanceFiles.encode(candidate)
    XCTAssertEqual(try JSONDecoder().decode(ConformanceCandidate.self, from: data), candidate)
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let bad = directory.appendingPathComponent("bad.json")
    try Data(
      #"{"format":"medusa-conformance-candidate","format_version":1,"backend":"x","cases":[{"id":"a"}]}"#
        .utf8
    )
    .write(to: bad)
    XCTAssertThrowsError(try ConformanceFiles.readCandidate(path: bad.path)) { error in
      XCTAssertTrue("\(error)".contains("cases[0].output_ids: missing"), "\(error)")
    }
    XCTAssertThrowsError(try ConformanceFiles.readReference(path: bad.path))
  }
}
