/// The number of tokens of a register tile, as a type so that each width is compiled
/// separately and the tile's `if W.tokens > n` tests fold away.
protocol TileWidth {
  /// Tokens of the tile (1...4).
  static var tokens: Int { get }
}

/// A tile of one token (autoregressive decoding).
enum TileWidth1: TileWidth { static var tokens: Int { 1 } }
/// A tile of two tokens.
enum TileWidth2: TileWidth { static var tokens: Int { 2 } }
/// A tile of three tokens.
enum TileWidth3: TileWidth { static var tokens: Int { 3 } }
/// A tile of four tokens.
enum TileWidth4: TileWidth { static var tokens: Int { 4 } }

/// The accumulators of one register tile, `a<row><token>`: 4 rows x up to 4 tokens of sixteen
/// lanes each (step 1 of ``Reduction``). The switches fold away because every call passes a
/// constant token.
struct TileAccumulators {
  var a00 = SIMD16<Float>()
  var a10 = SIMD16<Float>()
  var a20 = SIMD16<Float>()
  var a30 = SIMD16<Float>()
  var a01 = SIMD16<Float>()
  var a11 = SIMD16<Float>()
  var a21 = SIMD16<Float>()
  var a31 = SIMD16<Float>()
  var a02 = SIMD16<Float>()
  var a12 = SIMD16<Float>()
  var a22 = SIMD16<Float>()
  var a32 = SIMD16<Float>()
  var a03 = SIMD16<Float>()
  var a13 = SIMD16<Float>()
  var a23 = SIMD16<Float>()
  var a33 = SIMD16<Float>()

  /// One chunk of token `token`: `a<r><token> = fma(x, w<r>, a<r><token>)` for the 4 rows.
  @inline(__always)
  mutating func add(
    token: Int, _ x: SIMD16<Float>, _ w0: SIMD16<Float>, _ w1: SIMD16<Float>,
    _ w2: SIMD16<Float>, _ w3: SIMD16<Float>
  ) {
    switch token {
    case 0:
      a00 = a00.addingProduct(x, w0)
      a10 = a10.addingProduct(x, w1)
      a20 = a20.addingProduct(x, w2)
      a30 = a30.addingProduct(x, w3)
    case 1:
      a01 = a01.addingProduct(x, w0)
      a11 = a11.addingProduct(x, w1)
      a21 = a21.addingProduct(x, w2)
      a31 = a31.addingProduct(x, w3)
    case 2:
      a02 = a02.addingProduct(x, w0)
      a12 = a12.addingProduct(x, w1)
      a22 = a22.addingProduct(x, w2)
      a32 = a32.addingProduct(x, w3)
    default:
      a03 = a03.addingProduct(x, w0)
      a13 = a13.addingProduct(x, w1)
      a23 = a23.addingProduct(x, w2)
      a33 = a33.addingProduct(x, w3)
    }
  }

  /// The accumulator of `row` (0..<4) and `token` (0..<4).
  func value(row: Int, token: Int) -> SIMD16<Float> {
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
    case (3, 2): return a32
    case (0, 3): return a03
    case (1, 3): return a13
    case (2, 3): return a23
    default: return a33
    }
  }
}

/// The 4 rows of one register tile: `first + k * stride` for `k` in 0..<4, those at or past
/// `end` replaced by `first` (computed, not stored).
struct RowQuad {
  let first: Int
  let stride: Int
  let end: Int

  /// Whether row `k` of the quad is a real row of the range.
  @inline(__always)
  func isReal(_ k: Int) -> Bool { first + k * stride < end }

  /// Row `k` of the quad (the first row for a padding slot).
  @inline(__always)
  func row(_ k: Int) -> Int { isReal(k) ? first + k * stride : first }
}

/// The data of the 4 rows of a register tile: stored rows, or their decoded `Float` copies.
struct RowPointers {
  let r0: UnsafeRawPointer
  let r1: UnsafeRawPointer
  let r2: UnsafeRawPointer
  let r3: UnsafeRawPointer

  init(
    _ r0: UnsafeRawPointer, _ r1: UnsafeRawPointer, _ r2: UnsafeRawPointer, _ r3: UnsafeRawPointer
  ) {
    self.r0 = r0
    self.r1 = r1
    self.r2 = r2
    self.r3 = r3
  }

  /// Row `k` (0..<4).
  @inline(__always)
  func pointer(_ k: Int) -> UnsafeRawPointer {
    switch k {
    case 0: return r0
    case 1: return r1
    case 2: return r2
    default: return r3
    }
  }
}
