import Foundation
import GoldenSupport
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// The original FasterDecoding/Medusa code's own traces
/// (Golden/tools/original_medusa/make_candidates.py: its `medusa_generate` loop, unchanged, on
/// tiny-mha-f32 and the default model with their heads) pass `conformance check`: every difference is one of the
/// original's documented deviations, named, and each is a failure only under swift-medusa
/// semantics. Its tree buffers (level 1) equal ours for every tree.
final class ConformanceOriginalTests: XCTestCase {
  /// (candidate file, reference file, verification of every case).
  static let files = [
    ("original-main", "tiny-mha-f32", "greedy"),
    ("original-greedy", "tiny-mha-f32-trees", "greedy"),
    ("original-typical", "tiny-mha-f32-typical", "typical"),
    ("original-default-greedy", "default-trees", "greedy"),
    ("original-default-typical", "default-typical", "typical"),
  ]

  func testOriginalTracesPassWithTheirDeviationsNamed() throws {
    var seen = Set<Deviation>()
    for (file, referenceName, verification) in Self.files {
      let reference = try ConformanceCheckTests.reference(referenceName)
      let candidate = try ConformanceCheckTests.candidate(file)
      let report = ConformanceCheck.run(reference: reference, candidate: candidate)
      XCTAssertTrue(report.passed, "\(file)\n\(report.render())")
      XCTAssertEqual(report.cases.count, candidate.cases.count, file)
      XCTAssertTrue(report.cases.allSatisfy { $0.verification == verification }, file)
      XCTAssertTrue(report.cases.allSatisfy { $0.diagnosis == nil || $0.status == .nearTie })
      XCTAssertTrue(report.render().contains("PASS:"), file)
      for result in report.cases { seen.formUnion(result.deviations.map(\.deviation)) }
      // Every published tree and the chain, each checked at level 1 against the original's
      // generate_medusa_buffers.
      XCTAssertEqual(report.trees.count, reference.trees.count, file)
      XCTAssertTrue(report.trees.allSatisfy { $0.passed && $0.compared.count == 4 }, file)
      if referenceName != "tiny-mha-f32" {
        XCTAssertEqual(
          Set(reference.trees.map(\.name)), Set(PublishedTrees.names + ["chain_4"]), file)
      }
    }
    XCTAssertTrue(
      seen.isSuperset(of: [.chunkOvershoot, .eosAfterStep, .padAccepted]), "\(seen)")
  }

  func testOriginalDeviationsFailUnderSwiftMedusaSemanticsAndOnlyThem() throws {
    for (file, referenceName, _) in Self.files {
      let reference = try ConformanceCheckTests.reference(referenceName)
      let candidate = try ConformanceCheckTests.candidate(file)
      let lenient = ConformanceCheck.run(reference: reference, candidate: candidate)
      let strict = ConformanceCheck.run(
        reference: reference, candidate: candidate, options: .init(semantics: .swiftMedusa))
      XCTAssertFalse(strict.passed, file)
      for (loose, tight) in zip(lenient.cases, strict.cases) {
        if loose.deviations.isEmpty {
          XCTAssertEqual(loose.status, tight.status, "\(file) \(loose.id)")
        } else {
          XCTAssertEqual(tight.status, .fail, "\(file) \(loose.id)")
          let first = try XCTUnwrap(loose.deviations.first)
          XCTAssertEqual(tight.diagnosis?.cause, first.deviation.cause, "\(file) \(loose.id)")
          XCTAssertEqual(tight.diagnosis?.field, first.field, "\(file) \(loose.id)")
        }
      }
    }
  }

  func testOriginalPadAcceptanceStopsTheComparisonAtThatStep() throws {
    let reference = try ConformanceCheckTests.reference("tiny-mha-f32-trees")
    let candidate = try ConformanceCheckTests.candidate("original-greedy")
    let report = ConformanceCheck.run(reference: reference, candidate: candidate)
    let padded = report.cases.filter { $0.deviations.contains { $0.deviation == .padAccepted } }
    XCTAssertFalse(padded.isEmpty)
    for result in padded {
      let note = try XCTUnwrap(result.deviations.first { $0.deviation == .padAccepted })
      let step = try XCTUnwrap(note.step)
      let expected = try XCTUnwrap(reference.cases.first { $0.id == result.id })
      // The reference records what the original chooses at that step.
      XCTAssertNotNil(expected.steps[step].originalVerdict, result.id)
      XCTAssertTrue(result.compared.contains("steps \(step)/\(expected.steps.count)"), result.id)
    }
  }
}
