import Medusa

/// The human-readable form of a ``ConformanceReport`` (`medusa conformance check`).
extension ConformanceReport {
  /// Tree buffers (level 1) first; then per case one verdict line and, for a case that is not a
  /// plain pass, the first divergence, the reference margin there, the first differing step,
  /// notes, the original's deviations and the diagnosis; then unknown ids, the levels checked
  /// and a summary line whose verdict is the exit code's.
  public func render() -> String {
    var lines: [String] = []
    for tree in trees {
      lines.append(
        "\(tree.passed ? "PASS" : "FAIL") tree \(tree.name)  \(tree.compared.joined(separator: ", "))"
          + (tree.difference.map { ": \($0)" } ?? ""))
    }
    for result in cases {
      let deviations = Set(result.deviations.map(\.deviation.rawValue)).sorted()
      lines.append(
        "\(result.status.rawValue) \(result.id)  \(result.compared.joined(separator: ", "))"
          + (deviations.isEmpty ? "" : "  [original: \(deviations.joined(separator: ", "))]"))
      guard result.status != .pass || result.diagnosis != nil || !result.deviations.isEmpty
      else { continue }
      if let divergence = result.divergence {
        lines += Self.describe(divergence)
        if divergence.isNearTie, result.status == .fail {
          lines.append("  (a near-tie there, but the evidence before it is not noise)")
        }
      }
      if let difference = result.stepDifference {
        lines.append(
          "  step \(difference.step) first differs in \(difference.field): \(difference.detail)")
      }
      for note in result.deviations {
        lines.append("  original's deviation [\(note.deviation.rawValue)]: \(note.detail)")
      }
      if result.status != .pass || result.diagnosis != nil {
        for note in result.notes { lines.append("  note: \(note)") }
      }
      if let diagnosis = result.diagnosis {
        let kind = diagnosis.cause == .nearTie ? "numeric near-tie" : "real bug"
        let field = diagnosis.field.map { " (field \($0))" } ?? ""
        lines.append(
          "  diagnosis: \(kind) [\(diagnosis.cause.rawValue)]\(field): \(diagnosis.explanation)")
      }
    }
    for id in unknownCandidateIDs { lines.append("FAIL \(id)  not a case of the reference") }
    for id in duplicateCandidateIDs { lines.append("FAIL \(id)  given more than once") }
    lines.append("levels: \(levelSummary)")
    lines.append(summary)
    return lines.joined(separator: "\n")
  }

  /// The last line: the verdict (the exit code's) and every count behind it.
  public var summary: String {
    let ties = cases.filter { $0.status == .nearTie }.count
    let deviated = cases.filter { $0.status == .pass && !$0.deviations.isEmpty }.count
    var parts = [
      "\(cases.count - failedCases - ties) passed (\(deviated) with the original's deviations)",
      "\(ties) near-tie", "\(failedCases) failed of \(cases.count) cases",
    ]
    if !unknownCandidateIDs.isEmpty {
      parts.append("\(unknownCandidateIDs.count) candidate case(s) not in the reference")
    }
    if !duplicateCandidateIDs.isEmpty {
      parts.append("\(duplicateCandidateIDs.count) duplicate id(s)")
    }
    if !trees.isEmpty { parts.append("trees \(trees.count - failedTrees)/\(trees.count)") }
    let verdict = passed ? "PASS" : "FAIL (\(errorCount) error\(errorCount == 1 ? "" : "s"))"
    return "\(verdict): " + parts.joined(separator: ", ") + " [semantics: \(semantics.rawValue)]"
  }

  /// Which levels the run compared and how many cases each covered.
  public var levelSummary: String {
    func count(_ level: Int) -> Int { cases.filter { $0.levels.contains(level) }.count }
    let names = [
      2: "autoregressive ids", 3: "greedy ids", 4: "steps", 5: "typical", 6: "logits",
    ]
    var parts = [trees.isEmpty ? "1 — (no tree_buffers)" : "1 trees \(trees.count)"]
    for level in 2...6 {
      let n = count(level)
      parts.append(n == 0 ? "\(level) —" : "\(level) \(names[level] ?? "") \(n)")
    }
    return parts.joined(separator: " · ")
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
    if let gap = divergence.decisionGap, let bound = divergence.decisionGapBound {
      lines.append("  reference step's typical decision gap \(gap) (near-tie bound \(bound))")
    }
    return lines
  }
}
