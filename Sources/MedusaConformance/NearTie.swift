import Medusa
import MedusaKernels

/// How close greedy choices were, in the units of the near-tie rule (Docs/CONFORMANCE.md §5):
/// logit gaps divided by `max(1, |largest logit|)`.
enum NearTie {
  /// The gaps between consecutive values among the `ranks` largest of `row` (ties to the
  /// lowest id), each relative to `max(1, |largest|)`: `ranks - 1` values, 0 on an exact tie.
  static func relativeGaps(_ row: UnsafeBufferPointer<Float>, ranks: Int) -> [Float] {
    guard let base = row.baseAddress, row.count >= 2 else { return [] }
    let values = Kernels.topK(base, count: row.count, k: min(ranks, row.count)).map { row[$0] }
    let scale = max(1, abs(values.first ?? 0))
    return zip(values, values.dropFirst()).map { ($0 - $1) / scale }
  }
}
