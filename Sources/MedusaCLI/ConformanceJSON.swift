import Medusa
import MedusaConformance

/// `medusa conformance check --json`: the report as one JSON object, for other backends' CI
/// (fields in Docs/CONFORMANCE.md §5).
enum ConformanceJSON {
  /// The report as a JSON-serialisable dictionary.
  static func object(_ report: ConformanceReport) -> [String: Any] {
    let cases: [[String: Any]] = report.cases.map { result in
      var object: [String: Any] = [
        "id": result.id, "status": result.status.rawValue, "compared": result.compared,
        "notes": result.notes, "verification": result.verification,
        "levels": result.levels.sorted(),
        "deviations": result.deviations.map { note -> [String: Any] in
          var entry: [String: Any] = [
            "name": note.deviation.rawValue, "field": note.field, "detail": note.detail,
          ]
          entry["step"] = note.step
          return entry
        },
      ]
      if let diagnosis = result.diagnosis {
        var entry: [String: Any] = [
          "cause": diagnosis.cause.rawValue, "explanation": diagnosis.explanation,
        ]
        entry["field"] = diagnosis.field
        object["diagnosis"] = entry
      }
      if let divergence = result.divergence {
        var entry: [String: Any] = [
          "position": divergence.position, "step": divergence.step, "offset": divergence.offset,
          "near_tie": divergence.isNearTie,
        ]
        entry["expected"] = divergence.expected
        entry["got"] = divergence.got
        entry["top1"] = divergence.top1
        entry["top2"] = divergence.top2
        entry["margin"] = divergence.margin.map { Double($0) }
        entry["near_tie_bound"] = divergence.nearTieBound.map { Double($0) }
        entry["decision_gap"] = divergence.decisionGap.map { Double($0) }
        object["divergence"] = entry
      }
      if let difference = result.stepDifference {
        object["step_difference"] = [
          "step": difference.step, "field": difference.field, "detail": difference.detail,
          "wrong_nodes": difference.wrongNodes,
        ]
      }
      return object
    }
    let trees: [[String: Any]] = report.trees.map { tree in
      var entry: [String: Any] = [
        "name": tree.name, "passed": tree.passed, "compared": tree.compared,
      ]
      entry["difference"] = tree.difference
      return entry
    }
    return [
      "passed": report.passed, "errors": report.errorCount, "summary": report.summary,
      "semantics": report.semantics.rawValue, "cases": cases, "trees": trees,
      "unknown_candidate_ids": report.unknownCandidateIDs,
      "duplicate_candidate_ids": report.duplicateCandidateIDs,
    ]
  }
}
