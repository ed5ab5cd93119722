import Medusa

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
/// - Wrong head logits in a first step (the heads on the prefill's hidden state, which level 2
///   vouches for) are the heads' own fault, so later-step proposal differences elsewhere are the
///   same bug, not stale head logits; nor is a weak `candidate-order` verdict (a chain, where
///   any of the top-10 fits its one slot per depth) an order bug then.
/// - A later tree pass that is wrong with the very same tree tokens (stale KV, a position
///   counter) also corrupts the hidden states the next heads read: proposal differences at later
///   steps in other cases are the same bug. Genuinely stale head logits never change a tree
///   pass, so they cannot produce such a witness.
enum RunEvidence {
  /// `results` with diagnoses reconciled across cases.
  static func combine(_ results: [CaseResult]) -> [CaseResult] {
    func witness(_ cause: Diagnosis.Cause, field: Set<String>, step: (Int) -> Bool) -> CaseResult? {
      results.first {
        $0.status == .fail && $0.diagnosis?.cause == cause
          && field.contains($0.stepDifference?.field ?? "")
          && step($0.stepDifference?.step ?? -1)
      }
    }
    let firstPass =
      witness(.positionIDs, field: ["node_top1"]) { $0 == 0 }
      ?? witness(.treeMask, field: ["node_top1"]) { $0 == 0 }
    if let firstPass, let cause = firstPass.diagnosis?.cause {
      let explained: Set<Diagnosis.Cause> =
        cause == .positionIDs
        ? [.treeMask, .staleKV, .staleHeadLogits, .treePass]
        : [.staleKV, .staleHeadLogits, .treePass]
      return reattribute(
        results, explained, to: cause, witness: firstPass,
        because:
          "the first tree pass, on a fresh cache, is already wrong (\(cause.rawValue)), which also corrupts the KV rows and hidden states later steps use"
      )
    }
    if let heads = witness(.headLogits, field: ["tree_candidates", "head_topk"], step: { $0 == 0 })
    {
      return reattribute(
        results, [.staleHeadLogits, .candidateOrder], to: .headLogits, witness: heads,
        because:
          "the heads already propose wrong tokens on the prefill's hidden state (head weights or the hidden state they read)"
      )
    }
    if let kv = witness(.staleKV, field: ["node_top1"], step: { $0 >= 1 }) {
      return reattribute(
        results, [.staleHeadLogits], to: .staleKV, witness: kv,
        because:
          "a later tree pass is wrong with the same tree tokens (stale KV or the position counter), which also corrupts the hidden states the next heads read"
      )
    }
    return results
  }

  private static func reattribute(
    _ results: [CaseResult], _ explained: Set<Diagnosis.Cause>, to cause: Diagnosis.Cause,
    witness: CaseResult, because: String
  ) -> [CaseResult] {
    results.map { result in
      guard result.status == .fail, let own = result.diagnosis, explained.contains(own.cause),
        own.cause != .candidateOrder || own.isWeak
      else { return result }
      var result = result
      result.diagnosis = Diagnosis(
        cause, "\(own.explanation); but in case \(witness.id) \(because)", field: own.field)
      return result
    }
  }
}
