extension Kernels {
  /// `y[t][o] = dot(x[t], W[o])`, then `+ bias[o]` where a bias is given.
  /// `x` is `[tokens][weight.columns]`, `y` is `[tokens][weight.rows]`; `W` is in its storage
  /// type (F32, F16, BF16 or a ggml block type), widened or dequantized exactly in registers.
  ///
  /// Every `y[t][o]` is computed in the fixed order of ``Reduction`` (sixteen fused
  /// multiply-add lanes over chunks in order, the fixed lane tree, the scalar tail in order,
  /// the bias last), whatever the number of tokens, the position of the token in the batch or
  /// the number of threads. So it equals, bit for bit, the same call on the dequantized `Float`
  /// matrix.
  ///
  /// Speed: threads split the rows (in blocks of 4); each block of 4 rows is read once and run
  /// through register tiles whose shape `tiling` chooses for the build's register file
  /// (``LinearTiling``; the default is this build's): a Medusa tree of up to 4 nodes costs one
  /// decode of every weight. Panels of rows (~128 KiB) stay in L2 while groups of tokens
  /// (~128 KiB of inputs) run over them.
  public static func linear(
    _ x: UnsafePointer<Float>, tokens: Int, weight: WeightMatrix, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>, parallelism: Parallelism,
    tiling: LinearTiling = .build
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
        x: input.base, tokens: tokens, weight: weight, bias: biasPointer?.base, y: output.base,
        tiling: tiling)
      task.run(blocks: range)
    }
  }
}

/// One call of ``Kernels/linear(_:tokens:weight:bias:into:parallelism:)`` on a range of rows.
///
/// Every tile starts its accumulators at zero and ends in ``finish(_:_:row:token:)``, so each
/// output gets the same operations whichever tile computes it.
struct LinearTask {
  let x: UnsafePointer<Float>
  let tokens: Int
  let weight: WeightMatrix
  let bias: UnsafePointer<Float>?
  let y: UnsafeMutablePointer<Float>
  /// The register tiles' shapes.
  let tiling: LinearTiling

  var columns: Int { weight.columns }
  /// Whole 32-element groups of a row.
  var groups: Int { weight.columns >> 5 }
  /// End of the sixteen-lane part of every row (step 1 of ``Reduction``).
  var vectorEnd: Int { weight.columns & ~15 }

  /// Runs the rows of the blocks `blocks` (4 rows each; the last one may be shorter).
  func run(blocks: Range<Int>) {
    let rows = (blocks.lowerBound * 4)..<min(weight.rows, blocks.upperBound * 4)
    switch weight.type {
    case .f32: run(F32Row.self, rows: rows)
    case .f16: run(F16Row.self, rows: rows)
    case .bf16: run(BF16Row.self, rows: rows)
    case .q8_0: run(Q8_0Row.self, rows: rows)
    case .q4_0: run(Q4_0Row.self, rows: rows)
    case .q4_1: run(Q4_1Row.self, rows: rows)
    case .q5_0: run(Q5_0Row.self, rows: rows)
    case .q5_1: run(Q5_1Row.self, rows: rows)
    case .q2_K: run(Q2_KRow.self, rows: rows)
    case .q3_K: run(Q3_KRow.self, rows: rows)
    case .q4_K: run(Q4_KRow.self, rows: rows)
    case .q5_K: run(Q5_KRow.self, rows: rows)
    case .q6_K: run(Q6_KRow.self, rows: rows)
    }
  }

  /// Cache blocking and row order over `rows`. The rows are cut into four quarters, and the
  /// register tiles take one row of each quarter at a time (rows `r`, `r + q`, `r + 2q`,
  /// `r + 3q`): each of the tile's four weight streams then walks its quarter sequentially
  /// through memory, which the hardware prefetchers follow even when rows are short (a 576-wide
  /// Q4_1 row is 360 bytes). A panel of quarter-rows (about 128 KiB of weights) stays in L2
  /// while groups of tokens (about 128 KiB of inputs) run over it. Only the loop order changes,
  /// never the operations of one output.
  ///
  /// For more than 4 tokens, a ggml block type decodes each quad once into `Float` scratch (its
  /// exact dequantized values) and the tiles read that as `Float` rows, so the decoding cost does
  /// not grow with the number of tokens; the tiles then compute exactly what they would on the
  /// stored rows.
  @inline(__always)
  func run<D: RowDecoder>(_: D.Type, rows: Range<Int>) {
    guard D.self != F32Row.self, weight.type.blockElements > 1, tokens > 4 else {
      run(D.self, rows: rows, scratch: nil)
      return
    }
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * columns) { scratch in
      run(D.self, rows: rows, scratch: scratch.baseAddress)
    }
  }

  @inline(__always)
  func run<D: RowDecoder>(_: D.Type, rows: Range<Int>, scratch: UnsafeMutablePointer<Float>?) {
    let quarter = (rows.count + 3) / 4
    let panelRows = max(1, (1 << 17) / max(1, 4 * weight.rowBytes))
    let groupTokens = max(4, ((1 << 17) / max(1, columns * 4)) & ~3)
    var panel = 0
    while panel < quarter {
      let panelEnd = min(panel + panelRows, quarter)
      var group = 0
      while group < tokens {
        let groupEnd = min(group + groupTokens, tokens)
        for r in panel..<panelEnd {
          let quad = RowQuad(first: rows.lowerBound + r, stride: quarter, end: rows.upperBound)
          if let scratch {
            decode(D.self, quad, into: scratch)
            let stride = columns * 4
            let rows = RowPointers(
              UnsafeRawPointer(scratch), UnsafeRawPointer(scratch) + stride,
              UnsafeRawPointer(scratch) + 2 * stride, UnsafeRawPointer(scratch) + 3 * stride)
            runQuad(F32Row.self, rows, quad, tokens: group..<groupEnd)
          } else {
            let rows = RowPointers(
              weight.rowAddress(quad.row(0)), weight.rowAddress(quad.row(1)),
              weight.rowAddress(quad.row(2)), weight.rowAddress(quad.row(3)))
            runQuad(D.self, rows, quad, tokens: group..<groupEnd)
          }
        }
        group = groupEnd
      }
      panel = panelEnd
    }
  }

  /// Dequantizes the 4 rows of `quad` into `scratch` `[4][columns]`.
  @inline(never)
  func decode<D: RowDecoder>(_: D.Type, _ quad: RowQuad, into scratch: UnsafeMutablePointer<Float>)
  {
    for k in 0..<4 {
      let row = weight.rowAddress(quad.row(k))
      let out = scratch + k * columns
      for g in 0..<groups {
        let (u, v) = D.load(row, group: g)
        Reduction.store(u, out, g &* 32)
        Reduction.store(v, out, g &* 32 &+ 16)
      }
    }
  }

  /// One quad of rows and a range of tokens. The ``LinearTiling/narrow`` tiling runs 2-4
  /// tokens of a stored ggml block row through the single-row tile (``runRows(_:_:_:tokens:)``),
  /// and `Float`-valued rows 3 tokens at a time through the half-lane tile
  /// (``halfTile(_:_:_:token:)``). Then `tiling.quadTokens` tokens at a time go through the
  /// 4 x 4 (wide) or 4 x 2 (narrow) tile, the rest through the narrower ones.
  @inline(__always)
  func runQuad<D: RowDecoder>(
    _: D.Type, _ rows: RowPointers, _ quad: RowQuad, tokens: Range<Int>
  ) {
    let storedBlocks = D.self != F32Row.self && weight.type.blockElements > 1
    if tiling == .narrow, storedBlocks, (2...4).contains(tokens.count) {
      runRows(D.self, rows, quad, tokens: tokens)
      return
    }
    var t = tokens.lowerBound
    if tiling == .narrow, !storedBlocks {
      while t + 3 <= tokens.upperBound {
        halfTile(D.self, rows, quad, token: t)
        t += 3
      }
    }
    let width = tiling.quadTokens
    while t + width <= tokens.upperBound {
      if width == 4 {
        tile(D.self, TileWidth4.self, rows, quad, token: t)
      } else {
        tile(D.self, TileWidth2.self, rows, quad, token: t)
      }
      t += width
    }
    switch tokens.upperBound - t {
    case 3: tile(D.self, TileWidth3.self, rows, quad, token: t)
    case 2: tile(D.self, TileWidth2.self, rows, quad, token: t)
    case 1: tile(D.self, TileWidth1.self, rows, quad, token: t)
    default: break
    }
  }

  /// Steps 2 and 3 of ``Reduction`` and the bias; stores `y[token][row]` (`stored` is the row's
  /// data, for the scalar tail of the float types).
  @inline(__always)
  func finish<D: RowDecoder>(
    _: D.Type, _ acc: SIMD16<Float>, stored: UnsafeRawPointer, row: Int, token: Int
  ) {
    let s = Reduction.tail(
      D.self, Reduction.horizontalSum(acc), x + token * columns, stored, from: vectorEnd,
      to: columns)
    y[token * weight.rows + row] = bias.map { s + $0[row] } ?? s
  }

  /// The register tile: the 4 rows `rows` (the data of the rows of `quad`) x `W.tokens`
  /// tokens, 16 accumulators at most. Each group of 32 weights of each row is decoded once and
  /// used by every token of the tile. A quad with fewer than 4 real rows repeats its first row
  /// and stores only the real ones.
  @inline(never)
  func tile<D: RowDecoder, W: TileWidth>(
    _: D.Type, _: W.Type, _ rows: RowPointers, _ quad: RowQuad, token: Int
  ) {
    let (w0, w1, w2, w3) = (rows.r0, rows.r1, rows.r2, rows.r3)
    let x0 = x + token * columns
    let x1 = W.tokens > 1 ? x0 + columns : x0
    let x2 = W.tokens > 2 ? x1 + columns : x0
    let x3 = W.tokens > 3 ? x2 + columns : x0
    var a = TileAccumulators()
    for g in 0..<groups {
      let c = g &* 32
      let (u0, v0) = D.load(w0, group: g)
      let (u1, v1) = D.load(w1, group: g)
      let (u2, v2) = D.load(w2, group: g)
      let (u3, v3) = D.load(w3, group: g)
      a.add(token: 0, Reduction.load(x0, c), u0, u1, u2, u3)
      a.add(token: 0, Reduction.load(x0, c &+ 16), v0, v1, v2, v3)
      if W.tokens > 1 {
        a.add(token: 1, Reduction.load(x1, c), u0, u1, u2, u3)
        a.add(token: 1, Reduction.load(x1, c &+ 16), v0, v1, v2, v3)
      }
      if W.tokens > 2 {
        a.add(token: 2, Reduction.load(x2, c), u0, u1, u2, u3)
        a.add(token: 2, Reduction.load(x2, c &+ 16), v0, v1, v2, v3)
      }
      if W.tokens > 3 {
        a.add(token: 3, Reduction.load(x3, c), u0, u1, u2, u3)
        a.add(token: 3, Reduction.load(x3, c &+ 16), v0, v1, v2, v3)
      }
    }
    let c = groups &* 32
    if vectorEnd > c {
      let u0 = D.load16(w0, at: c)
      let u1 = D.load16(w1, at: c)
      let u2 = D.load16(w2, at: c)
      let u3 = D.load16(w3, at: c)
      a.add(token: 0, Reduction.load(x0, c), u0, u1, u2, u3)
      if W.tokens > 1 { a.add(token: 1, Reduction.load(x1, c), u0, u1, u2, u3) }
      if W.tokens > 2 { a.add(token: 2, Reduction.load(x2, c), u0, u1, u2, u3) }
      if W.tokens > 3 { a.add(token: 3, Reduction.load(x3, c), u0, u1, u2, u3) }
    }
    for t in 0..<W.tokens {
      for r in 0..<4 where quad.isReal(r) {
        finish(
          D.self, a.value(row: r, token: t), stored: rows.pointer(r), row: quad.row(r),
          token: token + t)
      }
    }
  }
}
