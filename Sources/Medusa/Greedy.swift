import MedusaKernels

/// Greedy choice over a row of logits.
enum Greedy {
  /// The index of the largest logit; ties go to the lowest token id.
  static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
    guard let base = logits.baseAddress else { return 0 }
    return Kernels.argmax(base, count: logits.count)
  }
}
