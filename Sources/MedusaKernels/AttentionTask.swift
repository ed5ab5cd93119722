/// One work item of ``Kernels/attention(queries:keys:values:layout:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)``:
/// a block of queries and one key/value head, i.e. `pairs` (query, query head) pairs that see
/// the same key/value rows of the prefix, or a slice of those pairs. Each pair's arithmetic is
/// exactly the documented one; only the loops are rearranged: pairs inside blocks of eight
/// prefix keys for the scores (``AttentionBlocks``), two pairs at a time over all rows for the
/// values (``WeightedValues``).
struct AttentionTask: Sendable {
  let queries: SendableConstPointer<Float>
  let keys: SendableConstPointer<Float>
  let values: SendableConstPointer<Float>
  let layout: CacheLayout
  let heads: Int
  let kvHeads: Int
  let headDimension: Int
  let scale: Float
  let out: SendablePointer<Float>

  /// Computes `out` for the pairs `pairs` (clamped to the item's; numbered below) of the
  /// queries of block `block` and the query heads of key/value head `group`, using `scores` for
  /// the row scores.
  func run(
    block: Int, group: Int, pairs slice: Range<Int>, prefix: Int,
    offsets: UnsafeBufferPointer<Int>, rows: UnsafeBufferPointer<Int>,
    scores: UnsafeMutablePointer<Float>
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
    let pairs = slice.clamped(to: 0..<(queryCount * perGroup))
    guard !pairs.isEmpty else { return }
    func vector(_ p: Int) -> Int {
      ((firstQuery + p / perGroup) * heads + group * perGroup + p % perGroup) * d
    }
    func ownRows(_ p: Int) -> Range<Int> {
      let q = firstQuery + p / perGroup
      return offsets[q]..<offsets[q + 1]
    }

    // Scores: the prefix rows, eight keys at a time, each block loaded once for every pair;
    // then each query's own rows.
    let rowStride = layout.rowStride
    let headKeys = keys.base + group * layout.headStride
    var j = 0
    if d % 16 == 0 {
      let factor = SIMD8<Float>(repeating: scale)
      while j + 8 <= prefix {
        let k = headKeys + j * rowStride
        for p in pairs {
          let s = AttentionBlocks.scores8(
            query: queries.base + vector(p), keys: k, rowStride: rowStride, count: d)
          Reduction.storeFloats(s * factor, scores + p * stride, j)
        }
        j += 8
      }
    }
    while j < prefix {
      let k = headKeys + j * rowStride
      for p in pairs {
        scores[p * stride + j] = Reduction.dot(queries.base + vector(p), k, count: d) * scale
      }
      j += 1
    }
    for p in pairs {
      for (index, e) in ownRows(p).enumerated() {
        let k = headKeys + rows[e] * rowStride
        scores[p * stride + prefix + index] =
          Reduction.dot(queries.base + vector(p), k, count: d) * scale
      }
    }
    // Every query of the item has been read: from here on `out` may overwrite them. Each pair's
    // probabilities, then the weighted values of two pairs at a time, in registers.
    let weighted = WeightedValues(
      values: values.base + group * layout.headStride, rowStride: rowStride, prefix: prefix,
      dimension: d)
    var pending: PairValues?
    for p in pairs {
      let own = ownRows(p)
      let count = prefix + own.count
      let o = out.base + vector(p)
      guard count > 0 else {
        o.initialize(repeating: 0, count: d)
        continue
      }
      Self.exponentiate(scores + p * stride, count: count)
      let pair = PairValues(probabilities: scores + p * stride, ownRows: rows[own], out: o)
      if let first = pending {
        weighted.run(first, pair)
        pending = nil
      } else {
        pending = pair
      }
    }
    if let last = pending { weighted.run(last, nil) }
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
}
