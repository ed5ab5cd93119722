import Foundation
import Llama
import Medusa
import MedusaKernels

/// Per-head top-k accuracy during greedy generation, the quantity of the original
/// `medusa/eval/heads_accuracy.py`: at every step of greedy decoding, head k's top-k at the
/// last position is compared with the token greedy decoding produces k + 1 steps later
/// (`medusa_topk[:-k-1, k] == logits_ids[k+1:]`).
///
/// Here the decoding is teacher-forced over stored sequences: for a sequence of `S` tokens with
/// a prompt of `P`, positions `t = P-1 ..< S` play the steps; the greedy token of step `t` is the
/// backbone's argmax `a[t]` at `t` (ties to the lowest id), and head k at `t` is scored against
/// `a[t + k + 1]` (its target, the token at `t + k + 2`) where `t + k + 1 < S`. For sequences
/// written by greedy `medusa distill` the inputs are exactly greedy decoding's, so this equals
/// `heads_accuracy.py`; for sampled sequences the context is sampled but the targets stay the
/// backbone's greedy choices.
public struct HeadAccuracy: Sendable, Equatable {
  /// How many ranks are scored.
  public var topK: Int
  /// Per head, the number of scored positions.
  public var positions: [Int]
  /// `rankHits[k][i]`: positions where head k's rank-i candidate (0-based) was the target.
  public var rankHits: [[Int]]

  /// `rankAccuracy[k][i] = rankHits[k][i] / positions[k]`: the probability that the i-th
  /// candidate of head k is right, the table the original's tree search (`gen_results.py`)
  /// multiplies along paths.
  public var rankAccuracy: [[Double]] {
    zip(rankHits, positions).map { hits, n in hits.map { Double($0) / Double(max(n, 1)) } }
  }

  /// `topKAccuracy[k][i]`: the target is among head k's top `i + 1`.
  public var topKAccuracy: [[Double]] {
    rankAccuracy.map { row in
      var sum = 0.0
      return row.map {
        sum += $0
        return sum
      }
    }
  }

  /// Measures `heads` on `sequences` (see the type's documentation).
  public static func measure(
    model: LlamaModel, heads: MedusaHeads, sequences: [DistilledSequence], topK: Int = 10,
    parallelism: Parallelism, progress: (Int, Int) -> Void = { _, _ in }
  ) throws(TrainingError) -> HeadAccuracy {
    let count = heads.headCount
    var result = HeadAccuracy(
      topK: topK, positions: [Int](repeating: 0, count: count),
      rankHits: [[Int]](repeating: [Int](repeating: 0, count: topK), count: count))
    let longest = sequences.map(\.tokens.count).max() ?? 1
    let state: InferenceState
    do {
      state = try model.makeState(capacity: max(longest, 1), maxBatch: 64, parallelism: parallelism)
    } catch {
      throw .backbone("\(error)")
    }
    let vocabulary = heads.vocabularySize
    let outputs = FloatBuffer(count * vocabulary)
    let work = FloatBuffer(heads.workCount(heads: count))
    for (index, sequence) in sequences.enumerated() {
      let tokens = sequence.tokens
      let first = sequence.promptIDs.count - 1
      var greedy: [Int] = []
      var candidates: [[[Int]]] = []
      try BackboneTeacher.run(model: model, state: state, tokens: tokens, logitsFrom: first) {
        _, hidden, logits in
        guard let logits, let base = logits.baseAddress else { return }
        greedy.append(Kernels.argmax(base, count: logits.count))
        heads.logits(
          hidden: hidden, heads: count, into: outputs.base, work: work.base,
          parallelism: parallelism)
        candidates.append(
          (0..<count).map {
            Kernels.topK(outputs.base + $0 * vocabulary, count: vocabulary, k: topK)
          })
      }
      for step in candidates.indices {
        for k in 0..<count where step + k + 1 < greedy.count {
          result.positions[k] += 1
          if let rank = candidates[step][k].firstIndex(of: greedy[step + k + 1]) {
            result.rankHits[k][rank] += 1
          }
        }
      }
      progress(index + 1, sequences.count)
    }
    return result
  }

  /// The JSON object `medusa eval-heads --json` writes and `medusa tree --accuracy` reads:
  /// `top_k`, `positions` (per head), `rank_hits`, `rank_accuracy` and `accuracy` (top-1 ..
  /// top-k, cumulative), each `[head][rank]`.
  public var json: [String: Any] {
    [
      "top_k": topK, "positions": positions, "rank_hits": rankHits,
      "rank_accuracy": rankAccuracy, "accuracy": topKAccuracy,
    ]
  }

  /// The per-rank accuracy table `[head][rank]` of an accuracy JSON file: `rank_accuracy` if
  /// present, else the differences of the cumulative `accuracy`.
  public static func rankTable(json data: Data, source: String) throws(TrainingError) -> [[Double]]
  {
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw .invalidData(file: source, reason: "not a JSON object")
    }
    func table(_ key: String) -> [[Double]]? {
      (object[key] as? [[NSNumber]])?.map { $0.map(\.doubleValue) }
    }
    if let ranks = table("rank_accuracy") { return try checked(ranks, source) }
    guard let cumulative = table("accuracy") else {
      throw .invalidData(file: source, reason: "needs 'rank_accuracy' or 'accuracy' ([head][rank])")
    }
    return try checked(
      cumulative.map { row in row.indices.map { $0 == 0 ? row[0] : row[$0] - row[$0 - 1] } }, source
    )
  }

  private static func checked(_ table: [[Double]], _ source: String) throws(TrainingError)
    -> [[Double]]
  {
    guard !table.isEmpty,
      table.allSatisfy({
        !$0.isEmpty && $0.allSatisfy { $0.isFinite && $0 >= -1e-9 && $0 <= 1 + 1e-9 }
      })
    else {
      throw .invalidData(
        file: source, reason: "accuracies must be non-empty rows of numbers in [0, 1]")
    }
    return table
  }
}
