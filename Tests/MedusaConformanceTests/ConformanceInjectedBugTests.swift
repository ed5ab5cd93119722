import Foundation
import GoldenSupport
import XCTest

@testable import Medusa
@testable import MedusaConformance

/// The bug-injection suite (Golden/tools/broken_variants/make_injected.py): one deliberately
/// broken backend per cause. Every failing case of every bug must carry that bug's cause; a
/// deviation of the original (EOS checked after a step, a pad accepted) passes as a named note
/// and fails, with its own cause, under swift-medusa semantics.
final class ConformanceInjectedBugTests: XCTestCase {
  /// bug, the cause of every failing case, the least number of failing cases, and the field
  /// the diagnosis must name (nil: not checked).
  static let expectations:
    [(bug: String, cause: Diagnosis.Cause, minFailing: Int, field: String?)] =
      [
        ("topk_reversed", .candidateOrder, 27, nil), ("topk_id_sorted", .candidateOrder, 27, nil),
        ("topk_slot_swap", .candidateOrder, 27, nil), ("node_order", .candidateOrder, 18, nil),
        ("leaves_forward", .retrieveIndices, 18, "candidates"),
        ("logits_shifted", .logitsMisaligned, 3, "logits"),
        ("eos_ignored", .stopRule, 9, "output_ids"),
        ("position_counter", .staleKV, 27, nil), ("prenorm_heads", .headLogits, 27, nil),
        ("forgotten_v", .staleKV, 18, nil), ("interleaved_rope", .backbone, 27, "ar_output_ids"),
        ("fp16_kv", .logitsTolerance, 3, "logits"),
      ]

  static func candidate(_ bug: String) throws -> ConformanceCandidate {
    try ConformanceCheckTests.candidate("bug-\(bug)")
  }

  func testEveryInjectedBugIsNamedInEveryFailingCase() throws {
    let reference = try ConformanceCheckTests.reference()
    for (bug, cause, minFailing, field) in Self.expectations {
      let report = ConformanceCheck.run(reference: reference, candidate: try Self.candidate(bug))
      XCTAssertFalse(report.passed, bug)
      let failing = report.cases.filter { $0.status == .fail }
      XCTAssertGreaterThanOrEqual(failing.count, minFailing, "\(bug)\n\(report.render())")
      for result in failing {
        XCTAssertEqual(result.diagnosis?.cause, cause, "\(bug) \(result.id)")
        if let field { XCTAssertEqual(result.diagnosis?.field, field, "\(bug) \(result.id)") }
      }
      // What does not fail is a plain pass or (fp16 KV without logits) a near-tie.
      for result in report.cases where result.status != .fail {
        XCTAssertTrue(
          result.status == .pass || (bug == "fp16_kv" && result.status == .nearTie),
          "\(bug) \(result.id)")
      }
    }
  }

  func testTopKOrderBugsAreNamedWithoutHeadTopK() throws {
    // Without the candidate's own head_topk the tree tokens alone must still point at the order.
    let reference = try ConformanceCheckTests.reference()
    for bug in ["topk_reversed", "topk_id_sorted", "topk_slot_swap"] {
      var candidate = try Self.candidate(bug)
      for index in candidate.cases.indices {
        for step in (candidate.cases[index].steps ?? []).indices {
          candidate.cases[index].steps?[step].headTopK = nil
          candidate.cases[index].steps?[step].candidates = nil
        }
      }
      let report = ConformanceCheck.run(reference: reference, candidate: candidate)
      for result in report.cases {
        XCTAssertEqual(result.diagnosis?.cause, .candidateOrder, "\(bug) \(result.id)")
        XCTAssertEqual(result.diagnosis?.field, "tree_candidates", "\(bug) \(result.id)")
      }
    }
  }

  func testDeviationsPassAsTheOriginalsAndFailUnderSwiftMedusaSemantics() throws {
    let reference = try ConformanceCheckTests.reference()
    for (bug, deviation, field) in [
      ("eos_not_cut", Deviation.eosAfterStep, "tokens"),
      ("pad_accepted", .padAccepted, "accept_length"),
    ] {
      let candidate = try Self.candidate(bug)
      let lenient = ConformanceCheck.run(reference: reference, candidate: candidate)
      XCTAssertTrue(lenient.passed, lenient.render())
      let deviating = lenient.cases.filter { !$0.deviations.isEmpty }
      XCTAssertFalse(deviating.isEmpty, bug)
      XCTAssertTrue(deviating.allSatisfy { $0.deviations.map(\.deviation) == [deviation] }, bug)
      XCTAssertTrue(lenient.render().contains("[original: \(deviation.rawValue)]"), bug)
      for options in [
        ConformanceCheck.Options(semantics: .swiftMedusa), ConformanceCheck.Options(strict: true),
      ] {
        let strict = ConformanceCheck.run(
          reference: reference, candidate: candidate, options: options)
        XCTAssertFalse(strict.passed, bug)
        XCTAssertEqual(strict.failedCases, deviating.count, bug)
        for result in strict.cases where result.status == .fail {
          XCTAssertEqual(result.diagnosis?.cause, deviation.cause, "\(bug) \(result.id)")
          XCTAssertEqual(result.diagnosis?.field, field, "\(bug) \(result.id)")
        }
      }
    }
  }

  func testPadAcceptanceIsNamedFromOutputIDsAlone() throws {
    var candidate = try Self.candidate("pad_accepted")
    for index in candidate.cases.indices { candidate.cases[index].steps = nil }
    let report = ConformanceCheck.run(
      reference: try ConformanceCheckTests.reference(), candidate: candidate)
    XCTAssertTrue(report.passed, report.render())
    // Only a pad that changed the context shows in ids; it is named, not blamed on stale KV.
    let named = report.cases.filter { $0.deviations.map(\.deviation) == [.padAccepted] }
    XCTAssertGreaterThanOrEqual(named.count, 1, report.render())
  }

  func testStopRuleIsNamedWhateverOptionalFieldsAreGiven() throws {
    let reference = try ConformanceCheckTests.reference()
    let full = try Self.candidate("eos_ignored")
    let variants: [(String, (inout CandidateCase) -> Void, String)] = [
      ("ids, ar ids and steps", { _ in }, "output_ids"),
      (
        "ids only",
        {
          $0.steps = nil; $0.arOutputIDs = nil
        }, "output_ids"
      ),
      ("ids and ar ids", { $0.steps = nil }, "output_ids"),
    ]
    for (name, strip, field) in variants {
      var candidate = full
      for index in candidate.cases.indices { strip(&candidate.cases[index]) }
      let report = ConformanceCheck.run(reference: reference, candidate: candidate)
      let failing = report.cases.filter { $0.status == .fail }
      XCTAssertEqual(failing.count, 9, name)
      for result in failing {
        XCTAssertEqual(result.diagnosis?.cause, .stopRule, "\(name) \(result.id)")
        XCTAssertEqual(result.diagnosis?.field, field, "\(name) \(result.id)")
      }
    }
    // The reference's own output with autoregressive ids that run past the EOS: the field named
    // is the one that differs.
    var candidate = full
    for index in candidate.cases.indices {
      candidate.cases[index].steps = nil
      candidate.cases[index].outputIDs = reference.cases[index].medusaOutputIDs
    }
    let report = ConformanceCheck.run(reference: reference, candidate: candidate)
    for result in report.cases where result.status == .fail {
      XCTAssertEqual(result.diagnosis?.cause, .stopRule, result.id)
      XCTAssertEqual(result.diagnosis?.field, "ar_output_ids", result.id)
    }
    XCTAssertEqual(report.failedCases, 9)
  }

  func testCaseIDErrorsAgreeWithTheSummaryAndExitCode() throws {
    let report = ConformanceCheck.run(
      reference: try ConformanceCheckTests.reference(), candidate: try Self.candidate("case_ids"))
    XCTAssertFalse(report.passed)
    XCTAssertEqual(report.cases.filter { $0.diagnosis?.cause == .missingCase }.count, 1)
    XCTAssertEqual(report.cases.filter { $0.diagnosis?.cause == .duplicateCase }.count, 1)
    XCTAssertEqual(report.unknownCandidateIDs.count, 1)
    XCTAssertEqual(report.duplicateCandidateIDs.count, 1)
    XCTAssertEqual(report.errorCount, 4)
    XCTAssertTrue(report.summary.hasPrefix("FAIL (4 errors)"), report.summary)
    XCTAssertTrue(report.summary.contains("2 failed of 27 cases"), report.summary)
    XCTAssertTrue(report.summary.contains("1 candidate case(s) not in the reference"))
    XCTAssertTrue(report.summary.contains("1 duplicate id(s)"), report.summary)
  }

  func testNearTieNeverHidesOutOfToleranceLogits() throws {
    // A divergence at a near-tie whose logits rows before it are far out of tolerance fails.
    var reference = try ConformanceCheckTests.reference()
    reference.cases = [reference.cases[0]]
    let position = 10
    reference.cases[0].margins[position] = 1e-5
    var ids = reference.cases[0].medusaOutputIDs
    ids[position] = reference.cases[0].top2IDs[position]
    ids.removeSubrange((position + 1)...)
    var logits = try XCTUnwrap(reference.cases[0].logits).prefix(position + 1).map { $0 }
    logits[position][ids[position]] = logits[position].max().map { $0 + 1 } ?? 0
    let tied = CandidateCase(id: reference.cases[0].id, outputIDs: ids, logits: logits)
    let passing = ConformanceCheck.run(
      reference: reference, candidate: ConformanceCandidate(backend: nil, cases: [tied]))
    XCTAssertEqual(passing.cases[0].status, .fail)
    XCTAssertEqual(passing.cases[0].diagnosis?.cause, .logitsTolerance)
    // A true near-tie (the reference's runner-up 1e-5 behind) where the candidate's runner-up
    // is 1e-5 ahead, every logit within tolerance, is noise.
    let top1 = reference.cases[0].top1IDs[position]
    let runnerUp = ids[position]
    var rows = try XCTUnwrap(reference.cases[0].logits)
    rows[position][runnerUp] = rows[position][top1] - 1e-5
    reference.cases[0].logits = rows
    var close = Array(rows.prefix(position + 1))
    close[position][runnerUp] = close[position][top1] + 1e-5
    let noise = CandidateCase(id: reference.cases[0].id, outputIDs: ids, logits: close)
    let report = ConformanceCheck.run(
      reference: reference, candidate: ConformanceCandidate(backend: nil, cases: [noise]))
    XCTAssertEqual(report.cases[0].status, .nearTie, report.render())
  }
}
