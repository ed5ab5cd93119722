#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Naive twins of ``Kernels``: plain scalar loops with the same semantics, accumulating in
/// `Double` and using the platform's `Double` `exp`. They document what the fast kernels compute
/// and let the tests bound the fast kernels' rounding; they are not bit-identical to them.
public enum ReferenceKernels {
  /// Element `[row][column]` of `weight`, widened or dequantized one scalar at a time
  /// (``ReferenceDequantization``).
  public static func element(_ weight: WeightMatrix, row: Int, column: Int) -> Float {
    let block = weight.rowAddress(row) + column / weight.type.blockElements * weight.type.blockBytes
    return ReferenceDequantization.element(
      weight.type, block: block, index: column % weight.type.blockElements)
  }

  /// `y[t][o] = sum_i x[t][i] * W[o][i] (+ bias[o])`, summed in `Double`.
  public static func linear(
    _ x: UnsafePointer<Float>, tokens: Int, weight: WeightMatrix, bias: UnsafePointer<Float>?,
    into y: UnsafeMutablePointer<Float>
  ) {
    for t in 0..<tokens {
      for o in 0..<weight.rows {
        var sum = 0.0
        for i in 0..<weight.columns {
          sum += Double(x[t * weight.columns + i]) * Double(element(weight, row: o, column: i))
        }
        if let bias { sum += Double(bias[o]) }
        y[t * weight.rows + o] = Float(sum)
      }
    }
  }

  /// `y = x / sqrt(mean(x^2) + epsilon) * weight`, per token, in `Double`.
  public static func rmsNorm(
    _ x: UnsafePointer<Float>, tokens: Int, dimension: Int, weight: UnsafePointer<Float>,
    epsilon: Float, into y: UnsafeMutablePointer<Float>
  ) {
    for t in 0..<tokens {
      var sum = 0.0
      for i in 0..<dimension { sum += Double(x[t * dimension + i]) * Double(x[t * dimension + i]) }
      let r = 1 / (sum / Double(dimension) + Double(epsilon)).squareRoot()
      for i in 0..<dimension {
        y[t * dimension + i] = Float(Double(x[t * dimension + i]) * r * Double(weight[i]))
      }
    }
  }

  /// Rotate-half RoPE in place, in `Double`: `(a, b) -> (a cos - b sin, b cos + a sin)`.
  public static func applyRotary(
    _ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, headDimension: Int,
    cos: UnsafePointer<Float>, sin: UnsafePointer<Float>
  ) {
    let half = headDimension / 2
    for t in 0..<tokens {
      for h in 0..<heads {
        let base = (t * heads + h) * headDimension
        for i in 0..<half {
          let a = Double(x[base + i])
          let b = Double(x[base + i + half])
          let c = Double(cos[t * half + i])
          let s = Double(sin[t * half + i])
          x[base + i] = Float(a * c - b * s)
          x[base + i + half] = Float(b * c + a * s)
        }
      }
    }
  }

  /// `out[i] = gate[i] / (1 + e^(-gate[i])) * up[i]` in `Double`.
  public static func swiGLU(
    gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int,
    into out: UnsafeMutablePointer<Float>
  ) {
    for i in 0..<count {
      let g = Double(gate[i])
      out[i] = Float(g / (1 + exp(-g)) * Double(up[i]))
    }
  }

  /// In-place softmax in `Double`: `e^(x[i] - max) / sum`.
  public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    var m = -Double.infinity
    for i in 0..<count { m = max(m, Double(x[i])) }
    var sum = 0.0
    for i in 0..<count { sum += exp(Double(x[i]) - m) }
    for i in 0..<count { x[i] = Float(exp(Double(x[i]) - m) / sum) }
  }

  /// Index of the largest value, lowest index on ties, NaN never wins (0 if all are NaN).
  public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var bestIndex = 0
    var best = -Float.infinity
    for i in 0..<count where x[i] > best {
      best = x[i]
      bestIndex = i
    }
    return bestIndex
  }

  /// The `k` largest non-NaN values' indices, best first, lowest index on ties (a full sort).
  public static func topK(_ x: UnsafePointer<Float>, count: Int, k: Int) -> [Int] {
    let candidates = (0..<count).filter { !x[$0].isNaN }
    let sorted = candidates.sorted { x[$0] > x[$1] || (x[$0] == x[$1] && $0 < $1) }
    return Array(sorted.prefix(max(0, k)))
  }

  /// Masked attention in `Double`: softmax over the visible rows of `scale * q.k`, times `v`.
  /// Zeros for a query with no visible rows.
  public static func attention(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    visible: VisibleRows, heads: Int, kvHeads: Int, headDimension: Int, scale: Float,
    into out: UnsafeMutablePointer<Float>
  ) {
    let d = headDimension
    for q in 0..<visible.queryCount {
      let rows =
        Array(0..<visible.prefix) + visible.rows[visible.offsets[q]..<visible.offsets[q + 1]]
      for h in 0..<heads {
        let g = h / (heads / kvHeads)
        let query = (q * heads + h) * d
        let scores = rows.map { r -> Double in
          var s = 0.0
          for i in 0..<d {
            s += Double(queries[query + i]) * Double(keys[(r * kvHeads + g) * d + i])
          }
          return s * Double(scale)
        }
        let m = scores.max() ?? 0
        let weights = scores.map { exp($0 - m) }
        let sum = weights.reduce(0, +)
        for i in 0..<d {
          var acc = 0.0
          for (w, r) in zip(weights, rows) { acc += w * Double(values[(r * kvHeads + g) * d + i]) }
          out[query + i] = rows.isEmpty ? 0 : Float(acc / sum)
        }
      }
    }
  }
}
