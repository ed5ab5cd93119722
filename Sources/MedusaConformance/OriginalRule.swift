import Foundation
import Medusa

/// What the original `evaluate_posterior` decides on a step's tree logits, where it differs
/// from ours: it compares a pad slot (retrieve index −1, token 0) like any other token, against
/// the previous column's logits, and a pad column's own logits are the last tree node's
/// (Python's −1 index). The emitter records that verdict as a step's `original_verdict` where it
/// differs, so the checker can name the original's pad acceptance instead of blaming it; and
/// for typical steps it measures how close the acceptance came to flipping (`decision_gap`).
enum OriginalRule {
  /// The original's verdict for `verification` (greedy or typical) on `nodeLogits` (node order).
  static func verdict(
    nodeLogits: [[Float]], candidates: [[Int]], tree: TreeBuffers, verification: Verification
  ) -> Verdict {
    let paths = pathLogits(nodeLogits, tree)
    switch verification {
    case .typical(let acceptance):
      return typical(paths, candidates, acceptance).verdict
    default:
      let lengths = zip(paths, candidates).map { logits, row in
        Posterior.leadingRun(
          (0..<max(row.count - 1, 0)).map { Greedy.argmax(logits[$0]) == row[$0 + 1] })
      }
      return Posterior.firstLongest(lengths)
    }
  }

  /// Typical acceptance as the original computes it (pads compared like tokens), with the
  /// relative decision gap of ``decisionGap(nodeLogits:candidates:tree:acceptance:)``.
  private static func typical(
    _ paths: [[[Float]]], _ candidates: [[Int]], _ acceptance: TypicalAcceptance,
    isPad: [[Bool]]? = nil
  ) -> (verdict: Verdict, gap: Double) {
    var lengths: [Int] = []
    var logLikelihoods: [[Double]] = []
    var gap = Double.infinity
    for (row, logits) in paths.enumerated() {
      let tokens = candidates[row]
      var length = 0
      var logs: [Double] = []
      for column in 0..<max(tokens.count - 1, 0) {
        let pad = isPad?[row][column + 1] ?? false
        let p = acceptance.probabilities(logits[column])
        let probability = p.indices.contains(tokens[column + 1]) ? p[tokens[column + 1]] : 0
        let threshold = acceptance.threshold(p)
        if !pad, threshold > 0 { gap = min(gap, abs(probability - threshold) / threshold) }
        logs.append(Foundation.log(probability))
        guard !pad, probability > threshold else { break }
        length += 1
      }
      lengths.append(length)
      logLikelihoods.append(logs)
    }
    let longest = lengths.max() ?? 0
    guard longest > 0 else { return (Verdict(bestCandidate: 0, acceptLength: 0), gap) }
    var best = -1
    var bestLikelihood = -Double.infinity
    var distinct: [[Int]: Double] = [:]
    for (row, length) in lengths.enumerated() where length == longest {
      let likelihood = logLikelihoods[row].prefix(longest).reduce(0, +)
      distinct[Array(candidates[row].prefix(longest + 1)), default: -.infinity] = max(
        distinct[Array(candidates[row].prefix(longest + 1)), default: -.infinity], likelihood)
      if best < 0 || likelihood > bestLikelihood {
        best = row
        bestLikelihood = likelihood
      }
    }
    let sorted = distinct.values.sorted(by: >)
    if sorted.count > 1 { gap = min(gap, (sorted[0] - sorted[1]) / max(1, abs(sorted[0]))) }
    return (Verdict(bestCandidate: best, acceptLength: longest), gap)
  }

  /// How close a typical step's acceptance (ours: pads never accepted) came to flipping: the
  /// smallest `|p(x) − threshold| / threshold` over the comparisons that decided it (every row
  /// up to its first rejection) and the relative log-likelihood gap between the best distinct
  /// accepted prefixes.
  static func decisionGap(
    nodeLogits: [[Float]], candidates: [[Int]], tree: TreeBuffers, acceptance: TypicalAcceptance
  ) -> Float {
    let isPad = tree.retrieveIndices.map { $0.map { $0 < 0 } }
    return Float(typical(pathLogits(nodeLogits, tree), candidates, acceptance, isPad: isPad).gap)
  }

  /// Per-path logits as the original gathers them: a −1 pad reads the last node's.
  private static func pathLogits(_ nodeLogits: [[Float]], _ tree: TreeBuffers) -> [[[Float]]] {
    tree.retrieveIndices.map { row in row.map { nodeLogits[$0 < 0 ? nodeLogits.count - 1 : $0] } }
  }
}
