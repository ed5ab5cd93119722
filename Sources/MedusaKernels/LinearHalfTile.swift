/// The half-lane register tile of the ``LinearTiling/narrow`` tiling for rows of `Float` values
/// (F32, F16 and BF16 rows, or the decoded scratch of a ggml block row) and 3 tokens: 4 rows x 3
/// tokens, run as two passes over the rows, one for lanes 0-7 of every sixteen-lane chunk and
/// one for lanes 8-15. Each lane of ``Reduction`` step 1 is its own sequence of fused
/// multiply-adds, so a pass over half the lanes computes exactly those lanes of the
/// accumulators; the two halves then form the sixteen-lane accumulator that steps 2 and 3
/// finish. A pass keeps 12 accumulators of 8 lanes, which fit AVX2's 16 registers where 12
/// sixteen-lane ones (24 registers) would spill, and widens each weight once for its 3 tokens.
extension RowDecoder {
  /// Elements `index ..< index + 8` of `row` (`index` a multiple of 8): half of a
  /// sixteen-element load, for the types without a direct one.
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, at index: Int) -> SIMD8<Float> {
    let v = load16(row, at: index & ~15)
    return index & 8 == 0 ? v.lowHalf : v.highHalf
  }
}

extension F32Row {
  /// Elements `index ..< index + 8`: a plain load.
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, at index: Int) -> SIMD8<Float> {
    row.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
  }
}

extension F16Row {
  /// Elements `index ..< index + 8`, widened exactly (`vcvtph2ps`).
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, at index: Int) -> SIMD8<Float> {
    let h = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<Float16>.self)
    var r = SIMD8<Float>()
    for i in 0..<8 { r[i] = Float(h[i]) }
    return r
  }
}

extension BF16Row {
  /// Elements `index ..< index + 8`, widened exactly.
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, at index: Int) -> SIMD8<Float> {
    let b = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<UInt16>.self)
    var wide = SIMD8<UInt32>()
    for i in 0..<8 { wide[i] = UInt32(b[i]) }
    return unsafeBitCast(wide &<< 16, to: SIMD8<Float>.self)
  }
}

/// Half of the lanes of the accumulators of a 4 rows x 3 tokens tile, `a<row><token>`.
struct HalfAccumulators {
  var a00 = SIMD8<Float>()
  var a10 = SIMD8<Float>()
  var a20 = SIMD8<Float>()
  var a30 = SIMD8<Float>()
  var a01 = SIMD8<Float>()
  var a11 = SIMD8<Float>()
  var a21 = SIMD8<Float>()
  var a31 = SIMD8<Float>()
  var a02 = SIMD8<Float>()
  var a12 = SIMD8<Float>()
  var a22 = SIMD8<Float>()
  var a32 = SIMD8<Float>()

  /// One half chunk of the 3 tokens `x0`, `x1`, `x2` against the 4 rows' `w0`...`w3`.
  @inline(__always)
  mutating func add(
    _ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ w0: SIMD8<Float>,
    _ w1: SIMD8<Float>, _ w2: SIMD8<Float>, _ w3: SIMD8<Float>
  ) {
    a00 = a00.addingProduct(x0, w0)
    a01 = a01.addingProduct(x1, w0)
    a02 = a02.addingProduct(x2, w0)
    a10 = a10.addingProduct(x0, w1)
    a11 = a11.addingProduct(x1, w1)
    a12 = a12.addingProduct(x2, w1)
    a20 = a20.addingProduct(x0, w2)
    a21 = a21.addingProduct(x1, w2)
    a22 = a22.addingProduct(x2, w2)
    a30 = a30.addingProduct(x0, w3)
    a31 = a31.addingProduct(x1, w3)
    a32 = a32.addingProduct(x2, w3)
  }

  /// The accumulator of `row` (0..<4) and `token` (0..<3).
  func value(row: Int, token: Int) -> SIMD8<Float> {
    switch (row, token) {
    case (0, 0): return a00
    case (1, 0): return a10
    case (2, 0): return a20
    case (3, 0): return a30
    case (0, 1): return a01
    case (1, 1): return a11
    case (2, 1): return a21
    case (3, 1): return a31
    case (0, 2): return a02
    case (1, 2): return a12
    case (2, 2): return a22
    default: return a32
    }
  }
}

extension LinearTask {
  /// One pass of the half-lane tile: lanes `lane ..< lane + 8` of every chunk of step 1 of
  /// ``Reduction``, chunks in order.
  @inline(never)
  func halfPass<D: RowDecoder>(
    _: D.Type, _ rows: RowPointers, token: Int, lane: Int
  ) -> HalfAccumulators {
    let (w0, w1, w2, w3) = (rows.r0, rows.r1, rows.r2, rows.r3)
    let x0 = x + token * columns
    let x1 = x0 + columns
    let x2 = x1 + columns
    var a = HalfAccumulators()
    var c = lane
    while c < vectorEnd {
      a.add(
        Reduction.loadFloats(x0, c), Reduction.loadFloats(x1, c), Reduction.loadFloats(x2, c),
        D.load8(w0, at: c), D.load8(w1, at: c), D.load8(w2, at: c), D.load8(w3, at: c))
      c &+= 16
    }
    return a
  }

  /// The 4 rows of `quad` (their data `rows`) x the 3 tokens from `token`: both passes, then
  /// ``finish(_:_:stored:row:token:)`` on each output's sixteen lanes.
  @inline(__always)
  func halfTile<D: RowDecoder>(_: D.Type, _ rows: RowPointers, _ quad: RowQuad, token: Int) {
    let low = halfPass(D.self, rows, token: token, lane: 0)
    let high = halfPass(D.self, rows, token: token, lane: 8)
    for t in 0..<3 {
      for r in 0..<4 where quad.isReal(r) {
        let acc = SIMD16(
          lowHalf: low.value(row: r, token: t), highHalf: high.value(row: r, token: t))
        finish(D.self, acc, stored: rows.pointer(r), row: quad.row(r), token: token + t)
      }
    }
  }
}
