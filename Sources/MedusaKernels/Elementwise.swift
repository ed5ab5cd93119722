#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Kernels {
  /// Transformers' `LlamaRMSNorm` in `Float`, token by token:
  /// `ss = dot(x, x)` in the fixed order of ``Reduction``; `r = 1 / sqrt(ss / Float(dimension) +
  /// epsilon)` (a correctly rounded division and square root); `y[i] = (x[i] * r) * weight[i]`.
  /// `x` and `y` are `[tokens][dimension]` and may alias.
  public static func rmsNorm(
    _ x: UnsafePointer<Float>, tokens: Int, dimension: Int, weight: UnsafePointer<Float>,
    epsilon: Float, into y: UnsafeMutablePointer<Float>
  ) {
    let vectorEnd = dimension & ~7
    for t in 0..<tokens {
      let row = x + t * dimension
      let out = y + t * dimension
      let sumOfSquares = Reduction.dot(row, row, count: dimension)
      let r = 1 / (sumOfSquares / Float(dimension) + epsilon).squareRoot()
      let scale = SIMD8<Float>(repeating: r)
      var i = 0
      while i < vectorEnd {
        let v = (Reduction.loadFloats(row, i) * scale) * Reduction.loadFloats(weight, i)
        Reduction.storeFloats(v, out, i)
        i += 8
      }
      while i < dimension {
        out[i] = (row[i] * r) * weight[i]
        i += 1
      }
    }
  }

  /// Hugging Face rotate-half RoPE, in place on `x` `[tokens][heads][headDimension]`: for
  /// `i < d/2`, `(a, b) = (x[i], x[i + d/2])` becomes `(a * cos[i] - b * sin[i],
  /// b * cos[i] + a * sin[i])`, each product rounded, then the sum (the bits of transformers'
  /// `q * cos + rotate_half(q) * sin` without FMA). `cos`, `sin` are `[tokens][d/2]`.
  public static func applyRotary(
    _ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
    cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
  ) {
    let half = headDimension / 2
    let vectorEnd = half & ~7
    for t in 0..<tokens {
      let c = cos + t * half
      let s = sin + t * half
      for h in 0..<heads {
        let first = x + (t * heads + h) * headDimension
        let second = first + half
        var i = 0
        while i < vectorEnd {
          let a = Reduction.loadFloats(first, i)
          let b = Reduction.loadFloats(second, i)
          let ci = Reduction.loadFloats(c, i)
          let si = Reduction.loadFloats(s, i)
          Reduction.storeFloats(a * ci - b * si, first, i)
          Reduction.storeFloats(b * ci + a * si, second, i)
          i += 8
        }
        while i < half {
          let a = first[i]
          let b = second[i]
          first[i] = a * c[i] - b * s[i]
          second[i] = b * c[i] + a * s[i]
          i += 1
        }
      }
    }
  }

  /// Rotary angles of one position: `cos[i] = Float(cos(Double(Float(position) *
  /// inverseFrequencies[i])))` (the product rounded in `Float`, as transformers computes it in
  /// float32), and the same for `sin`, for `i < count` (`count = headDimension / 2`).
  /// The `Double` cosine and sine come from the platform's libm.
  public static func rotaryAngles(
    position: Int, inverseFrequencies: UnsafePointer<Float>, count: Int,
    cos: UnsafeMutablePointer<Float>, sin: UnsafeMutablePointer<Float>
  ) {
    let p = Float(position)
    for i in 0..<count {
      let angle = Double(p * inverseFrequencies[i])
      cos[i] = Float(_cosine(angle))
      sin[i] = Float(_sine(angle))
    }
  }

  /// `out[i] = silu(gate[i]) * up[i]` with `silu(g) = g / (1 + exp(-g))` and this module's
  /// ``exp(_:)``. `out` may alias `gate` or `up`.
  public static func swiGLU(
    gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    let one = SIMD8<Float>(repeating: 1)
    var i = 0
    while i + 8 <= count {
      let g = Reduction.loadFloats(gate, i)
      let silu = g / (one + exp8(-g))
      Reduction.storeFloats(silu * Reduction.loadFloats(up, i), out, i)
      i += 8
    }
    while i < count {
      let g = gate[i]
      out[i] = (g / (1 + exp(-g))) * up[i]
      i += 1
    }
  }

  /// `out[i] = a[i] + b[i]` (the residual connection). `out` may alias `a` or `b`.
  public static func add(
    _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    var i = 0
    while i + 8 <= count {
      Reduction.storeFloats(Reduction.loadFloats(a, i) + Reduction.loadFloats(b, i), out, i)
      i += 8
    }
    while i < count {
      out[i] = a[i] + b[i]
      i += 1
    }
  }

  /// `x[i] = exp(x[i] - shift)` in place (this module's ``exp(_:)``, eight lanes then the tail),
  /// returning `Σ x[i]` accumulated in one `Double` in index order: the shared first half of
  /// ``softmax(_:count:)`` and the training cross-entropy.
  static func exponentiate(_ x: UnsafeMutablePointer<Float>, count: Int, shift m: Float) -> Double {
    let shift = SIMD8<Float>(repeating: m)
    var i = 0
    while i + 8 <= count {
      Reduction.storeFloats(exp8(Reduction.loadFloats(x, i) - shift), x, i)
      i += 8
    }
    while i < count {
      x[i] = exp(x[i] - m)
      i += 1
    }
    var total: Double = 0
    for j in 0..<count { total = total + Double(x[j]) }
    return total
  }

  /// In-place softmax: `m = max x[i]`; `p[i] = exp(x[i] - m)` (this module's ``exp(_:)``);
  /// `sum = Float(Double(p[0]) + Double(p[1]) + ...)`, one `Double` accumulator in index order
  /// (a `Float` sum over a 32,000-token vocabulary drifts by ~1e-5); `x[i] = p[i] / sum` (a
  /// `Float` division, not a multiplication by the reciprocal). A NaN input, or every input
  /// `-inf`, makes every output NaN.
  public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    var m = -Float.infinity
    for i in 0..<count {
      let v = x[i]
      if v > m || v.isNaN { m = v }
    }
    let sum = Float(exponentiate(x, count: count, shift: m))
    let divisor = SIMD8<Float>(repeating: sum)
    var i = 0
    while i + 8 <= count {
      Reduction.storeFloats(Reduction.loadFloats(x, i) / divisor, x, i)
      i += 8
    }
    while i < count {
      x[i] = x[i] / sum
      i += 1
    }
  }
}

/// The platform libm's `Double` cosine.
@inline(__always)
private func _cosine(_ x: Double) -> Double { cos(x) }

/// The platform libm's `Double` sine.
@inline(__always)
private func _sine(_ x: Double) -> Double { sin(x) }
