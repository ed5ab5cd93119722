/// The two inner loops of attention, arranged for throughput without changing one operation of
/// the documented order (``Kernels/attention(queries:keys:values:layout:visible:heads:kvHeads:headDimension:scale:scratch:into:parallelism:)``).
///
/// A score is a fixed-order dot product (``Reduction``): sixteen lane accumulators, then a tree
/// over the lanes. Done one key at a time, the tree is a chain of dependent shuffles and adds
/// longer than the dot itself. ``scores8(query:keys:rowStride:count:)`` runs eight keys side by
/// side and computes their eight trees together: every level of the tree packs the halves of two
/// keys into one vector, so one vector add performs the same level's additions, with the same
/// operands in the same order, for several keys at once.
///
/// The weighted sum of values is ``WeightedValues``.
enum AttentionBlocks {
  /// Level 1 of the tree for two keys: lanes 0-7 are `a[i] + a[i + 8]`, lanes 8-15 are
  /// `b[i] + b[i + 8]`.
  @inline(__always)
  static func halves(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
    SIMD16(lowHalf: a.lowHalf, highHalf: b.lowHalf)
      + SIMD16(lowHalf: a.highHalf, highHalf: b.highHalf)
  }

  /// Level 2 for four keys, from two results of ``halves(_:_:)`` (eight lanes per key): each
  /// key's lanes `i` and `i + 4` added, four lanes per key.
  @inline(__always)
  static func quarters(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> {
    let first = SIMD16(
      lowHalf: SIMD8(lowHalf: x.lowHalf.lowHalf, highHalf: x.highHalf.lowHalf),
      highHalf: SIMD8(lowHalf: y.lowHalf.lowHalf, highHalf: y.highHalf.lowHalf))
    let second = SIMD16(
      lowHalf: SIMD8(lowHalf: x.lowHalf.highHalf, highHalf: x.highHalf.highHalf),
      highHalf: SIMD8(lowHalf: y.lowHalf.highHalf, highHalf: y.highHalf.highHalf))
    return first + second
  }

  /// Level 3 for eight keys, from two results of ``quarters(_:_:)`` (four lanes per key): each
  /// key's lanes `i` and `i + 2` added, two lanes per key. The lane pairs move as 64-bit units.
  @inline(__always)
  static func pairs(_ x: SIMD16<Float>, _ y: SIMD16<Float>) -> SIMD16<Float> {
    let x64 = unsafeBitCast(x, to: SIMD8<UInt64>.self)
    let y64 = unsafeBitCast(y, to: SIMD8<UInt64>.self)
    let first = SIMD8(lowHalf: x64.evenHalf, highHalf: y64.evenHalf)
    let second = SIMD8(lowHalf: x64.oddHalf, highHalf: y64.oddHalf)
    return unsafeBitCast(first, to: SIMD16<Float>.self)
      + unsafeBitCast(second, to: SIMD16<Float>.self)
  }

  /// The fixed-order dot products (``Reduction``, steps 1 and 2) of `query[0..<count]` with
  /// eight key rows `keys + r * rowStride` (`r` in 0..<8), `count` a multiple of 16: lane `r`
  /// of the result is key `r`'s dot product, bit for bit ``Reduction/dot(_:_:count:)``.
  @inline(__always)
  static func scores8(
    query: UnsafePointer<Float>, keys: UnsafePointer<Float>, rowStride: Int, count: Int
  ) -> SIMD8<Float> {
    var a0 = SIMD16<Float>()
    var a1 = SIMD16<Float>()
    var a2 = SIMD16<Float>()
    var a3 = SIMD16<Float>()
    var a4 = SIMD16<Float>()
    var a5 = SIMD16<Float>()
    var a6 = SIMD16<Float>()
    var a7 = SIMD16<Float>()
    var c = 0
    while c < count {
      let q = Reduction.load(query, c)
      a0 = a0.addingProduct(q, Reduction.load(keys, c))
      a1 = a1.addingProduct(q, Reduction.load(keys, rowStride &+ c))
      a2 = a2.addingProduct(q, Reduction.load(keys, 2 &* rowStride &+ c))
      a3 = a3.addingProduct(q, Reduction.load(keys, 3 &* rowStride &+ c))
      a4 = a4.addingProduct(q, Reduction.load(keys, 4 &* rowStride &+ c))
      a5 = a5.addingProduct(q, Reduction.load(keys, 5 &* rowStride &+ c))
      a6 = a6.addingProduct(q, Reduction.load(keys, 6 &* rowStride &+ c))
      a7 = a7.addingProduct(q, Reduction.load(keys, 7 &* rowStride &+ c))
      c &+= 16
    }
    // The lane tree of `Reduction.horizontalSum`, level by level for all eight keys.
    let h2 = pairs(
      quarters(halves(a0, a1), halves(a2, a3)), quarters(halves(a4, a5), halves(a6, a7)))
    return h2.evenHalf + h2.oddHalf
  }
}
