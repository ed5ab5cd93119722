/// The human-readable form of a ``ConformanceReport`` (`medusa conformance check`).
extension ConformanceReport {
  /// Per case one verdict line; for a case that is not a plain pass, the first divergence,
  /// the reference margin there, the first differing step and the diagnosis; then a summary.
  public func render() -> String {
    var lines: [String] = []
    for result in cases {
      lines.append(
        "\(result.status.rawValue) \(result.id)  \(result.compared.joined(separator: ", "))")
      guard result.status != .pass || result.diagnosis != nil else { continue }
      if let divergence = result.divergence {
        lines += Self.describe(divergence)
        if divergence.isNearTie, result.status == .fail {
          lines.append("  (a near-tie there, but the trace differs before it: not noise)")
        }
      }
      if let difference = result.stepDifference {
        lines.append(
          "  step \(difference.step) first differs in \(difference.field): \(difference.detail)")
      }
      for note in result.notes { lines.append("  note: \(note)") }
      if let diagnosis = result.diagnosis {
        let kind = diagnosis.cause == .nearTie ? "numeric near-tie" : "real bug"
        lines.append("  diagnosis: \(kind) [\(diagnosis.cause.rawValue)]: \(diagnosis.explanation)")
      }
    }
    for id in unknownCandidateIDs { lines.append("FAIL \(id)  not a case of the reference") }
    let failed = cases.filter { $0.status == .fail }.count
    let ties = cases.filter { $0.status == .nearTie }.count
    lines.append(
      "\(passed ? "PASS" : "FAIL"): \(cases.count - failed - ties) passed, \(ties) near-tie, \(failed) failed of \(cases.count) cases"
    )
    return lines.joined(separator: "\n")
  }

  private static func describe(_ divergence: IDDivergence) -> [String] {
    func token(_ id: Int?) -> String { id.map(String.init) ?? "(end of output)" }
    var lines = [
      "  first divergence: step \(divergence.step), position \(divergence.position) (offset \(divergence.offset) in the step): expected \(token(divergence.expected)), got \(token(divergence.got))"
    ]
    if let top1 = divergence.top1, let top2 = divergence.top2, let margin = divergence.margin,
      let bound = divergence.nearTieBound
    {
      lines.append(
        "  reference there: top-1 \(top1), top-2 \(top2), margin \(margin) (near-tie bound \(bound))"
      )
    }
    return lines
  }
}
