/// Sequences packed one after another into one training batch: sequence `b` is tokens
/// `bounds[b] ..< bounds[b + 1]`, at positions `0, 1, ...`, and attends causally within itself
/// only (no padding, no attention across sequences).
public struct PackedSequences: Sendable, Equatable {
  /// `[sequences + 1]`: where each sequence starts, then the total token count.
  public let bounds: [Int]

  /// Sequences of the given lengths (each at least 1), packed in order.
  public init(lengths: [Int]) {
    var bounds = [0]
    for length in lengths { bounds.append(bounds[bounds.count - 1] + length) }
    self.bounds = bounds
  }

  /// Number of sequences.
  public var count: Int { bounds.count - 1 }
  /// Number of tokens in all sequences.
  public var tokens: Int { bounds[bounds.count - 1] }
  /// Tokens of sequence `b`.
  public func range(_ b: Int) -> Range<Int> { bounds[b]..<bounds[b + 1] }

  /// Floats of attention probabilities kept for the backward pass: `heads · S_b²` per sequence.
  public func probabilityCount(heads: Int) -> Int {
    (0..<count).reduce(0) { $0 + heads * range($1).count * range($1).count }
  }

  /// Offset of sequence `b`'s probabilities, laid out `[heads][S_b][S_b]`.
  func probabilityOffset(_ b: Int, heads: Int) -> Int {
    (0..<b).reduce(0) { $0 + heads * range($1).count * range($1).count }
  }
}

extension Kernels {
  /// Causal self-attention of packed sequences for training, keeping the probabilities.
  ///
  /// `queries` is `[tokens][heads][d]`, `keys` and `values` `[tokens][kvHeads][d]` (rotated;
  /// query head `h` reads key/value head `h / (heads / kvHeads)`), `out` `[tokens][heads][d]`.
  /// For query `i` of a sequence and head `h`: `s_j = dot(q_i, k_j) · scale` for `j ≤ i` (the
  /// fixed order of ``Reduction``), `m = max s`, `p_j = exp(s_j - m)` (``exp(_:)``), `S = Σ p_j`
  /// in order, `P_ij = p_j / S`, `o_i = Σ_j P_ij · v_j` in order of `j`.
  /// `probabilities` receives `P` (`[heads][S_b][S_b]` per sequence, zeros above the diagonal).
  /// Threads split (sequence, key/value head) pairs.
  public static func causalAttentionForward(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    sequences: PackedSequences, heads: Int, kvHeads: Int, headDimension d: Int, scale: Float,
    probabilities: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
    parallelism: Parallelism
  ) {
    let q = SendableConstPointer(queries)
    let k = SendableConstPointer(keys)
    let v = SendableConstPointer(values)
    let p = SendablePointer(probabilities)
    let o = SendablePointer(out)
    let group = heads / kvHeads
    parallelism.forEachChunk(sequences.count * kvHeads) { _, items in
      for item in items {
        let b = item / kvHeads
        let g = item % kvHeads
        let span = sequences.range(b)
        let length = span.count
        let base = p.base + sequences.probabilityOffset(b, heads: heads)
        for h in (g * group)..<((g + 1) * group) {
          for i in 0..<length {
            let row = base + (h * length + i) * length
            let query = q.base + ((span.lowerBound + i) * heads + h) * d
            var m = -Float.infinity
            for j in 0...i {
              let key = k.base + ((span.lowerBound + j) * kvHeads + g) * d
              row[j] = Reduction.dot(query, key, count: d) * scale
              m = max(m, row[j])
            }
            var sum: Float = 0
            for j in 0...i {
              row[j] = exp(row[j] - m)
              sum = sum + row[j]
            }
            for j in 0...i { row[j] = row[j] / sum }
            for j in (i + 1)..<length { row[j] = 0 }
            let output = o.base + ((span.lowerBound + i) * heads + h) * d
            output.update(repeating: 0, count: d)
            for j in 0...i {
              let value = v.base + ((span.lowerBound + j) * kvHeads + g) * d
              for e in 0..<d { output[e] = output[e] + row[j] * value[e] }
            }
          }
        }
      }
    }
  }

  /// Backward of ``causalAttentionForward(queries:keys:values:sequences:heads:kvHeads:headDimension:scale:probabilities:into:parallelism:)``.
  ///
  /// From `dOut` (`[tokens][heads][d]`) and the kept `P`, for query `i`, head `h`, `j ≤ i`:
  /// ```
  /// dP_ij = dot(dOut_i, v_j)            D_i = Σ_j P_ij · dP_ij
  /// dS_ij = P_ij · (dP_ij - D_i)        (softmax backward)
  /// dq_i  = scale · Σ_j dS_ij · k_j
  /// dk_j += scale · dS_ij · q_i         dv_j += P_ij · dOut_i
  /// ```
  /// The key and value gradients of one key/value head sum over its query heads in order, then
  /// over queries `i` in order. `dQueries`, `dKeys` and `dValues` are replaced. Threads split
  /// (sequence, key/value head) pairs, which own disjoint rows of all three gradients.
  public static func causalAttentionBackward(
    gradient dOut: UnsafePointer<Float>, queries: UnsafePointer<Float>,
    keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    probabilities: UnsafePointer<Float>, sequences: PackedSequences, heads: Int, kvHeads: Int,
    headDimension d: Int, scale: Float, queryGradient dQueries: UnsafeMutablePointer<Float>,
    keyGradient dKeys: UnsafeMutablePointer<Float>,
    valueGradient dValues: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    let task = AttentionBackwardTask(
      dOut: SendableConstPointer(dOut), q: SendableConstPointer(queries),
      k: SendableConstPointer(keys), v: SendableConstPointer(values),
      p: SendableConstPointer(probabilities), dq: SendablePointer(dQueries),
      dk: SendablePointer(dKeys), dv: SendablePointer(dValues), heads: heads, kvHeads: kvHeads,
      d: d, scale: scale)
    parallelism.forEachChunk(sequences.count * kvHeads) { _, items in
      for item in items {
        task.run(sequences: sequences, sequence: item / kvHeads, group: item % kvHeads)
      }
    }
  }
}

/// One (sequence, key/value head) of ``Kernels/causalAttentionBackward(gradient:queries:keys:values:probabilities:sequences:heads:kvHeads:headDimension:scale:queryGradient:keyGradient:valueGradient:parallelism:)``.
private struct AttentionBackwardTask: Sendable {
  let dOut, q, k, v, p: SendableConstPointer<Float>
  let dq, dk, dv: SendablePointer<Float>
  let heads, kvHeads, d: Int
  let scale: Float

  func run(sequences: PackedSequences, sequence b: Int, group g: Int) {
    let span = sequences.range(b)
    let length = span.count
    let base = p.base + sequences.probabilityOffset(b, heads: heads)
    func row(_ t: Int, _ pointer: SendablePointer<Float>, _ width: Int, _ head: Int)
      -> UnsafeMutablePointer<Float>
    {
      pointer.base + ((span.lowerBound + t) * width + head) * d
    }
    func row(_ t: Int, _ pointer: SendableConstPointer<Float>, _ width: Int, _ head: Int)
      -> UnsafePointer<Float>
    {
      pointer.base + ((span.lowerBound + t) * width + head) * d
    }
    for j in 0..<length {
      row(j, dk, kvHeads, g).update(repeating: 0, count: d)
      row(j, dv, kvHeads, g).update(repeating: 0, count: d)
    }
    let group = heads / kvHeads
    withUnsafeTemporaryAllocation(of: Float.self, capacity: max(length, 1)) { scores in
      guard let dS = scores.baseAddress else { return }
      for h in (g * group)..<((g + 1) * group) {
        for i in 0..<length {
          let probability = base + (h * length + i) * length
          let gradient = row(i, dOut, heads, h)
          var total: Float = 0
          for j in 0...i {
            dS[j] = Reduction.dot(gradient, row(j, v, kvHeads, g), count: d)
            total = total + probability[j] * dS[j]
          }
          let query = row(i, q, heads, h)
          let dQuery = row(i, dq, heads, h)
          dQuery.update(repeating: 0, count: d)
          for j in 0...i {
            let s = probability[j] * (dS[j] - total) * scale
            let key = row(j, k, kvHeads, g)
            let dKey = row(j, dk, kvHeads, g)
            let dValue = row(j, dv, kvHeads, g)
            for e in 0..<d {
              dQuery[e] = dQuery[e] + s * key[e]
              dKey[e] = dKey[e] + s * query[e]
              dValue[e] = dValue[e] + probability[j] * gradient[e]
            }
          }
        }
      }
    }
  }
}
