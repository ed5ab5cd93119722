/// Reads a stored weight row as `Float` values, in groups of 32 consecutive elements (two
/// 16-lane vectors), widening (F16, BF16) or dequantizing (ggml blocks) in registers.
///
/// Every decoder gives exactly the values of the `gguf` Python package's `dequantize` (for the
/// float types: the exact widening), so a kernel on a stored row computes what it would on the
/// dequantized `Float` row. The ggml types have rows that are whole blocks (multiples of 32), so
/// only the float types have the 16-element remainder and scalar tail.
protocol RowDecoder {
  /// Elements `32 * group ..< 32 * group + 32` of `row`: (first 16, last 16).
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>)
  /// Elements `index ..< index + 16` of `row` (float types; `index` a multiple of 16).
  static func load16(_ row: UnsafeRawPointer, at index: Int) -> SIMD16<Float>
  /// Element `index` of `row`.
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float
  /// Elements `index ..< index + 8` of `row` (`index` a multiple of 8; the half-lane tile).
  static func load8(_ row: UnsafeRawPointer, at index: Int) -> SIMD8<Float>
}

extension RowDecoder {
  /// For ggml block types, where rows never have a 16-element remainder: the half group.
  @inline(__always)
  static func load16(_ row: UnsafeRawPointer, at index: Int) -> SIMD16<Float> {
    let (v0, v1) = load(row, group: index / 32)
    return index % 32 == 0 ? v0 : v1
  }

  /// For ggml block types: element `index` taken from its group.
  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    load16(row, at: index & ~15)[index & 15]
  }
}

/// Lane-by-lane conversions. Written as loops over the lanes because the generic SIMD
/// conversion initializers are not reliably inlined into the hot loops (and long lane-list
/// initializers are slow to type-check); the optimizer turns each loop into one vector
/// instruction (`vpmovzxbd`, `vpmovsxbd`, `vcvtdq2ps`, `vcvtph2ps`).
enum Lanes {
  /// The 16 bytes at `address + offset`.
  @inline(__always)
  static func bytes(_ address: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt8> {
    address.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
  }

  /// Unsigned bytes to 32-bit lanes.
  @inline(__always)
  static func int32(_ b: SIMD16<UInt8>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>()
    for i in 0..<16 { r[i] = Int32(b[i]) }
    return r
  }

  /// Signed bytes to 32-bit lanes.
  @inline(__always)
  static func int32(signed b: SIMD16<UInt8>) -> SIMD16<Int32> {
    var r = SIMD16<Int32>()
    for i in 0..<16 { r[i] = Int32(Int8(bitPattern: b[i])) }
    return r
  }

  /// 32-bit integers to `Float` (exact for the small values of quantized blocks).
  @inline(__always)
  static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
    var r = SIMD16<Float>()
    for i in 0..<16 { r[i] = Float(v[i]) }
    return r
  }

  /// The two binary16 values at `address + offset` (a scale and a minimum), widened exactly and
  /// broadcast to every lane.
  @inline(__always)
  static func halfPair(_ address: UnsafeRawPointer, _ offset: Int) -> (SIMD16<Float>, SIMD16<Float>)
  {
    let pair = address.loadUnaligned(fromByteOffset: offset, as: SIMD2<Float16>.self)
    return (SIMD16<Float>(repeating: Float(pair[0])), SIMD16<Float>(repeating: Float(pair[1])))
  }

  /// The binary16 at `address + offset`, widened exactly.
  @inline(__always)
  static func half(_ address: UnsafeRawPointer, _ offset: Int) -> Float {
    Float(Float16(bitPattern: address.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
  }
}

/// `Float` rows: plain loads.
enum F32Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    (load16(row, at: group &* 32), load16(row, at: group &* 32 &+ 16))
  }

  @inline(__always)
  static func load16(_ row: UnsafeRawPointer, at index: Int) -> SIMD16<Float> {
    row.loadUnaligned(fromByteOffset: index &* 4, as: SIMD16<Float>.self)
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    row.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
  }
}

/// binary16 rows: the hardware conversion (`vcvtph2ps` with F16C).
enum F16Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    (load16(row, at: group &* 32), load16(row, at: group &* 32 &+ 16))
  }

  @inline(__always)
  static func load16(_ row: UnsafeRawPointer, at index: Int) -> SIMD16<Float> {
    let h = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD16<Float16>.self)
    var r = SIMD16<Float>()
    for i in 0..<16 { r[i] = Float(h[i]) }
    return r
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    Lanes.half(row, index &* 2)
  }
}

/// bfloat16 rows: `UInt16 -> UInt32 << 16 -> bitcast`.
enum BF16Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    (load16(row, at: group &* 32), load16(row, at: group &* 32 &+ 16))
  }

  @inline(__always)
  static func load16(_ row: UnsafeRawPointer, at index: Int) -> SIMD16<Float> {
    let b = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD16<UInt16>.self)
    var wide = SIMD16<UInt32>()
    for i in 0..<16 { wide[i] = UInt32(b[i]) }
    return unsafeBitCast(wide &<< 16, to: SIMD16<Float>.self)
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    let bits = row.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
    return Float(bitPattern: UInt32(bits) << 16)
  }
}
