/// Evidence combined across the cases of one run. A backend is one program: the simplest
/// explanation of every failing case wins over a different cause per case.
///
/// - A missing tree mask leaves every node whose earlier nodes are all its ancestors right, so
///   if any case's first tree pass is wrong at such a node, the mask cannot explain the run:
///   cases that looked like a mask bug are position bugs too.
/// - A wrong first tree pass (fresh cache, so neither compaction nor stale heads can be the
///   cause) also writes wrong KV rows and hidden states that later steps use. Cases whose first
///   visible error comes later (stale KV, stale head logits, a coarse tree-pass verdict) are
///   then attributed to the same tree-pass cause.
enum RunEvidence {
  /// `results` with diagnoses reconciled across cases.
  static func combine(_ results: [CaseResult]) -> [CaseResult] {
    func firstPass(_ cause: Diagnosis.Cause) -> CaseResult? {
      results.first {
        $0.diagnosis?.cause == cause && $0.stepDifference?.field == "node_top1"
          && $0.stepDifference?.step == 0
      }
    }
    guard let witness = firstPass(.positionIDs) ?? firstPass(.treeMask),
      let cause = witness.diagnosis?.cause
    else { return results }
    let explained: Set<Diagnosis.Cause> =
      cause == .positionIDs
      ? [.treeMask, .staleKV, .staleHeadLogits, .treePass]
      : [.staleKV, .staleHeadLogits, .treePass]
    return results.map { result in
      guard let own = result.diagnosis, explained.contains(own.cause) else { return result }
      var result = result
      result.diagnosis = Diagnosis(
        cause,
        "\(own.explanation); but in case \(witness.id) the first tree pass, on a fresh cache, is already wrong (\(cause.rawValue)), which also corrupts the KV rows and hidden states later steps use"
      )
      return result
    }
  }
}
