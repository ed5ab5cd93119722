// The ggml block types of 32 elements. A group of the row decoder is one block. Within a
// block of 4-bit values, byte `j` holds element `j` in its low nibble and element `j + 16` in
// its high nibble. Each formula is the one of `gguf.quants` (numpy, `float32`, every product
// and sum rounded separately), so the values are bit for bit the same. Where a minimum is added,
// the product `d * q` is exact in `Float` (an 11-bit f16 significand times a 4- or 5-bit
// integer), so `fma(d, q, m)` rounds once exactly where `d * q + m` rounds once: same bits,
// one instruction.

/// Q8_0 (34 bytes): `d: f16, q: [32] int8`; `w = q * d`.
enum Q8_0Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + group &* 34
    let d = SIMD16<Float>(repeating: Lanes.half(block, 0))
    let q0 = Lanes.float(Lanes.int32(signed: Lanes.bytes(block, 2)))
    let q1 = Lanes.float(Lanes.int32(signed: Lanes.bytes(block, 18)))
    return (q0 * d, q1 * d)
  }
}

/// Q4_0 (18 bytes): `d: f16, qs: [16] nibbles`; `w = d * (q - 8)`.
enum Q4_0Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + group &* 18
    let d = SIMD16<Float>(repeating: Lanes.half(block, 0))
    let q = Lanes.int32(Lanes.bytes(block, 2))
    let eight = SIMD16<Int32>(repeating: 8)
    let low = Lanes.float((q & 0x0F) &- eight)
    let high = Lanes.float((q &>> 4) &- eight)
    return (d * low, d * high)
  }
}

/// Q4_1 (20 bytes): `d: f16, m: f16, qs: [16] nibbles`; `w = d * q + m`.
enum Q4_1Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + group &* 20
    let (d, m) = Lanes.halfPair(block, 0)
    let q = Lanes.int32(Lanes.bytes(block, 4))
    let low = Lanes.float(q & 0x0F)
    let high = Lanes.float(q &>> 4)
    return (m.addingProduct(d, low), m.addingProduct(d, high))
  }
}

/// The fifth bits of a Q5 block: bit `j` of the little-endian `qh` word is the high bit of
/// element `j`; returned as `(bit << 4)` for elements 0-15 and 16-31.
enum FifthBits {
  /// Shift counts 0...15.
  static let shifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

  @inline(__always)
  static func split(_ qh: UInt32) -> (SIMD16<Int32>, SIMD16<Int32>) {
    let low = (SIMD16<UInt32>(repeating: qh) &>> shifts) & 1
    let high = (SIMD16<UInt32>(repeating: qh &>> 16) &>> shifts) & 1
    return (
      unsafeBitCast(low &<< 4, to: SIMD16<Int32>.self),
      unsafeBitCast(high &<< 4, to: SIMD16<Int32>.self)
    )
  }
}

/// Q5_0 (22 bytes): `d: f16, qh: u32, qs: [16] nibbles`; `w = d * (q - 16)`.
enum Q5_0Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + group &* 22
    let d = SIMD16<Float>(repeating: Lanes.half(block, 0))
    let (h0, h1) = FifthBits.split(block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
    let q = Lanes.int32(Lanes.bytes(block, 6))
    let sixteen = SIMD16<Int32>(repeating: 16)
    let low = Lanes.float(((q & 0x0F) | h0) &- sixteen)
    let high = Lanes.float(((q &>> 4) | h1) &- sixteen)
    return (d * low, d * high)
  }
}

/// Q5_1 (24 bytes): `d: f16, m: f16, qh: u32, qs: [16] nibbles`; `w = d * q + m`.
enum Q5_1Row: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + group &* 24
    let (d, m) = Lanes.halfPair(block, 0)
    let (h0, h1) = FifthBits.split(block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
    let q = Lanes.int32(Lanes.bytes(block, 8))
    let low = Lanes.float((q & 0x0F) | h0)
    let high = Lanes.float((q &>> 4) | h1)
    return (m.addingProduct(d, low), m.addingProduct(d, high))
  }
}
