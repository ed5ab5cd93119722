/// Element types found in safetensors headers: every dtype string the format defines
/// (safetensors 0.6), spelled as in the header.
public enum TensorDType: String, Sendable, CaseIterable {
  /// 64-bit IEEE float.
  case f64 = "F64"
  /// 32-bit IEEE float.
  case f32 = "F32"
  /// 16-bit IEEE float (half).
  case f16 = "F16"
  /// bfloat16: the upper 16 bits of an IEEE float32.
  case bf16 = "BF16"
  /// 8-bit float, 5 exponent and 2 mantissa bits.
  case f8e5m2 = "F8_E5M2"
  /// 8-bit float, 4 exponent and 3 mantissa bits.
  case f8e4m3 = "F8_E4M3"
  /// 8-bit exponent-only scale (MX formats).
  case f8e8m0 = "F8_E8M0"
  /// 6-bit float, 2 exponent and 3 mantissa bits (packed).
  case f6e2m3 = "F6_E2M3"
  /// 6-bit float, 3 exponent and 2 mantissa bits (packed).
  case f6e3m2 = "F6_E3M2"
  /// 4-bit float, 2 exponent and 1 mantissa bit (packed two per byte).
  case f4 = "F4"
  /// Complex number of two 32-bit floats.
  case c64 = "C64"
  /// Signed 64-bit integer.
  case i64 = "I64"
  /// Signed 32-bit integer.
  case i32 = "I32"
  /// Signed 16-bit integer.
  case i16 = "I16"
  /// Signed 8-bit integer.
  case i8 = "I8"
  /// Unsigned 64-bit integer.
  case u64 = "U64"
  /// Unsigned 32-bit integer.
  case u32 = "U32"
  /// Unsigned 16-bit integer.
  case u16 = "U16"
  /// Unsigned 8-bit integer.
  case u8 = "U8"
  /// Boolean, one byte per element.
  case bool = "BOOL"

  /// Bits per element, as the reference implementation counts them.
  public var bitWidth: Int {
    switch self {
    case .f64, .i64, .u64, .c64: 64
    case .f32, .i32, .u32: 32
    case .f16, .bf16, .i16, .u16: 16
    case .f8e5m2, .f8e4m3, .f8e8m0, .i8, .u8, .bool: 8
    case .f6e2m3, .f6e3m2: 6
    case .f4: 4
    }
  }

  /// Bytes per element. The packed sub-byte types (F4, F6_*) have no whole byte width and
  /// report 0; a tensor's byte size is always `elementCount * bitWidth / 8`.
  public var byteWidth: Int { bitWidth / 8 }
}
