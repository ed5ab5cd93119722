extension Kernels {
  /// Backward of ``rmsNorm(_:tokens:dimension:weight:epsilon:into:)`` (Medusa-2 trains the
  /// backbone's norms, paper §2.2.2). With `n = dimension`, `r = 1 / sqrt(Σ x² / n + ε)` (as in
  /// the forward) and `y_i = x_i · r · w_i`, for every token:
  /// ```
  /// g_i   = dy_i · w_i
  /// dx_i += r · g_i - x_i · (r³ / n) · Σ_j g_j · x_j
  /// dw_i += dy_i · (x_i · r)
  /// ```
  /// The sums `Σ x²` and `Σ g·x` are fixed-order dot products (``Reduction``); tokens are visited
  /// in order, so `dw` accumulates over tokens `0, 1, ...`. `dx` and `dw` are accumulated into
  /// (the residual stream's gradient already holds the skip connection's share).
  public static func rmsNormBackward(
    _ x: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, tokens: Int, dimension: Int,
    weight: UnsafePointer<Float>, epsilon: Float, inputGradient dx: UnsafeMutablePointer<Float>,
    weightGradient dw: UnsafeMutablePointer<Float>, scratch g: UnsafeMutablePointer<Float>
  ) {
    let n = Float(dimension)
    for t in 0..<tokens {
      let row = x + t * dimension
      let grad = dy + t * dimension
      let out = dx + t * dimension
      let r = 1 / (Reduction.dot(row, row, count: dimension) / n + epsilon).squareRoot()
      for i in 0..<dimension { g[i] = grad[i] * weight[i] }
      let projection = Reduction.dot(g, row, count: dimension)
      let coefficient = (r * r * r / n) * projection
      for i in 0..<dimension {
        out[i] = out[i] + (r * g[i] - row[i] * coefficient)
        dw[i] = dw[i] + grad[i] * (row[i] * r)
      }
    }
  }

  /// Backward of ``applyRotary(_:tokens:heads:headDimension:cos:sin:)``, in place on the
  /// gradient `[tokens][heads][headDimension]`: the rotation's transpose, so for `i < d/2`
  /// `(da, db)` becomes `(da · cos[i] + db · sin[i], db · cos[i] - da · sin[i])`.
  public static func applyRotaryBackward(
    _ gradient: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
    cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
  ) {
    let half = headDimension / 2
    for t in 0..<tokens {
      let c = cos + t * half
      let s = sin + t * half
      for h in 0..<heads {
        let first = gradient + (t * heads + h) * headDimension
        let second = first + half
        for i in 0..<half {
          let a = first[i]
          let b = second[i]
          first[i] = a * c[i] + b * s[i]
          second[i] = b * c[i] - a * s[i]
        }
      }
    }
  }

  /// Backward of ``swiGLU(gate:up:count:into:)``: with `s = 1 / (1 + exp(-g))` (this module's
  /// ``exp(_:)``) and `out = g · s · u`,
  /// `dUp = dOut · (g · s)` and `dGate = dOut · u · (s + g · s · (1 - s))`.
  public static func swiGLUBackward(
    gate: UnsafePointer<Float>, up: UnsafePointer<Float>, gradient dOut: UnsafePointer<Float>,
    count: Int, gateGradient dGate: UnsafeMutablePointer<Float>,
    upGradient dUp: UnsafeMutablePointer<Float>
  ) {
    let one = SIMD8<Float>(repeating: 1)
    var i = 0
    while i + 8 <= count {
      let g = Reduction.loadFloats(gate, i)
      let u = Reduction.loadFloats(up, i)
      let d = Reduction.loadFloats(dOut, i)
      let s = one / (one + exp8(-g))
      Reduction.storeFloats(d * (g * s), dUp, i)
      Reduction.storeFloats((d * u) * (s + g * (s * (one - s))), dGate, i)
      i += 8
    }
    while i < count {
      let g = gate[i]
      let s = 1 / (1 + exp(-g))
      dUp[i] = dOut[i] * (g * s)
      dGate[i] = (dOut[i] * up[i]) * (s + g * (s * (1 - s)))
      i += 1
    }
  }

  /// Backward of an embedding lookup: `table[token[t]] += gradient[t]` for `t = 0, 1, ...` in
  /// order (a token seen twice adds its rows in sequence order). `table` is `[vocabulary][width]`.
  public static func embeddingBackward(
    _ gradient: UnsafePointer<Float>, tokens: UnsafePointer<Int32>, count: Int, width: Int,
    into table: UnsafeMutablePointer<Float>
  ) {
    for t in 0..<count {
      let row = table + Int(tokens[t]) * width
      add(row, gradient + t * width, count: width, into: row)
    }
  }
}
