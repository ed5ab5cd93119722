extension Kernels {
  /// Rows of the weight widened to `Float` at a time by
  /// ``frozenLinearBackwardInput(_:tokens:weight:into:accumulate:workspace:parallelism:)``.
  public static let frozenBackwardPanelRows = 32
  /// Tokens whose partial sums one thread keeps in its workspace at a time.
  public static let frozenBackwardGroupTokens = 64

  /// Floats of workspace that
  /// ``frozenLinearBackwardInput(_:tokens:weight:into:accumulate:workspace:parallelism:)`` needs
  /// for a weight of `columns` columns under `parallelism`: one widened panel of rows and one
  /// group of partial sums per thread.
  public static func frozenLinearBackwardWorkspace(columns: Int, parallelism: Parallelism) -> Int {
    parallelism.threads * (frozenBackwardPanelRows + frozenBackwardGroupTokens) * max(columns, 1)
  }

  /// Backward of `y = x Wᵀ` with respect to its input for a *frozen* weight in any stored type
  /// (F32, F16, BF16, ggml blocks): `dX[t][i] = Σ_o dY[t][o] · W[o][i]`, with `dY`
  /// `[tokens][weight.rows]` and `dX` `[tokens][weight.columns]`. Medusa heads that project
  /// through the backbone's own LM head (paper §2.1.1 with `W2_k` = the frozen `lm_head`, trained
  /// as Medusa-1, §2.2.1) need exactly this: the gradient flows through a quantized matrix that
  /// is never updated. With `accumulate`, the finished sum is added to the value already in `dX`
  /// (`dX[t][i] = dX[t][i] + Σ`); otherwise it replaces it.
  ///
  /// Order: for every `(t, i)` the sum runs over `o = 0, 1, ..., rows - 1` from `+0`, each term a
  /// rounded product then a rounded sum (no fused multiply-add), with `W[o][i]` the exact value
  /// ``WeightMatrix/widenRow(_:into:)`` gives. That is the order of
  /// ``linearBackwardInput(_:tokens:weight:rows:columns:into:accumulate:parallelism:)``, so the
  /// result equals that kernel on the widened `Float` matrix bit for bit. Rows are widened in
  /// panels of ``frozenBackwardPanelRows`` into the workspace and the partial sums of up to
  /// ``frozenBackwardGroupTokens`` tokens wait there between panels (stored and reloaded
  /// exactly); threads split the tokens (blocks of 4), never the sum over `o`, so the result does
  /// not depend on the batch or the thread count. Each thread widens the whole matrix once per
  /// group of tokens.
  ///
  /// `workspace` holds ``frozenLinearBackwardWorkspace(columns:parallelism:)`` floats.
  public static func frozenLinearBackwardInput(
    _ dY: UnsafePointer<Float>, tokens: Int, weight: WeightMatrix,
    into dX: UnsafeMutablePointer<Float>, accumulate: Bool,
    workspace: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    guard tokens > 0, weight.columns > 0 else { return }
    let g = SendableConstPointer(dY)
    let out = SendablePointer(dX)
    let scratch = SendablePointer(workspace)
    let perThread = (frozenBackwardPanelRows + frozenBackwardGroupTokens) * weight.columns
    let fanOut =
      tokens * weight.rows * weight.columns < 1 << 16 ? Parallelism.serial : parallelism
    fanOut.forEachChunk((tokens + 3) / 4) { chunk, blocks in
      let panel = scratch.base + chunk * perThread
      let task = FrozenBackwardInput(
        dY: g.base, weight: weight, dX: out.base, accumulate: accumulate, panel: panel,
        sums: panel + frozenBackwardPanelRows * weight.columns)
      task.run(tokens: (blocks.lowerBound * 4)..<min(tokens, blocks.upperBound * 4))
    }
  }
}

/// One thread's share of
/// ``Kernels/frozenLinearBackwardInput(_:tokens:weight:into:accumulate:workspace:parallelism:)``.
private struct FrozenBackwardInput {
  let dY: UnsafePointer<Float>
  let weight: WeightMatrix
  let dX: UnsafeMutablePointer<Float>
  let accumulate: Bool
  /// `frozenBackwardPanelRows` widened rows.
  let panel: UnsafeMutablePointer<Float>
  /// `[frozenBackwardGroupTokens][columns]` partial sums.
  let sums: UnsafeMutablePointer<Float>

  var rows: Int { weight.rows }
  var columns: Int { weight.columns }

  /// Groups of tokens; per group, every panel of rows in order.
  func run(tokens: Range<Int>) {
    var group = tokens.lowerBound
    while group < tokens.upperBound {
      let count = min(Kernels.frozenBackwardGroupTokens, tokens.upperBound - group)
      sums.update(repeating: 0, count: count * columns)
      var first = 0
      while first < rows {
        let panelRows = min(Kernels.frozenBackwardPanelRows, rows - first)
        for r in 0..<panelRows { weight.widenRow(first + r, into: panel + r * columns) }
        var t = 0
        while t < count {
          let width = min(4, count - t)
          PanelTile(
            dY: dY + (group + t) * rows + first, rows: rows, panel: panel, panelRows: panelRows,
            columns: columns, sums: sums + t * columns
          ).run(count: width)
          t += width
        }
        first += panelRows
      }
      for t in 0..<count {
        let target = dX + (group + t) * columns
        let sum = sums + t * columns
        if accumulate {
          Kernels.add(UnsafePointer(target), UnsafePointer(sum), count: columns, into: target)
        } else {
          target.update(from: sum, count: columns)
        }
      }
      group += count
    }
  }
}

/// Up to 4 tokens over one panel of widened rows: `sums[j][i] += dY[j][o] · panel[o][i]` for
/// `o` in panel order, each term a rounded product then a rounded sum.
private struct PanelTile {
  /// `dY` of the tile's first token at the panel's first row; token `j` is `rows` further.
  let dY: UnsafePointer<Float>
  let rows: Int
  let panel: UnsafePointer<Float>
  let panelRows: Int
  let columns: Int
  /// The partial sums of the tile's first token; token `j` is `columns` further.
  let sums: UnsafeMutablePointer<Float>

  func run(count: Int) {
    let vectorEnd = columns & ~7
    var c = 0
    if count == 4 {
      while c + 32 <= vectorEnd {
        fourTokensThirtyTwoColumns(column: c)
        c += 32
      }
      while c + 16 <= vectorEnd {
        fourTokensSixteenColumns(column: c)
        c += 16
      }
    }
    while c < vectorEnd {
      var a0 = Reduction.loadFloats(sums, c)
      var a1 = count > 1 ? Reduction.loadFloats(sums + columns, c) : SIMD8()
      var a2 = count > 2 ? Reduction.loadFloats(sums + 2 * columns, c) : SIMD8()
      var a3 = count > 3 ? Reduction.loadFloats(sums + 3 * columns, c) : SIMD8()
      for o in 0..<panelRows {
        let w = Reduction.loadFloats(panel + o * columns, c)
        a0 = a0 + SIMD8(repeating: dY[o]) * w
        if count > 1 { a1 = a1 + SIMD8(repeating: dY[rows + o]) * w }
        if count > 2 { a2 = a2 + SIMD8(repeating: dY[2 * rows + o]) * w }
        if count > 3 { a3 = a3 + SIMD8(repeating: dY[3 * rows + o]) * w }
      }
      Reduction.storeFloats(a0, sums, c)
      if count > 1 { Reduction.storeFloats(a1, sums + columns, c) }
      if count > 2 { Reduction.storeFloats(a2, sums + 2 * columns, c) }
      if count > 3 { Reduction.storeFloats(a3, sums + 3 * columns, c) }
      c += 8
    }
    while c < columns {
      for j in 0..<count {
        var s = sums[j * columns + c]
        for o in 0..<panelRows { s = s + dY[j * rows + o] * panel[o * columns + c] }
        sums[j * columns + c] = s
      }
      c += 1
    }
  }

  /// 4 tokens x 32 columns in registers (eight 16-lane accumulators): the same sums as the
  /// 8-column loop — every lane is its own `(t, i)`, so the vector width changes no bit — with
  /// each widened weight load shared by 4 tokens and each broadcast by 2 column chunks.
  @inline(__always)
  func fourTokensThirtyTwoColumns(column c: Int) {
    let s0 = sums
    let s1 = sums + columns
    let s2 = sums + 2 * columns
    let s3 = sums + 3 * columns
    var a0 = Reduction.load(s0, c)
    var b0 = Reduction.load(s0, c + 16)
    var a1 = Reduction.load(s1, c)
    var b1 = Reduction.load(s1, c + 16)
    var a2 = Reduction.load(s2, c)
    var b2 = Reduction.load(s2, c + 16)
    var a3 = Reduction.load(s3, c)
    var b3 = Reduction.load(s3, c + 16)
    for o in 0..<panelRows {
      let row = panel + o * columns
      let u = Reduction.load(row, c)
      let v = Reduction.load(row, c + 16)
      let g0 = SIMD16(repeating: dY[o])
      let g1 = SIMD16(repeating: dY[rows + o])
      let g2 = SIMD16(repeating: dY[2 * rows + o])
      let g3 = SIMD16(repeating: dY[3 * rows + o])
      a0 = a0 + g0 * u
      b0 = b0 + g0 * v
      a1 = a1 + g1 * u
      b1 = b1 + g1 * v
      a2 = a2 + g2 * u
      b2 = b2 + g2 * v
      a3 = a3 + g3 * u
      b3 = b3 + g3 * v
    }
    Reduction.store(a0, s0, c)
    Reduction.store(b0, s0, c + 16)
    Reduction.store(a1, s1, c)
    Reduction.store(b1, s1, c + 16)
    Reduction.store(a2, s2, c)
    Reduction.store(b2, s2, c + 16)
    Reduction.store(a3, s3, c)
    Reduction.store(b3, s3, c + 16)
  }

  /// 4 tokens x 16 columns in registers: the same sums as the 8-column loop, each widened weight
  /// load shared by 4 tokens and each broadcast by 2 column chunks.
  @inline(__always)
  func fourTokensSixteenColumns(column c: Int) {
    let s0 = sums
    let s1 = sums + columns
    let s2 = sums + 2 * columns
    let s3 = sums + 3 * columns
    var a0 = Reduction.loadFloats(s0, c)
    var b0 = Reduction.loadFloats(s0, c + 8)
    var a1 = Reduction.loadFloats(s1, c)
    var b1 = Reduction.loadFloats(s1, c + 8)
    var a2 = Reduction.loadFloats(s2, c)
    var b2 = Reduction.loadFloats(s2, c + 8)
    var a3 = Reduction.loadFloats(s3, c)
    var b3 = Reduction.loadFloats(s3, c + 8)
    for o in 0..<panelRows {
      let row = panel + o * columns
      let u = Reduction.loadFloats(row, c)
      let v = Reduction.loadFloats(row, c + 8)
      let g0 = SIMD8(repeating: dY[o])
      let g1 = SIMD8(repeating: dY[rows + o])
      let g2 = SIMD8(repeating: dY[2 * rows + o])
      let g3 = SIMD8(repeating: dY[3 * rows + o])
      a0 = a0 + g0 * u
      b0 = b0 + g0 * v
      a1 = a1 + g1 * u
      b1 = b1 + g1 * v
      a2 = a2 + g2 * u
      b2 = b2 + g2 * v
      a3 = a3 + g3 * u
      b3 = b3 + g3 * v
    }
    Reduction.storeFloats(a0, s0, c)
    Reduction.storeFloats(b0, s0, c + 8)
    Reduction.storeFloats(a1, s1, c)
    Reduction.storeFloats(b1, s1, c + 8)
    Reduction.storeFloats(a2, s2, c)
    Reduction.storeFloats(b2, s2, c + 8)
    Reduction.storeFloats(a3, s3, c)
    Reduction.storeFloats(b3, s3, c + 8)
  }
}
