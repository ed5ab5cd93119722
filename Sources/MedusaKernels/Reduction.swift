/// The one fixed reduction order of every dot product and sum of squares in this module.
///
/// For vectors `x`, `w` of length `n`, with `m = n - n % 8`:
/// 1. Eight lane accumulators start at `+0`. For chunks `c = 0, 8, 16, ..., m - 8` in order,
///    lane `i` (0..<8) does `acc[i] = acc[i] + x[c + i] * w[c + i]` (a rounded product, then a
///    rounded sum; never a fused multiply-add).
/// 2. A fixed tree over the lanes:
///    `s = ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]))`,
///    computed as `h = lo4 + hi4` (`h[i] = acc[i] + acc[i + 4]`), then
///    `q = h[0...1] + h[2...3]`, then `s = q[0] + q[1]`.
/// 3. The scalar tail in order: for `j = m, ..., n - 1`, `s = s + x[j] * w[j]`.
/// A bias, where there is one, is added last: `y = s + bias`.
/// Threads and token tiling never change this order.
enum Reduction {
  /// Step 2: the fixed horizontal tree over eight lanes.
  @inline(__always)
  static func horizontalSum(_ acc: SIMD8<Float>) -> Float {
    let h = acc.lowHalf + acc.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
  }

  /// Step 3: the tail `s = s + x[j] * w[j]` for `j` in `start..<count`, in order.
  @inline(__always)
  static func tail<L: WeightLoader>(
    _: L.Type, _ sum: Float, _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, from start: Int,
    to count: Int
  ) -> Float {
    var s = sum
    var j = start
    while j < count {
      s = s + x[j] * L.load1(w, j)
      j += 1
    }
    return s
  }

  /// The whole fixed-order dot product of `x[0..<count]` and widened weights `w[0..<count]`.
  @inline(__always)
  static func dot<L: WeightLoader>(
    _: L.Type, _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, count: Int
  ) -> Float {
    let vectorEnd = count & ~7
    var acc = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      acc = acc + loadFloats(x, c) * L.load8(w, c)
      c += 8
    }
    return tail(L.self, horizontalSum(acc), x, w, from: vectorEnd, to: count)
  }

  /// Fixed-order dot product of two `Float` vectors.
  @inline(__always)
  static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    dot(F32Weights.self, x, UnsafeRawPointer(y), count: count)
  }

  /// Eight consecutive floats starting at `p[index]`, no alignment required.
  @inline(__always)
  static func loadFloats(_ p: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + index).loadUnaligned(as: SIMD8<Float>.self)
  }

  /// Stores eight floats at `p[index]`, no alignment required.
  @inline(__always)
  static func storeFloats(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ index: Int) {
    UnsafeMutableRawPointer(p + index).storeBytes(of: v, as: SIMD8<Float>.self)
  }
}
