/// The single-row register tile of the ``LinearTiling/narrow`` tiling: one stored row x up to 4
/// tokens, so each group of 32 weights of a ggml block type is decoded once for all the tokens
/// while the 4 accumulators (8 AVX2 registers) stay in registers.
struct RowAccumulators {
  var a0 = SIMD16<Float>()
  var a1 = SIMD16<Float>()
  var a2 = SIMD16<Float>()
  var a3 = SIMD16<Float>()

  /// One chunk of token `token` (0..<4): `a<token> = fma(x, w, a<token>)`.
  @inline(__always)
  mutating func add(token: Int, _ x: SIMD16<Float>, _ w: SIMD16<Float>) {
    switch token {
    case 0: a0 = a0.addingProduct(x, w)
    case 1: a1 = a1.addingProduct(x, w)
    case 2: a2 = a2.addingProduct(x, w)
    default: a3 = a3.addingProduct(x, w)
    }
  }

  /// The accumulator of `token` (0..<4).
  func value(token: Int) -> SIMD16<Float> {
    switch token {
    case 0: return a0
    case 1: return a1
    case 2: return a2
    default: return a3
    }
  }
}

extension LinearTask {
  /// Tokens `tokens` (2...4 of them) of the rows of `quad`, one row at a time through the
  /// single-row tile.
  @inline(__always)
  func runRows<D: RowDecoder>(
    _: D.Type, _ rows: RowPointers, _ quad: RowQuad, tokens: Range<Int>
  ) {
    for k in 0..<4 where quad.isReal(k) {
      let stored = rows.pointer(k)
      let row = quad.row(k)
      switch tokens.count {
      case 4: rowTile(D.self, TileWidth4.self, stored, row: row, token: tokens.lowerBound)
      case 3: rowTile(D.self, TileWidth3.self, stored, row: row, token: tokens.lowerBound)
      default: rowTile(D.self, TileWidth2.self, stored, row: row, token: tokens.lowerBound)
      }
    }
  }

  /// Row `row` (its data `w`) x `W.tokens` tokens from `token`: step 1 of ``Reduction`` for
  /// every token, chunk by chunk in order, then ``finish(_:_:stored:row:token:)``.
  @inline(never)
  func rowTile<D: RowDecoder, W: TileWidth>(
    _: D.Type, _: W.Type, _ w: UnsafeRawPointer, row: Int, token: Int
  ) {
    let x0 = x + token * columns
    let x1 = W.tokens > 1 ? x0 + columns : x0
    let x2 = W.tokens > 2 ? x1 + columns : x0
    let x3 = W.tokens > 3 ? x2 + columns : x0
    var a = RowAccumulators()
    for g in 0..<groups {
      let c = g &* 32
      let (u, v) = D.load(w, group: g)
      a.add(token: 0, Reduction.load(x0, c), u)
      if W.tokens > 1 { a.add(token: 1, Reduction.load(x1, c), u) }
      if W.tokens > 2 { a.add(token: 2, Reduction.load(x2, c), u) }
      if W.tokens > 3 { a.add(token: 3, Reduction.load(x3, c), u) }
      a.add(token: 0, Reduction.load(x0, c &+ 16), v)
      if W.tokens > 1 { a.add(token: 1, Reduction.load(x1, c &+ 16), v) }
      if W.tokens > 2 { a.add(token: 2, Reduction.load(x2, c &+ 16), v) }
      if W.tokens > 3 { a.add(token: 3, Reduction.load(x3, c &+ 16), v) }
    }
    for t in 0..<W.tokens {
      finish(D.self, a.value(token: t), stored: w, row: row, token: token + t)
    }
  }
}
