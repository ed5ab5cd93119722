extension Kernels {
  /// Backward of `y = x Wᵀ (+ b)` with respect to its input, for training the Medusa heads:
  /// `dX[t][i] = Σ_o dY[t][o] · W[o][i]`, with `dY` `[tokens][rows]`, `W` an `f32` row-major
  /// `[rows][columns]` matrix and `dX` `[tokens][columns]`. With `accumulate`, the finished sum
  /// is added to the value already in `dX` (`dX[t][i] = dX[t][i] + Σ`); otherwise it replaces it.
  ///
  /// Order: for every `(t, i)` the sum runs over `o = 0, 1, ..., rows - 1` from `+0`, each term a
  /// rounded product then a rounded sum (no fused multiply-add). Threads split tokens; tiling
  /// over 4 tokens and 8 columns never changes that order, so the result does not depend on the
  /// batch or the thread count.
  public static func linearBackwardInput(
    _ dY: UnsafePointer<Float>, tokens: Int, weight: UnsafePointer<Float>, rows: Int,
    columns: Int, into dX: UnsafeMutablePointer<Float>, accumulate: Bool,
    parallelism: Parallelism
  ) {
    guard tokens > 0, columns > 0 else { return }
    let g = SendableConstPointer(dY)
    let w = SendableConstPointer(weight)
    let out = SendablePointer(dX)
    let fanOut = tokens * rows * columns < 1 << 16 ? Parallelism.serial : parallelism
    fanOut.forEachChunk((tokens + 3) / 4) { _, blocks in
      let end = min(tokens, blocks.upperBound * 4)
      var t = blocks.lowerBound * 4
      while t < end {
        let count = min(4, end - t)
        BackwardInputTile(
          dY: g.base, weight: w.base, rows: rows, columns: columns, dX: out.base,
          accumulate: accumulate
        ).run(token: t, count: count)
        t += count
      }
    }
  }

  /// Backward of `y = x Wᵀ` with respect to the weight: `dW[o][i] = Σ_t dY[t][o] · x[t][i]`,
  /// with `dY` `[tokens][rows]`, `x` `[tokens][columns]`, `dW` `[rows][columns]` (replaced).
  ///
  /// Order: for every `(o, i)` the sum runs over `t = 0, 1, ..., tokens - 1` from `+0` (rounded
  /// products, rounded sums). Threads split rows of `dW`; the tiling over 4 rows and 8 columns
  /// never changes that order.
  public static func linearBackwardWeight(
    _ dY: UnsafePointer<Float>, _ x: UnsafePointer<Float>, tokens: Int, rows: Int, columns: Int,
    into dW: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    guard rows > 0, columns > 0 else { return }
    let g = SendableConstPointer(dY)
    let input = SendableConstPointer(x)
    let out = SendablePointer(dW)
    let fanOut = tokens * rows * columns < 1 << 16 ? Parallelism.serial : parallelism
    fanOut.forEachChunk((rows + 3) / 4) { _, blocks in
      let end = min(rows, blocks.upperBound * 4)
      var o = blocks.lowerBound * 4
      while o < end {
        let count = min(4, end - o)
        BackwardWeightTile(
          dY: g.base, x: input.base, tokens: tokens, rows: rows, columns: columns, dW: out.base
        ).run(row: o, count: count)
        o += count
      }
    }
  }

  /// Backward of a bias: `db[o] = Σ_t dY[t][o]`, summed over `t = 0, 1, ...` in order from
  /// `+0`; `dY` is `[tokens][count]`, `db` is replaced.
  public static func columnSums(
    _ dY: UnsafePointer<Float>, tokens: Int, count: Int, into db: UnsafeMutablePointer<Float>
  ) {
    db.update(repeating: 0, count: count)
    for t in 0..<tokens {
      add(db, dY + t * count, count: count, into: db)
    }
  }
}

/// Up to 4 tokens of ``Kernels/linearBackwardInput(_:tokens:weight:rows:columns:into:accumulate:parallelism:)``.
private struct BackwardInputTile {
  let dY: UnsafePointer<Float>
  let weight: UnsafePointer<Float>
  let rows: Int
  let columns: Int
  let dX: UnsafeMutablePointer<Float>
  let accumulate: Bool

  func run(token: Int, count: Int) {
    let vectorEnd = columns & ~7
    var c = 0
    if count == 4 {
      while c + 16 <= vectorEnd {
        fourTokensSixteenColumns(token: token, column: c)
        c += 16
      }
    }
    while c < vectorEnd {
      var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
      for o in 0..<rows {
        let w = Reduction.loadFloats(weight + o * columns, c)
        acc.0 = acc.0 + SIMD8(repeating: dY[token * rows + o]) * w
        if count > 1 { acc.1 = acc.1 + SIMD8(repeating: dY[(token + 1) * rows + o]) * w }
        if count > 2 { acc.2 = acc.2 + SIMD8(repeating: dY[(token + 2) * rows + o]) * w }
        if count > 3 { acc.3 = acc.3 + SIMD8(repeating: dY[(token + 3) * rows + o]) * w }
      }
      store(acc.0, token: token, column: c)
      if count > 1 { store(acc.1, token: token + 1, column: c) }
      if count > 2 { store(acc.2, token: token + 2, column: c) }
      if count > 3 { store(acc.3, token: token + 3, column: c) }
      c += 8
    }
    while c < columns {
      for j in 0..<count {
        var s: Float = 0
        for o in 0..<rows { s = s + dY[(token + j) * rows + o] * weight[o * columns + c] }
        let index = (token + j) * columns + c
        dX[index] = accumulate ? dX[index] + s : s
      }
      c += 1
    }
  }

  /// 4 tokens x 16 columns in registers: the same sums over `o` as the 8-column loop, with each
  /// weight load shared by 4 tokens and each broadcast by 2 column chunks.
  @inline(__always)
  func fourTokensSixteenColumns(token: Int, column c: Int) {
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var b0 = SIMD8<Float>()
    var b1 = SIMD8<Float>()
    var b2 = SIMD8<Float>()
    var b3 = SIMD8<Float>()
    let g = dY + token * rows
    for o in 0..<rows {
      let row = weight + o * columns
      let u = Reduction.loadFloats(row, c)
      let v = Reduction.loadFloats(row, c + 8)
      let g0 = SIMD8(repeating: g[o])
      let g1 = SIMD8(repeating: g[rows + o])
      let g2 = SIMD8(repeating: g[2 * rows + o])
      let g3 = SIMD8(repeating: g[3 * rows + o])
      a0 = a0 + g0 * u
      b0 = b0 + g0 * v
      a1 = a1 + g1 * u
      b1 = b1 + g1 * v
      a2 = a2 + g2 * u
      b2 = b2 + g2 * v
      a3 = a3 + g3 * u
      b3 = b3 + g3 * v
    }
    store(a0, token: token, column: c)
    store(b0, token: token, column: c + 8)
    store(a1, token: token + 1, column: c)
    store(b1, token: token + 1, column: c + 8)
    store(a2, token: token + 2, column: c)
    store(b2, token: token + 2, column: c + 8)
    store(a3, token: token + 3, column: c)
    store(b3, token: token + 3, column: c + 8)
  }

  @inline(__always)
  func store(_ value: SIMD8<Float>, token: Int, column: Int) {
    let row = dX + token * columns
    let result = accumulate ? Reduction.loadFloats(row, column) + value : value
    Reduction.storeFloats(result, row, column)
  }
}

/// Up to 4 rows of ``Kernels/linearBackwardWeight(_:_:tokens:rows:columns:into:parallelism:)``.
private struct BackwardWeightTile {
  let dY: UnsafePointer<Float>
  let x: UnsafePointer<Float>
  let tokens: Int
  let rows: Int
  let columns: Int
  let dW: UnsafeMutablePointer<Float>

  func run(row: Int, count: Int) {
    let vectorEnd = columns & ~7
    var c = 0
    if count == 4 {
      while c + 16 <= vectorEnd {
        fourRowsSixteenColumns(row: row, column: c)
        c += 16
      }
    }
    while c < vectorEnd {
      var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
      for t in 0..<tokens {
        let v = Reduction.loadFloats(x + t * columns, c)
        let g = dY + t * rows + row
        acc.0 = acc.0 + SIMD8(repeating: g[0]) * v
        if count > 1 { acc.1 = acc.1 + SIMD8(repeating: g[1]) * v }
        if count > 2 { acc.2 = acc.2 + SIMD8(repeating: g[2]) * v }
        if count > 3 { acc.3 = acc.3 + SIMD8(repeating: g[3]) * v }
      }
      Reduction.storeFloats(acc.0, dW + row * columns, c)
      if count > 1 { Reduction.storeFloats(acc.1, dW + (row + 1) * columns, c) }
      if count > 2 { Reduction.storeFloats(acc.2, dW + (row + 2) * columns, c) }
      if count > 3 { Reduction.storeFloats(acc.3, dW + (row + 3) * columns, c) }
      c += 8
    }
    while c < columns {
      for j in 0..<count {
        var s: Float = 0
        for t in 0..<tokens { s = s + dY[t * rows + row + j] * x[t * columns + c] }
        dW[(row + j) * columns + c] = s
      }
      c += 1
    }
  }

  /// 4 rows x 16 columns in registers: the same sums over `t` as the 8-column loop, with each
  /// input load shared by 4 rows and each broadcast by 2 column chunks.
  @inline(__always)
  func fourRowsSixteenColumns(row: Int, column c: Int) {
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var b0 = SIMD8<Float>()
    var b1 = SIMD8<Float>()
    var b2 = SIMD8<Float>()
    var b3 = SIMD8<Float>()
    for t in 0..<tokens {
      let input = x + t * columns
      let u = Reduction.loadFloats(input, c)
      let v = Reduction.loadFloats(input, c + 8)
      let g = dY + t * rows + row
      let g0 = SIMD8(repeating: g[0])
      let g1 = SIMD8(repeating: g[1])
      let g2 = SIMD8(repeating: g[2])
      let g3 = SIMD8(repeating: g[3])
      a0 = a0 + g0 * u
      b0 = b0 + g0 * v
      a1 = a1 + g1 * u
      b1 = b1 + g1 * v
      a2 = a2 + g2 * u
      b2 = b2 + g2 * v
      a3 = a3 + g3 * u
      b3 = b3 + g3 * v
    }
    Reduction.storeFloats(a0, dW + row * columns, c)
    Reduction.storeFloats(b0, dW + row * columns, c + 8)
    Reduction.storeFloats(a1, dW + (row + 1) * columns, c)
    Reduction.storeFloats(b1, dW + (row + 1) * columns, c + 8)
    Reduction.storeFloats(a2, dW + (row + 2) * columns, c)
    Reduction.storeFloats(b2, dW + (row + 2) * columns, c + 8)
    Reduction.storeFloats(a3, dW + (row + 3) * columns, c)
    Reduction.storeFloats(b3, dW + (row + 3) * columns, c + 8)
  }
}
