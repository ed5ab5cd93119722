/// Naive twin of the row decoders: element `index` of one stored block, computed one scalar at
/// a time straight from the block layouts of ggml (`ggml-common.h`) and the formulas of the
/// `gguf` Python package's `dequantize` (`Float` products and sums, each rounded). The vector
/// decoders must give exactly these values.
public enum ReferenceDequantization {
  /// Element `index` (`0..<type.blockElements`) of the block at `block`.
  public static func element(_ type: WeightType, block: UnsafeRawPointer, index e: Int) -> Float {
    func byte(_ offset: Int) -> Int { Int(block.load(fromByteOffset: offset, as: UInt8.self)) }
    func half(_ offset: Int) -> Float {
      Float(Float16(bitPattern: UInt16(byte(offset)) | UInt16(byte(offset + 1)) << 8))
    }
    /// 4-bit value `e` of 32 packed as low nibbles (0-15) and high nibbles (16-31) at `offset`.
    func nibble(_ offset: Int) -> Int {
      e < 16 ? byte(offset + e) & 15 : byte(offset + e - 16) >> 4
    }
    /// Bit `e` of the little-endian 32-bit word at `offset`.
    func bit(_ offset: Int) -> Int { (byte(offset + e / 8) >> (e % 8)) & 1 }
    switch type {
    case .f32:
      return Float(
        bitPattern: UInt32(byte(0)) | UInt32(byte(1)) << 8 | UInt32(byte(2)) << 16
          | UInt32(byte(3)) << 24)
    case .f16:
      return half(0)
    case .bf16:
      return Float(bitPattern: (UInt32(byte(0)) | UInt32(byte(1)) << 8) << 16)
    case .q8_0:
      return Float(Int8(truncatingIfNeeded: byte(2 + e))) * half(0)
    case .q4_0:
      return half(0) * Float(nibble(2) - 8)
    case .q4_1:
      return half(0) * Float(nibble(4)) + half(2)
    case .q5_0:
      return half(0) * Float((nibble(6) | bit(2) << 4) - 16)
    case .q5_1:
      return half(0) * Float(nibble(8) | bit(4) << 4) + half(2)
    case .q2_K:
      let q = (byte(16 + 32 * (e / 128) + e % 32) >> (2 * (e % 128 / 32))) & 3
      let packed = byte(e / 16)
      return (half(80) * Float(packed & 15)) * Float(q) - half(82) * Float(packed >> 4)
    case .q3_K:
      let low = (byte(32 + 32 * (e / 128) + e % 32) >> (2 * (e % 128 / 32))) & 3
      let high = (byte(e % 32) >> (e / 32)) & 1
      let k = e / 16
      let scaleLow = k < 8 ? byte(96 + k) & 15 : byte(96 + k - 8) >> 4
      let scaleHigh = (byte(104 + k % 4) >> (2 * (k / 4))) & 3
      let scale = (scaleLow | scaleHigh << 4) - 32
      return (half(108) * Float(scale)) * Float(low - (high == 0 ? 4 : 0))
    case .q4_K, .q5_K:
      let j = e / 32
      let (scale, minimum) = scaleMin(j, byte)
      let qsStart = type == .q4_K ? 16 : 48
      var q = (byte(qsStart + 32 * (j / 2) + e % 32) >> (4 * (j % 2))) & 15
      if type == .q5_K { q |= ((byte(16 + e % 32) >> j) & 1) << 4 }
      return (half(0) * Float(scale)) * Float(q) - half(2) * Float(minimum)
    case .q6_K:
      let low = (byte(64 * (e / 128) + e % 64) >> (4 * (e % 128 / 64))) & 15
      let high = (byte(128 + 32 * (e / 128) + e % 32) >> (2 * (e % 128 / 32))) & 3
      let scale = Int8(truncatingIfNeeded: byte(192 + e / 16))
      return (half(208) * Float(scale)) * Float((low | high << 4) - 32)
    }
  }

  /// The 6-bit scale and minimum of group `j` of a Q4_K / Q5_K block (`get_scale_min_k4`).
  private static func scaleMin(_ j: Int, _ byte: (Int) -> Int) -> (Int, Int) {
    if j < 4 { return (byte(4 + j) & 63, byte(8 + j) & 63) }
    return (
      (byte(8 + j) & 15) | ((byte(j) >> 2) & 0x30), (byte(8 + j) >> 4) | ((byte(4 + j) >> 2) & 0x30)
    )
  }
}
