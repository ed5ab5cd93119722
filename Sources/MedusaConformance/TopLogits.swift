import Medusa
import MedusaKernels

/// The `K` largest logits at every emitted position (`medusa conformance emit --top-logits K`):
/// a compact stand-in for full logits rows where the vocabulary makes those megabytes per case
/// (49,152 floats a position for SmolLM2). Row `p` holds the ids of the `K` largest logits of
/// the row output token `p` was verified against, best first (ties to the lowest id), and
/// their values. A candidate may report the same field for its own rows.
public struct TopLogits: Codable, Equatable, Sendable {
  /// The values of `K` that `emit` accepts.
  public static let allowedK = 1...1000

  /// Per position, the ids of the largest logits, descending (ties to the lowest id).
  public var ids: [[Int]]
  /// Per position, the logit of each id of ``ids``, in the same order.
  public var values: [[Float]]

  /// Top logits as given.
  public init(ids: [[Int]], values: [[Float]]) {
    self.ids = ids
    self.values = values
  }

  /// The `k` largest entries of every row (NaN never included).
  public init(rows: [[Float]], k: Int) {
    let ids = rows.map { row in
      row.withUnsafeBufferPointer { buffer -> [Int] in
        guard let base = buffer.baseAddress else { return [] }
        return Kernels.topK(base, count: buffer.count, k: k)
      }
    }
    self.init(ids: ids, values: zip(ids, rows).map { top, row in top.map { row[$0] } })
  }
}
