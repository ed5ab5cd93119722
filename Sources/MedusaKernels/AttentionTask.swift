/// One work item of ``Kernels/attention(queries:keys:values:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)``:
/// a block of queries and one key/value head, i.e. `pairs` (query, query head) pairs that see
/// the same key/value rows of the prefix. Each pair's arithmetic is exactly the documented one;
/// only the loops over pairs are moved inside the loops over rows.
struct AttentionTask: Sendable {
  let queries: SendableConstPointer<Float>
  let keys: SendableConstPointer<Float>
  let values: SendableConstPointer<Float>
  let heads: Int
  let kvHeads: Int
  let headDimension: Int
  let scale: Float
  let out: SendablePointer<Float>

  /// Computes `out` for the queries of block `block` and the query heads of key/value head
  /// `group`, using `scores` for the row scores.
  func run(
    block: Int, group: Int, prefix: Int, offsets: UnsafeBufferPointer<Int>,
    rows: UnsafeBufferPointer<Int>, scores: UnsafeMutablePointer<Float>
  ) {
    let d = headDimension
    let perGroup = heads / kvHeads
    let firstQuery = block * Kernels.attentionQueryBlock
    let queryCount = min(Kernels.attentionQueryBlock, offsets.count - 1 - firstQuery)
    var stride = prefix
    for qi in 0..<queryCount {
      let q = firstQuery + qi
      stride = max(stride, prefix + offsets[q + 1] - offsets[q])
    }
    /// Pair `p = qi * perGroup + hi` is query `firstQuery + qi`, head `group * perGroup + hi`.
    let pairs = queryCount * perGroup
    func vector(_ p: Int) -> Int {
      ((firstQuery + p / perGroup) * heads + group * perGroup + p % perGroup) * d
    }
    func ownRows(_ p: Int) -> Range<Int> {
      let q = firstQuery + p / perGroup
      return offsets[q]..<offsets[q + 1]
    }

    // Scores: the prefix rows, each key loaded once for every pair; then each query's own rows.
    for j in 0..<prefix {
      let k = keys.base + (j * kvHeads + group) * d
      for p in 0..<pairs {
        scores[p * stride + j] = Reduction.dot(queries.base + vector(p), k, count: d) * scale
      }
    }
    for p in 0..<pairs {
      for (index, e) in ownRows(p).enumerated() {
        let k = keys.base + (rows[e] * kvHeads + group) * d
        scores[p * stride + prefix + index] =
          Reduction.dot(queries.base + vector(p), k, count: d) * scale
      }
    }
    // Every query of the item has been read: from here on `out` may overwrite them.
    for p in 0..<pairs {
      let count = prefix + ownRows(p).count
      let o = out.base + vector(p)
      o.initialize(repeating: 0, count: d)
      guard count > 0 else { continue }
      Self.exponentiate(scores + p * stride, count: count)
    }
    // Weighted values: the prefix rows, each value loaded once for every pair; then own rows.
    for j in 0..<prefix {
      let v = values.base + (j * kvHeads + group) * d
      for p in 0..<pairs {
        Self.accumulate(scores[p * stride + j], v, into: out.base + vector(p), count: d)
      }
    }
    for p in 0..<pairs {
      for (index, e) in ownRows(p).enumerated() {
        let v = values.base + (rows[e] * kvHeads + group) * d
        Self.accumulate(
          scores[p * stride + prefix + index], v, into: out.base + vector(p), count: d)
      }
      let count = prefix + ownRows(p).count
      guard count > 0 else { continue }
      var sum: Float = 0
      for i in 0..<count { sum = sum + scores[p * stride + i] }
      Self.divide(out.base + vector(p), by: sum, count: d)
    }
  }

  /// `s_j = exp(s_j - m)` in place, `m` the running maximum in order (a NaN wins).
  static func exponentiate(_ s: UnsafeMutablePointer<Float>, count: Int) {
    var m = -Float.infinity
    for j in 0..<count where s[j] > m || s[j].isNaN { m = s[j] }
    let shift = SIMD8<Float>(repeating: m)
    var j = 0
    while j + 8 <= count {
      Reduction.storeFloats(Kernels.exp8(Reduction.loadFloats(s, j) - shift), s, j)
      j += 8
    }
    while j < count {
      s[j] = Kernels.exp(s[j] - m)
      j += 1
    }
  }

  /// `o[d] = fma(p, v[d], o[d])` for `d < count`.
  @inline(__always)
  static func accumulate(
    _ p: Float, _ v: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>, count: Int
  ) {
    let pv = SIMD16<Float>(repeating: p)
    let vectorEnd = count & ~15
    var c = 0
    while c < vectorEnd {
      Reduction.store(Reduction.load(o, c).addingProduct(pv, Reduction.load(v, c)), o, c)
      c += 16
    }
    while c < count {
      o[c] = o[c].addingProduct(p, v[c])
      c += 1
    }
  }

  /// `o[d] = o[d] / sum` for `d < count`.
  static func divide(_ o: UnsafeMutablePointer<Float>, by sum: Float, count: Int) {
    let divisor = SIMD16<Float>(repeating: sum)
    let vectorEnd = count & ~15
    var c = 0
    while c < vectorEnd {
      Reduction.store(Reduction.load(o, c) / divisor, o, c)
      c += 16
    }
    while c < count {
      o[c] = o[c] / sum
      c += 1
    }
  }
}
