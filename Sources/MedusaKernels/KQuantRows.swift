// The ggml k-quants: super-blocks of 256 elements. A group of the row decoder is 32
// consecutive elements, group `g` of a row lies in super-block `g / 8` as its group `r = g % 8`.
// Element `e` of a super-block, for `e = 128 * half + 32 * s + i` (`i < 32`), is stored in byte
// `i` of the `half`-th 32-byte run of the packed bits, shifted by `bits * s` (Q2_K, Q3_K, Q6_K);
// Q4_K / Q5_K store pairs of groups in the low / high nibbles of one 32-byte run. Scales and
// products are `Float`, each rounded as in `gguf.quants`. Where a minimum is subtracted, the
// product `(d * sc) * q` is exact in `Float` (11 + 6 + 5 significant bits at most), so
// `fma(d * sc, q, -(dmin * m))` gives the bits of the separately rounded
// `(d * sc) * q - dmin * m` (signed zeros included: the negation is the scalar sign flip, not
// the SIMD `0 - m`, which would turn `-0` results into `+0`).

/// Q4_K (144 bytes): `d: f16, dmin: f16, scales: [12] (6-bit scale and min of 8 groups),
/// qs: [128]`; group `j`: `w = (d * sc[j]) * q - dmin * m[j]`.
enum Q4_KRow: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + (group &>> 3) &* 144
    let j = group & 7
    let (scale, minimum) = KScales.scaleAndMin(block + 4, j)
    let d = SIMD16<Float>(repeating: Lanes.half(block, 0) * Float(scale))
    let negativeM = SIMD16<Float>(repeating: -(Lanes.half(block, 2) * Float(minimum)))
    let shift = SIMD16<Int32>(repeating: Int32(4 &* (j & 1)))
    let run = 16 &+ 32 &* (j &>> 1)
    let q0 = (Lanes.int32(Lanes.bytes(block, run)) &>> shift) & 0x0F
    let q1 = (Lanes.int32(Lanes.bytes(block, run &+ 16)) &>> shift) & 0x0F
    return (
      negativeM.addingProduct(d, Lanes.float(q0)), negativeM.addingProduct(d, Lanes.float(q1))
    )
  }
}

/// Q5_K (176 bytes): `d, dmin: f16, scales: [12], qh: [32], qs: [128]`; like Q4_K with a fifth
/// bit `(qh[i] >> j) & 1` for element `i` of group `j`.
enum Q5_KRow: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + (group &>> 3) &* 176
    let j = group & 7
    let (scale, minimum) = KScales.scaleAndMin(block + 4, j)
    let d = SIMD16<Float>(repeating: Lanes.half(block, 0) * Float(scale))
    let negativeM = SIMD16<Float>(repeating: -(Lanes.half(block, 2) * Float(minimum)))
    let shift = SIMD16<Int32>(repeating: Int32(4 &* (j & 1)))
    let bit = SIMD16<Int32>(repeating: Int32(j))
    let run = 48 &+ 32 &* (j &>> 1)
    let h0 = ((Lanes.int32(Lanes.bytes(block, 16)) &>> bit) & 1) &<< 4
    let h1 = ((Lanes.int32(Lanes.bytes(block, 32)) &>> bit) & 1) &<< 4
    let q0 = ((Lanes.int32(Lanes.bytes(block, run)) &>> shift) & 0x0F) | h0
    let q1 = ((Lanes.int32(Lanes.bytes(block, run &+ 16)) &>> shift) & 0x0F) | h1
    return (
      negativeM.addingProduct(d, Lanes.float(q0)), negativeM.addingProduct(d, Lanes.float(q1))
    )
  }
}

/// Q6_K (210 bytes): `ql: [128], qh: [64], scales: [16] int8, d: f16`; 16-element sub-blocks
/// `k` with `w = (d * scales[k]) * (q - 32)`, `q = low 4 bits | high 2 bits << 4`.
enum Q6_KRow: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + (group &>> 3) &* 210
    let r = group & 7
    let half = r &>> 2
    let d = Lanes.half(block, 208)
    let s0 = Float(Int8(bitPattern: block.load(fromByteOffset: 192 &+ 2 &* r, as: UInt8.self)))
    let s1 = Float(Int8(bitPattern: block.load(fromByteOffset: 193 &+ 2 &* r, as: UInt8.self)))
    let lowShift = SIMD16<Int32>(repeating: Int32(4 &* ((r & 3) &>> 1)))
    let highShift = SIMD16<Int32>(repeating: Int32(2 &* (r & 3)))
    let lowRun = 64 &* half &+ 32 &* (r & 1)
    let highRun = 128 &+ 32 &* half
    let thirtyTwo = SIMD16<Int32>(repeating: 32)
    let l0 = (Lanes.int32(Lanes.bytes(block, lowRun)) &>> lowShift) & 0x0F
    let l1 = (Lanes.int32(Lanes.bytes(block, lowRun &+ 16)) &>> lowShift) & 0x0F
    let h0 = ((Lanes.int32(Lanes.bytes(block, highRun)) &>> highShift) & 3) &<< 4
    let h1 = ((Lanes.int32(Lanes.bytes(block, highRun &+ 16)) &>> highShift) & 3) &<< 4
    return (
      SIMD16<Float>(repeating: d * s0) * Lanes.float((l0 | h0) &- thirtyTwo),
      SIMD16<Float>(repeating: d * s1) * Lanes.float((l1 | h1) &- thirtyTwo)
    )
  }
}

/// Q2_K (84 bytes): `scales: [16] (low 4 bits scale, high 4 bits min), qs: [64], d, dmin: f16`;
/// 16-element sub-blocks `k`: `w = (d * sc) * q - dmin * m`, `q` 2 bits.
enum Q2_KRow: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + (group &>> 3) &* 84
    let r = group & 7
    let d = Lanes.half(block, 80)
    let dmin = Lanes.half(block, 82)
    let packed0 = block.load(fromByteOffset: 2 &* r, as: UInt8.self)
    let packed1 = block.load(fromByteOffset: 2 &* r &+ 1, as: UInt8.self)
    let shift = SIMD16<Int32>(repeating: Int32(2 &* (r & 3)))
    let run = 16 &+ 32 &* (r &>> 2)
    let q0 = (Lanes.int32(Lanes.bytes(block, run)) &>> shift) & 3
    let q1 = (Lanes.int32(Lanes.bytes(block, run &+ 16)) &>> shift) & 3
    let d0 = SIMD16<Float>(repeating: d * Float(packed0 & 0x0F))
    let d1 = SIMD16<Float>(repeating: d * Float(packed1 & 0x0F))
    let m0 = SIMD16<Float>(repeating: -(dmin * Float(packed0 >> 4)))
    let m1 = SIMD16<Float>(repeating: -(dmin * Float(packed1 >> 4)))
    return (m0.addingProduct(d0, Lanes.float(q0)), m1.addingProduct(d1, Lanes.float(q1)))
  }
}

/// Q3_K (110 bytes): `hmask: [32], qs: [64], scales: [12] (16 packed 6-bit), d: f16`;
/// 16-element sub-blocks `k`: `w = (d * (sc[k] - 32)) * (q - 4 * (1 - hbit))`, `q` 2 bits,
/// `hbit = (hmask[i] >> g) & 1` for element `i` of group `g`.
enum Q3_KRow: RowDecoder {
  @inline(__always)
  static func load(_ row: UnsafeRawPointer, group: Int) -> (SIMD16<Float>, SIMD16<Float>) {
    let block = row + (group &>> 3) &* 110
    let r = group & 7
    let d = Lanes.half(block, 108)
    let shift = SIMD16<Int32>(repeating: Int32(2 &* (r & 3)))
    let bit = SIMD16<Int32>(repeating: Int32(r))
    let run = 32 &+ 32 &* (r &>> 2)
    let four = SIMD16<Int32>(repeating: 4)
    let m0 = ((Lanes.int32(Lanes.bytes(block, 0)) &>> bit) & 1) ^ 1
    let m1 = ((Lanes.int32(Lanes.bytes(block, 16)) &>> bit) & 1) ^ 1
    let q0 = ((Lanes.int32(Lanes.bytes(block, run)) &>> shift) & 3) &- four &* m0
    let q1 = ((Lanes.int32(Lanes.bytes(block, run &+ 16)) &>> shift) & 3) &- four &* m1
    let d0 = SIMD16<Float>(repeating: d * Float(KScales.q3Scale(block + 96, 2 &* r)))
    let d1 = SIMD16<Float>(repeating: d * Float(KScales.q3Scale(block + 96, 2 &* r &+ 1)))
    return (d0 * Lanes.float(q0), d1 * Lanes.float(q1))
  }
}

/// The packed sub-block scales of the k-quants.
enum KScales {
  /// Q4_K / Q5_K: the 6-bit scale and minimum of group `j` (0..<8) from the 12 bytes at
  /// `scales` (ggml's `get_scale_min_k4`).
  @inline(__always)
  static func scaleAndMin(_ scales: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
    func byte(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
    if j < 4 { return (byte(j) & 63, byte(j &+ 4) & 63) }
    let packed = byte(j &+ 4)
    return (
      (packed & 0x0F) | ((byte(j &- 4) >> 2) & 0x30),
      (packed >> 4) | ((byte(j) >> 2) & 0x30)
    )
  }

  /// Q3_K: the signed 6-bit scale of sub-block `k` (0..<16) from the 12 bytes at `scales`.
  @inline(__always)
  static func q3Scale(_ scales: UnsafeRawPointer, _ k: Int) -> Int32 {
    func byte(_ i: Int) -> UInt8 { scales.load(fromByteOffset: i, as: UInt8.self) }
    let low = k < 8 ? byte(k) & 0x0F : byte(k &- 8) >> 4
    let high = (byte(8 &+ (k & 3)) >> UInt8(2 &* (k &>> 2))) & 3
    return Int32(low | (high << 4)) - 32
  }
}
