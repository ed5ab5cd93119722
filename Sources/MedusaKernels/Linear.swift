extension Kernels {
  /// `y[t][o] = dot(x[t], W[o])`, then `+ bias[o]` where a bias is given.
  /// `x` is `[tokens][weight.columns]`, `y` is `[tokens][weight.rows]`.
  ///
  /// Every `y[t][o]` is computed in the fixed order of ``Reduction`` (eight lanes over chunks in
  /// order, the fixed lane tree, the scalar tail in order, the bias last), whatever the number of
  /// tokens, the position of the token in the batch or the number of threads.
  ///
  /// Speed: each weight row is read from memory once per call, then from cache: threads split
  /// the rows (in blocks of 4); panels of rows (~128 KiB) stay in L2 while groups of tokens run
  /// over them through register tiles (2 rows x 4 tokens, 1 x 4, and 4 rows x 1 token for the
  /// leftover tokens).
  public static func linear(
    _ x: UnsafePointer<Float>, tokens: Int, weight: WeightMatrix, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    guard tokens > 0, weight.rows > 0 else { return }
    let blocks = (weight.rows + 3) / 4
    let work = tokens * weight.rows * max(weight.columns, 1)
    let fanOut = work < 1 << 16 ? Parallelism.serial : parallelism
    let input = SendableConstPointer(x)
    let output = SendablePointer(y)
    let biasPointer = bias.map { SendableConstPointer($0) }
    fanOut.forEachChunk(blocks) { _, range in
      let task = LinearTask(
        x: input.base, tokens: tokens, weight: weight, bias: biasPointer?.base, y: output.base)
      task.run(blocks: range)
    }
  }
}

/// One call of ``Kernels/linear(_:tokens:weight:bias:into:parallelism:)`` on a range of rows.
///
/// Every tile starts its accumulators at zero and ends in ``finish(_:_:row:token:)``, so each
/// output gets the same operations whichever tile computes it. The tiles are kept out of line
/// (small functions) so that the weight widening is inlined and vectorized in each of them.
struct LinearTask {
  let x: UnsafePointer<Float>
  let tokens: Int
  let weight: WeightMatrix
  let bias: UnsafePointer<Float>?
  let y: UnsafeMutablePointer<Float>

  var columns: Int { weight.columns }
  /// End of the eight-lane part of every row (step 1 of ``Reduction``).
  var vectorEnd: Int { weight.columns & ~7 }

  /// Runs the rows of the blocks `blocks` (4 rows each; the last one may be shorter).
  func run(blocks: Range<Int>) {
    let rows = (blocks.lowerBound * 4)..<min(weight.rows, blocks.upperBound * 4)
    switch weight.type {
    case .f32: run(F32Weights.self, rows: rows)
    case .f16: run(F16Weights.self, rows: rows)
    case .bf16: run(BF16Weights.self, rows: rows)
    }
  }

  /// Cache blocking over `rows`: a panel of weight rows (about 128 KiB) stays in L2 while groups
  /// of tokens (about 128 KiB of inputs) run over it; inside a panel, blocks of 4 rows go through
  /// the register tiles. Only the loop order changes, never the operations of one output.
  @inline(__always)
  func run<L: WeightLoader>(_: L.Type, rows: Range<Int>) {
    let panelRows = max(4, ((1 << 17) / max(1, columns * weight.type.byteWidth)) & ~3)
    let groupTokens = max(4, ((1 << 17) / max(1, columns * 4)) & ~3)
    var panel = rows.lowerBound
    while panel < rows.upperBound {
      let panelEnd = min(panel + panelRows, rows.upperBound)
      var group = 0
      while group < tokens {
        let groupEnd = min(group + groupTokens, tokens)
        var r = panel
        while r < panelEnd {
          let blockEnd = min(r + 4, panelEnd)
          runBlock(L.self, rows: r..<blockEnd, tokens: group..<groupEnd)
          r = blockEnd
        }
        group = groupEnd
      }
      panel = panelEnd
    }
  }

  /// Up to 4 rows and a range of tokens through the register tiles: 2 rows x 4 tokens (1 x 4 for
  /// an odd row), then the leftover tokens in pairs (4 rows x 2 tokens: small Medusa trees of 2
  /// or 3 nodes read each widened weight once) and one at a time (4 rows x 1 token, or 1 x 1).
  @inline(__always)
  func runBlock<L: WeightLoader>(_: L.Type, rows: Range<Int>, tokens: Range<Int>) {
    var t = tokens.lowerBound
    while t + 4 <= tokens.upperBound {
      var row = rows.lowerBound
      while row + 2 <= rows.upperBound {
        tile2x4(L.self, row: row, token: t)
        row += 2
      }
      if row < rows.upperBound { tile1x4(L.self, row: row, token: t) }
      t += 4
    }
    if rows.count == 4 {
      while t + 2 <= tokens.upperBound {
        tile4x2(L.self, row: rows.lowerBound, token: t)
        t += 2
      }
    }
    while t < tokens.upperBound {
      if rows.count == 4 {
        tile4x1(L.self, row: rows.lowerBound, token: t)
      } else {
        for row in rows { tile1x1(L.self, row: row, token: t) }
      }
      t += 1
    }
  }

  /// Steps 2 and 3 of ``Reduction`` and the bias; stores `y[token][row]`.
  @inline(__always)
  func finish<L: WeightLoader>(_: L.Type, _ acc: SIMD8<Float>, row: Int, token: Int) {
    let s = Reduction.tail(
      L.self, Reduction.horizontalSum(acc), x + token * columns, weight.rowAddress(row),
      from: vectorEnd, to: columns)
    y[token * weight.rows + row] = bias.map { s + $0[row] } ?? s
  }

  /// One row, one token.
  @inline(never)
  func tile1x1<L: WeightLoader>(_: L.Type, row: Int, token: Int) {
    let w = weight.rowAddress(row)
    let x0 = x + token * columns
    var a = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      a = a + Reduction.loadFloats(x0, c) * L.load8(w, c)
      c += 8
    }
    finish(L.self, a, row: row, token: token)
  }

  /// Four rows, one token: four independent accumulators hide the add latency at T = 1.
  @inline(never)
  func tile4x1<L: WeightLoader>(_: L.Type, row: Int, token: Int) {
    let w0 = weight.rowAddress(row)
    let w1 = weight.rowAddress(row + 1)
    let w2 = weight.rowAddress(row + 2)
    let w3 = weight.rowAddress(row + 3)
    let x0 = x + token * columns
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      let v = Reduction.loadFloats(x0, c)
      a0 = a0 + v * L.load8(w0, c)
      a1 = a1 + v * L.load8(w1, c)
      a2 = a2 + v * L.load8(w2, c)
      a3 = a3 + v * L.load8(w3, c)
      c += 8
    }
    finish(L.self, a0, row: row, token: token)
    finish(L.self, a1, row: row + 1, token: token)
    finish(L.self, a2, row: row + 2, token: token)
    finish(L.self, a3, row: row + 3, token: token)
  }

  /// Four rows, two tokens: each widened weight vector serves both tokens.
  @inline(never)
  func tile4x2<L: WeightLoader>(_: L.Type, row: Int, token: Int) {
    let w0 = weight.rowAddress(row)
    let w1 = weight.rowAddress(row + 1)
    let w2 = weight.rowAddress(row + 2)
    let w3 = weight.rowAddress(row + 3)
    let x0 = x + token * columns
    let x1 = x0 + columns
    var a00 = SIMD8<Float>()
    var a10 = SIMD8<Float>()
    var a20 = SIMD8<Float>()
    var a30 = SIMD8<Float>()
    var a01 = SIMD8<Float>()
    var a11 = SIMD8<Float>()
    var a21 = SIMD8<Float>()
    var a31 = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      let v0 = Reduction.loadFloats(x0, c)
      let v1 = Reduction.loadFloats(x1, c)
      let u0 = L.load8(w0, c)
      a00 = a00 + v0 * u0
      a01 = a01 + v1 * u0
      let u1 = L.load8(w1, c)
      a10 = a10 + v0 * u1
      a11 = a11 + v1 * u1
      let u2 = L.load8(w2, c)
      a20 = a20 + v0 * u2
      a21 = a21 + v1 * u2
      let u3 = L.load8(w3, c)
      a30 = a30 + v0 * u3
      a31 = a31 + v1 * u3
      c += 8
    }
    finish(L.self, a00, row: row, token: token)
    finish(L.self, a10, row: row + 1, token: token)
    finish(L.self, a20, row: row + 2, token: token)
    finish(L.self, a30, row: row + 3, token: token)
    finish(L.self, a01, row: row, token: token + 1)
    finish(L.self, a11, row: row + 1, token: token + 1)
    finish(L.self, a21, row: row + 2, token: token + 1)
    finish(L.self, a31, row: row + 3, token: token + 1)
  }

  /// One row, four tokens.
  @inline(never)
  func tile1x4<L: WeightLoader>(_: L.Type, row: Int, token: Int) {
    let w0 = weight.rowAddress(row)
    let x0 = x + token * columns
    let x1 = x0 + columns
    let x2 = x1 + columns
    let x3 = x2 + columns
    var a0 = SIMD8<Float>()
    var a1 = SIMD8<Float>()
    var a2 = SIMD8<Float>()
    var a3 = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      let w = L.load8(w0, c)
      a0 = a0 + Reduction.loadFloats(x0, c) * w
      a1 = a1 + Reduction.loadFloats(x1, c) * w
      a2 = a2 + Reduction.loadFloats(x2, c) * w
      a3 = a3 + Reduction.loadFloats(x3, c) * w
      c += 8
    }
    finish(L.self, a0, row: row, token: token)
    finish(L.self, a1, row: row, token: token + 1)
    finish(L.self, a2, row: row, token: token + 2)
    finish(L.self, a3, row: row, token: token + 3)
  }

  /// Two rows, four tokens: the main tile for batches (8 accumulators, 2 widened weight vectors).
  @inline(never)
  func tile2x4<L: WeightLoader>(_: L.Type, row: Int, token: Int) {
    let w0 = weight.rowAddress(row)
    let w1 = weight.rowAddress(row + 1)
    let x0 = x + token * columns
    let x1 = x0 + columns
    let x2 = x1 + columns
    let x3 = x2 + columns
    var a00 = SIMD8<Float>()
    var a01 = SIMD8<Float>()
    var a02 = SIMD8<Float>()
    var a03 = SIMD8<Float>()
    var a10 = SIMD8<Float>()
    var a11 = SIMD8<Float>()
    var a12 = SIMD8<Float>()
    var a13 = SIMD8<Float>()
    var c = 0
    while c < vectorEnd {
      let u = L.load8(w0, c)
      let v = L.load8(w1, c)
      let v0 = Reduction.loadFloats(x0, c)
      a00 = a00 + v0 * u
      a10 = a10 + v0 * v
      let v1 = Reduction.loadFloats(x1, c)
      a01 = a01 + v1 * u
      a11 = a11 + v1 * v
      let v2 = Reduction.loadFloats(x2, c)
      a02 = a02 + v2 * u
      a12 = a12 + v2 * v
      let v3 = Reduction.loadFloats(x3, c)
      a03 = a03 + v3 * u
      a13 = a13 + v3 * v
      c += 8
    }
    finish(L.self, a00, row: row, token: token)
    finish(L.self, a01, row: row, token: token + 1)
    finish(L.self, a02, row: row, token: token + 2)
    finish(L.self, a03, row: row, token: token + 3)
    finish(L.self, a10, row: row + 1, token: token)
    finish(L.self, a11, row: row + 1, token: token + 1)
    finish(L.self, a12, row: row + 1, token: token + 2)
    finish(L.self, a13, row: row + 1, token: token + 3)
  }
}
