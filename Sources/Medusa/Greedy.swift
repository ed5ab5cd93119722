import MedusaKernels

/// Greedy choice over a row of logits: the one argmax of the Medusa module (the root of a
/// greedy step, greedy verification §2.3, autoregressive greedy decoding, the original's
/// sampling modes' root), so that every caller breaks ties and treats NaN the same way.
///
/// The rule is ``Kernels/argmax(_:count:)``'s: the index of the largest value, ties to the
/// lowest token id (`torch.argmax` on CPU); NaN never wins (it compares false); an empty
/// row, or one that is all NaN, gives 0.
package enum Greedy {
  /// The index of the largest logit; ties go to the lowest token id, NaN never wins.
  package static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
    guard let base = logits.baseAddress else { return 0 }
    return Kernels.argmax(base, count: logits.count)
  }

  /// The same rule on an array of logits.
  package static func argmax(_ logits: [Float]) -> Int {
    logits.withUnsafeBufferPointer { argmax($0) }
  }
}
