extension Kernels {
  /// Index of the largest value of `x[0..<count]`. Ties go to the lowest index; NaN never wins
  /// (it compares false); if every value is NaN, or `count == 0`, the result is 0.
  public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var best = -Float.infinity
    var bestIndex = 0
    var i = 0
    while i + 8 <= count {
      if any(Reduction.loadFloats(x, i) .> SIMD8<Float>(repeating: best)) {
        for j in i..<(i + 8) where x[j] > best {
          best = x[j]
          bestIndex = j
        }
      }
      i += 8
    }
    while i < count {
      if x[i] > best {
        best = x[i]
        bestIndex = i
      }
      i += 1
    }
    return bestIndex
  }

  /// Indices of the `k` largest values of `x[0..<count]`, best first. Ties go to the lowest
  /// index; NaN values are never returned, so the result has `min(k, non-NaN count)` entries.
  /// One pass with a sorted buffer of `k` candidates; chunks of 8 values that cannot beat the
  /// current k-th best are skipped with one SIMD comparison.
  public static func topK(_ x: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
    guard k > 0, count > 0 else { return [] }
    var selection = TopKBuffer(capacity: k)
    var i = 0
    while i + 8 <= count {
      if !selection.isFull
        || any(Reduction.loadFloats(x, i) .> SIMD8<Float>(repeating: selection.threshold))
      {
        for j in i..<(i + 8) { selection.offer(x[j], index: j) }
      }
      i += 8
    }
    while i < count {
      selection.offer(x[i], index: i)
      i += 1
    }
    return selection.indices
  }
}

/// The sorted candidate buffer of ``Kernels/topK(_:count:k:)``, best first. Indices are offered
/// in increasing order, so a value equal to a kept one goes after it (lowest index wins ties).
struct TopKBuffer {
  let capacity: Int
  private(set) var values: [Float] = []
  private(set) var indices: [Int] = []

  init(capacity: Int) {
    self.capacity = capacity
    values.reserveCapacity(capacity + 1)
    indices.reserveCapacity(capacity + 1)
  }

  var isFull: Bool { values.count == capacity }

  /// The value a new entry must exceed once the buffer is full.
  var threshold: Float { values.last ?? -.infinity }

  mutating func offer(_ value: Float, index: Int) {
    if value.isNaN { return }
    if isFull && !(value > threshold) { return }
    var position = values.count
    while position > 0 && value > values[position - 1] { position -= 1 }
    values.insert(value, at: position)
    indices.insert(index, at: position)
    if values.count > capacity {
      values.removeLast()
      indices.removeLast()
    }
  }
}

extension Kernels {
  /// Whether `x[0..<count]` holds only finite values (no NaN, no infinity): `x * 0` is `0` for
  /// every finite `x` and NaN otherwise, summed sixteen lanes at a time.
  public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
    var acc = SIMD16<Float>()
    var i = 0
    while i + 16 <= count {
      acc += Reduction.load(x, i) * 0
      i += 16
    }
    var tail: Float = 0
    while i < count {
      tail += x[i] * 0
      i += 1
    }
    return (acc.sum() + tail) == 0
  }
}
