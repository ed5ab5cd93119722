extension Kernels {
  /// Masked attention, one (query, head) pair at a time.
  ///
  /// `queries` is `[queryCount][heads][headDimension]` (already rotated); `keys` and `values` are
  /// the layer's cache `[rowCount][kvHeads][headDimension]`; `out` is
  /// `[queryCount][heads][headDimension]`. For query `q` and head `h` (key/value head
  /// `g = h / (heads / kvHeads)`), with `r_0, r_1, ...` the visible rows of `q` in the given order:
  /// - `s_j = dot(q, k[r_j][g]) * scale`, the dot in the fixed order of ``Reduction``;
  /// - `m = max_j s_j`; `p_j = exp(s_j - m)` with this module's ``exp(_:)``;
  /// - `sum = p_0 + p_1 + ...` in order, one scalar accumulator;
  /// - `o = 0`, then for `j` in order `o[d] = fma(p_j, v[r_j][g][d], o[d])` (sixteen lanes at a
  ///   time, each lane its own `d`);
  /// - `out[q][h][d] = o[d] / sum` (a division).
  /// Masked rows are never visited. A query with no visible rows gets zeros. The result for one
  /// query never depends on the other queries of the call or on the number of threads.
  ///
  /// `out` may be the `queries` buffer itself (each pair reads its query before writing).
  /// `scratch` holds at least `parallelism.threads * visible.maxRowsPerQuery` floats; each thread
  /// uses its own slice.
  public static func attention(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    visible: VisibleRows, heads: Int, kvHeads: Int, headDimension: Int, scale: Float,
    scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
    parallelism: Parallelism
  ) {
    let stride = visible.maxRowsPerQuery
    let task = AttentionTask(
      queries: SendableConstPointer(queries), keys: SendableConstPointer(keys),
      values: SendableConstPointer(values), heads: heads, kvHeads: kvHeads,
      headDimension: headDimension, scale: scale, out: SendablePointer(out))
    let scores = SendablePointer(scratch)
    parallelism.forEachChunk(visible.queryCount * heads) { chunk, range in
      visible.offsets.withUnsafeBufferPointer { offsets in
        visible.rows.withUnsafeBufferPointer { rows in
          for pair in range {
            task.run(
              query: pair / heads, head: pair % heads, offsets: offsets, rows: rows,
              scores: scores.base + chunk * stride)
          }
        }
      }
    }
  }
}

/// The arguments of one ``Kernels/attention(queries:keys:values:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)`` call.
struct AttentionTask: Sendable {
  let queries: SendableConstPointer<Float>
  let keys: SendableConstPointer<Float>
  let values: SendableConstPointer<Float>
  let heads: Int
  let kvHeads: Int
  let headDimension: Int
  let scale: Float
  let out: SendablePointer<Float>

  /// Computes `out[query][head]` using `scores` for the row scores.
  func run(
    query: Int, head: Int, offsets: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>,
    scores: UnsafeMutablePointer<Float>
  ) {
    let d = headDimension
    let group = head / (heads / kvHeads)
    let q = queries.base + (query * heads + head) * d
    let o = out.base + (query * heads + head) * d
    let first = offsets[query]
    let count = offsets[query + 1] - first
    guard count > 0 else {
      o.initialize(repeating: 0, count: d)
      return
    }
    var m = -Float.infinity
    for j in 0..<count {
      let k = keys.base + (rows[first + j] * kvHeads + group) * d
      let s = Reduction.dot(q, k, count: d) * scale
      scores[j] = s
      if s > m || s.isNaN { m = s }
    }
    let shift = SIMD8<Float>(repeating: m)
    var j = 0
    while j + 8 <= count {
      Reduction.storeFloats(Kernels.exp8(Reduction.loadFloats(scores, j) - shift), scores, j)
      j += 8
    }
    while j < count {
      scores[j] = Kernels.exp(scores[j] - m)
      j += 1
    }
    var sum: Float = 0
    for i in 0..<count { sum = sum + scores[i] }
    // The query has been read in full: from here on `o` may overwrite it (`out == queries`).
    o.initialize(repeating: 0, count: d)
    let vectorEnd = d & ~15
    for i in 0..<count {
      let v = values.base + (rows[first + i] * kvHeads + group) * d
      let p = scores[i]
      let pv = SIMD16<Float>(repeating: p)
      var c = 0
      while c < vectorEnd {
        Reduction.store(Reduction.load(o, c).addingProduct(pv, Reduction.load(v, c)), o, c)
        c += 16
      }
      while c < d {
        o[c] = o[c].addingProduct(p, v[c])
        c += 1
      }
    }
    let divisor = SIMD16<Float>(repeating: sum)
    var c = 0
    while c < vectorEnd {
      Reduction.store(Reduction.load(o, c) / divisor, o, c)
      c += 16
    }
    while c < d {
      o[c] = o[c] / sum
      c += 1
    }
  }
}
