/// The one fixed reduction order of every dot product and sum of squares in this module.
///
/// For vectors `x`, `w` of length `n` (`w` widened or dequantized exactly to `Float`), with
/// `m = n - n % 16`:
/// 1. Sixteen lane accumulators start at `+0`. For chunks `c = 0, 16, 32, ..., m - 16` in order,
///    lane `i` (0..<16) does `acc[i] = fma(x[c + i], w[c + i], acc[i])`: a fused multiply-add,
///    rounded once (IEEE 754 `fusedMultiplyAdd`).
/// 2. A fixed tree over the lanes: `h8[i] = acc[i] + acc[i + 8]`, `h4[i] = h8[i] + h8[i + 4]`,
///    `h2[i] = h4[i] + h4[i + 2]`, `s = h2[0] + h2[1]`.
/// 3. The scalar tail in order: for `j = m, ..., n - 1`, `s = fma(x[j], w[j], s)`.
/// A bias, where there is one, is added last: `y = s + bias`.
///
/// The lane count (16) and the tree are fixed independently of the build target: an AVX-512
/// build holds one accumulator in one register, an AVX2 build in two, NEON in four, and a build
/// for a CPU without FMA computes the same fused results in software (slowly). FMA is exactly
/// rounded, so every target gives the same bits. Threads and token tiling never change the order.
enum Reduction {
  /// Step 2: the fixed horizontal tree over sixteen lanes.
  @inline(__always)
  static func horizontalSum(_ acc: SIMD16<Float>) -> Float {
    let h8 = acc.lowHalf + acc.highHalf
    let h4 = h8.lowHalf + h8.highHalf
    let h2 = h4.lowHalf + h4.highHalf
    return h2[0] + h2[1]
  }

  /// Step 3: the tail `s = fma(x[j], w[j], s)` for `j` in `start..<count`, in order.
  @inline(__always)
  static func tail<D: RowDecoder>(
    _: D.Type, _ sum: Float, _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, from start: Int,
    to count: Int
  ) -> Float {
    var s = sum
    var j = start
    while j < count {
      s = s.addingProduct(x[j], D.load1(w, j))
      j += 1
    }
    return s
  }

  /// The whole fixed-order dot product of `x[0..<count]` and a stored row `w[0..<count]`.
  @inline(__always)
  static func dot<D: RowDecoder>(
    _: D.Type, _ x: UnsafePointer<Float>, _ w: UnsafeRawPointer, count: Int
  ) -> Float {
    let vectorEnd = count & ~15
    var acc = SIMD16<Float>()
    var c = 0
    while c < vectorEnd {
      acc = acc.addingProduct(load(x, c), D.load16(w, at: c))
      c += 16
    }
    return tail(D.self, horizontalSum(acc), x, w, from: vectorEnd, to: count)
  }

  /// Fixed-order dot product of two `Float` vectors.
  @inline(__always)
  static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
    dot(F32Row.self, x, UnsafeRawPointer(y), count: count)
  }

  /// Sixteen consecutive floats starting at `p[index]`, no alignment required.
  @inline(__always)
  static func load(_ p: UnsafePointer<Float>, _ index: Int) -> SIMD16<Float> {
    UnsafeRawPointer(p + index).loadUnaligned(as: SIMD16<Float>.self)
  }

  /// Stores sixteen floats at `p[index]`, no alignment required.
  @inline(__always)
  static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ index: Int) {
    UnsafeMutableRawPointer(p + index).storeBytes(of: v, as: SIMD16<Float>.self)
  }

  /// Eight consecutive floats starting at `p[index]` (for the elementwise kernels, whose
  /// results do not depend on the vector width).
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
