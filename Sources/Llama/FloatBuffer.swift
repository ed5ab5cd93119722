/// An owned, zero-initialised Float buffer: work memory and small widened weights (norms,
/// biases) that kernels read through a stable pointer.
public final class FloatBuffer: @unchecked Sendable {
  /// The first element.
  public let base: UnsafeMutablePointer<Float>
  /// Number of elements.
  public let count: Int

  /// `count` zeros.
  public init(_ count: Int) {
    self.count = max(count, 1)
    base = .allocate(capacity: self.count)
    base.initialize(repeating: 0, count: self.count)
  }

  /// A buffer holding a copy of `values`.
  public convenience init(copying values: [Float]) {
    self.init(values.count)
    for (index, value) in values.enumerated() { base[index] = value }
  }

  deinit { base.deallocate() }
}
