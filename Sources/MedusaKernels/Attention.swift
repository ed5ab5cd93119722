extension Kernels {
  /// Queries per work item of ``attention(queries:keys:values:layout:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)``:
  /// the queries of a block (and the query heads of one key/value head) share every load of a
  /// key or value row.
  public static let attentionQueryBlock = 4

  /// Floats of scratch one thread of attention needs: the scores of a block of queries for the
  /// `heads / kvHeads` query heads of one key/value head, `maxRowsPerQuery` rows each.
  public static func attentionScratchCount(heads: Int, kvHeads: Int, maxRowsPerQuery: Int) -> Int {
    attentionQueryBlock * max(1, heads / max(1, kvHeads)) * max(1, maxRowsPerQuery)
  }

  /// Masked attention.
  ///
  /// `queries` is `[queryCount][heads][headDimension]` (already rotated); `keys` and `values` are
  /// the layer's cache, row `r` of key/value head `g` at
  /// `r * layout.rowStride + g * layout.headStride` (``CacheLayout``); `out` is
  /// `[queryCount][heads][headDimension]`. For query `q` and head `h` (key/value head
  /// `g = h / (heads / kvHeads)`), with `r_0, r_1, ...` the visible rows of `q` in the given order
  /// (the shared prefix, then the query's own rows):
  /// - `s_j = dot(q, k[r_j][g]) * scale`, the dot in the fixed order of ``Reduction``;
  /// - `m = max_j s_j` (in order; a NaN wins); `p_j = exp(s_j - m)` with this module's
  ///   ``exp(_:)``;
  /// - `sum = p_0 + p_1 + ...` in order, one scalar accumulator;
  /// - `o = 0`, then for `j` in order `o[d] = fma(p_j, v[r_j][g][d], o[d])` (sixteen lanes at a
  ///   time, each lane its own `d`);
  /// - `out[q][h][d] = o[d] / sum` (a division).
  /// Masked rows are never visited. A query with no visible rows gets zeros. The result for one
  /// query never depends on the other queries of the call or on the number of threads.
  ///
  /// Speed: a work item is a block of ``attentionQueryBlock`` queries and one key/value head;
  /// each key and value row it reads is loaded once for all its queries and query heads (the
  /// tree's nodes and grouped-query heads share one pass over the cached prefix). Threads split
  /// the work items. When there are fewer items than two per thread (decoding one token: one
  /// item per key/value head, e.g. 3 for SmolLM2 on 2 threads), each item is cut into slices of
  /// two (query, head) pairs, one register tile of the weighted values each, so that the
  /// threads get nearly equal shares; a slice reads its head's rows again, from cache.
  ///
  /// `out` may be the `queries` buffer itself (a work item reads all its queries before it
  /// writes). `scratch` holds at least `parallelism.threads` times
  /// ``attentionScratchCount(heads:kvHeads:maxRowsPerQuery:)`` floats.
  public static func attention(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    layout: CacheLayout, visible: VisibleRows, heads: Int, kvHeads: Int, headDimension: Int,
    scale: Float, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
    parallelism: Parallelism
  ) {
    let stride = attentionScratchCount(
      heads: heads, kvHeads: kvHeads, maxRowsPerQuery: visible.maxRowsPerQuery)
    let task = AttentionTask(
      queries: SendableConstPointer(queries), keys: SendableConstPointer(keys),
      values: SendableConstPointer(values), layout: layout, heads: heads, kvHeads: kvHeads,
      headDimension: headDimension, scale: scale, out: SendablePointer(out))
    let scores = SendablePointer(scratch)
    let blocks = (visible.queryCount + attentionQueryBlock - 1) / attentionQueryBlock
    let blockPairs = min(attentionQueryBlock, visible.queryCount) * (heads / kvHeads)
    let slicePairs = blocks * kvHeads < 2 * parallelism.threads ? 2 : blockPairs
    let slices = (blockPairs + slicePairs - 1) / slicePairs
    parallelism.forEachChunk(blocks * kvHeads * slices) { chunk, range in
      visible.offsets.withUnsafeBufferPointer { offsets in
        visible.rows.withUnsafeBufferPointer { rows in
          for item in range {
            let (blockGroup, slice) = item.quotientAndRemainder(dividingBy: slices)
            task.run(
              block: blockGroup / kvHeads, group: blockGroup % kvHeads,
              pairs: (slice * slicePairs)..<((slice + 1) * slicePairs), prefix: visible.prefix,
              offsets: offsets, rows: rows, scores: scores.base + chunk * stride)
          }
        }
      }
    }
  }
}

/// Where attention finds a key or value row: row `r` of key/value head `g` starts
/// `r * rowStride + g * headStride` floats after the layer's first.
public struct CacheLayout: Sendable, Equatable {
  /// Floats from one row of a head to the next.
  public let rowStride: Int
  /// Floats from one head's row `r` to the next head's row `r`.
  public let headStride: Int

  /// A layout with the given strides.
  public init(rowStride: Int, headStride: Int) {
    self.rowStride = rowStride
    self.headStride = headStride
  }

  /// `[row][kvHead][headDimension]`: the heads of one row side by side.
  public static func interleaved(kvHeads: Int, headDimension: Int) -> CacheLayout {
    CacheLayout(rowStride: kvHeads * headDimension, headStride: headDimension)
  }

  /// `[kvHead][row][headDimension]` with room for `rows` rows per head: each head's rows
  /// contiguous (``KVCache``'s layout).
  public static func headMajor(rows: Int, headDimension: Int) -> CacheLayout {
    CacheLayout(rowStride: headDimension, headStride: rows * headDimension)
  }
}
