/// One (query, head) pair of an attention work item, for ``WeightedValues``: its probabilities
/// `p_j` over its visible rows in order (the shared prefix, then its own rows), its own rows,
/// and where its output goes.
struct PairValues {
  /// `p_j` for the pair's visible rows in order.
  let probabilities: UnsafePointer<Float>
  /// The pair's own rows after the prefix, as cache rows.
  let ownRows: Slice<UnsafeBufferPointer<Int>>
  /// The pair's `dimension` outputs.
  let out: UnsafeMutablePointer<Float>
}

/// The weighted sum of value rows of attention and its division, for one or two (query, head)
/// pairs of one key/value head: `out[i] = o[i] / sum`, where `o = 0`, then
/// `o[i] = fma(p_j, v_j[i], o[i])` and `sum = sum + p_j` for the pair's visible rows `j` in
/// order (``Kernels/attention(queries:keys:values:layout:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)``).
///
/// Each output is a chain of fused multiply-adds over the rows, which cannot be reordered. Kept
/// in memory, each row's update waits for the previous row's store; here a block of 64 outputs
/// of two pairs (eight sixteen-lane accumulators, eight independent chains) stays in registers
/// over all the rows, and each prefix row is loaded once for both pairs.
struct WeightedValues {
  /// The key/value head's row 0.
  let values: UnsafePointer<Float>
  /// Floats from one row to the next.
  let rowStride: Int
  /// Rows of the shared prefix (rows `0..<prefix` of the cache).
  let prefix: Int
  /// Outputs per pair.
  let dimension: Int

  /// Writes the outputs of `a` and, when given, of `b`. Both have at least one visible row.
  func run(_ a: PairValues, _ b: PairValues?) {
    let second = b ?? a
    var sumA: Float = 0
    var sumB: Float = 0
    var first = true
    var c = 0
    while c + 64 <= dimension {
      var blockA = Outputs64()
      var blockB = Outputs64()
      for j in 0..<prefix {
        let v = values + (j &* rowStride &+ c)
        let v0 = Reduction.load(v, 0)
        let v1 = Reduction.load(v, 16)
        let v2 = Reduction.load(v, 32)
        let v3 = Reduction.load(v, 48)
        let pa = a.probabilities[j]
        let pb = second.probabilities[j]
        blockA.add(pa, v0, v1, v2, v3)
        blockB.add(pb, v0, v1, v2, v3)
        if first {
          sumA = sumA + pa
          sumB = sumB + pb
        }
      }
      // Each pair's own rows, after the prefix, on its own accumulators.
      addOwnRows(a, column: c, into: &blockA, sum: &sumA, counting: first)
      addOwnRows(second, column: c, into: &blockB, sum: &sumB, counting: first)
      first = false
      blockA.store(dividedBy: sumA, into: a.out + c)
      if let b { blockB.store(dividedBy: sumB, into: b.out + c) }
      c += 64
    }
    rest(a, from: c, sum: first ? nil : sumA)
    if let b { rest(b, from: c, sum: first ? nil : sumB) }
  }

  /// The pair's own rows for the 64 outputs from `c`, and, when `counting`, their `p_j` added
  /// to `sum` in order.
  @inline(__always)
  private func addOwnRows(
    _ pair: PairValues, column c: Int, into block: inout Outputs64, sum: inout Float,
    counting: Bool
  ) {
    for (index, row) in pair.ownRows.enumerated() {
      let v = values + (row &* rowStride &+ c)
      let p = pair.probabilities[prefix + index]
      block.add(
        p, Reduction.load(v, 0), Reduction.load(v, 16), Reduction.load(v, 32),
        Reduction.load(v, 48))
      if counting { sum = sum + p }
    }
  }

  /// The value row of the pair's `j`-th visible row.
  @inline(__always)
  private func row(_ pair: PairValues, _ j: Int) -> UnsafePointer<Float> {
    let cacheRow = j < prefix ? j : pair.ownRows[pair.ownRows.startIndex + j - prefix]
    return values + cacheRow &* rowStride
  }

  /// Outputs `start..<dimension` of one pair: sixteen lanes, then single outputs, each its own
  /// chain over the rows; the sum first when no block of 64 has computed it.
  private func rest(_ pair: PairValues, from start: Int, sum known: Float?) {
    let count = prefix + pair.ownRows.count
    guard start < dimension else { return }
    var sum: Float = 0
    if let known {
      sum = known
    } else {
      for j in 0..<count { sum = sum + pair.probabilities[j] }
    }
    var c = start
    while c + 16 <= dimension {
      var o = SIMD16<Float>()
      for j in 0..<count {
        o = o.addingProduct(
          SIMD16(repeating: pair.probabilities[j]), Reduction.load(row(pair, j), c))
      }
      Reduction.store(o / SIMD16(repeating: sum), pair.out, c)
      c += 16
    }
    while c < dimension {
      var o: Float = 0
      for j in 0..<count { o = o.addingProduct(pair.probabilities[j], row(pair, j)[c]) }
      pair.out[c] = o / sum
      c += 1
    }
  }
}

/// 64 outputs of one pair as four sixteen-lane accumulators (each lane its own output).
struct Outputs64 {
  var o0 = SIMD16<Float>()
  var o1 = SIMD16<Float>()
  var o2 = SIMD16<Float>()
  var o3 = SIMD16<Float>()

  /// `o = fma(p, v, o)` for the 64 values `v0 ... v3`.
  @inline(__always)
  mutating func add(
    _ p: Float, _ v0: SIMD16<Float>, _ v1: SIMD16<Float>, _ v2: SIMD16<Float>,
    _ v3: SIMD16<Float>
  ) {
    let w = SIMD16<Float>(repeating: p)
    o0 = o0.addingProduct(w, v0)
    o1 = o1.addingProduct(w, v1)
    o2 = o2.addingProduct(w, v2)
    o3 = o3.addingProduct(w, v3)
  }

  /// `out[0..<64] = o / sum`.
  @inline(__always)
  func store(dividedBy sum: Float, into out: UnsafeMutablePointer<Float>) {
    let divisor = SIMD16<Float>(repeating: sum)
    Reduction.store(o0 / divisor, out, 0)
    Reduction.store(o1 / divisor, out, 16)
    Reduction.store(o2 / divisor, out, 32)
    Reduction.store(o3 / divisor, out, 48)
  }
}
