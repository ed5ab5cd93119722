/// The ggml tensor types of GGUF files, by their ggml number, with their block geometry:
/// every type the `gguf` Python package (gguf-py 0.19) knows. Numbers that ggml has retired
/// (4, 5 and 31...33) or not yet assigned are not cases: a tensor that uses one is rejected.
///
/// A row of `ne[0]` elements is stored as `ne[0] / blockSize` blocks of `blockBytes` bytes
/// each; the plain types (F32, F16, BF16, F64, I8...I64) are blocks of one element.
public enum GGMLType: UInt32, Sendable, CaseIterable {
  /// 32-bit IEEE float.
  case f32 = 0
  /// 16-bit IEEE float (half).
  case f16 = 1
  /// Blocks of 32 4-bit weights with one f16 scale.
  case q4_0 = 2
  /// Blocks of 32 4-bit weights with an f16 scale and an f16 minimum.
  case q4_1 = 3
  /// Blocks of 32 5-bit weights with one f16 scale.
  case q5_0 = 6
  /// Blocks of 32 5-bit weights with an f16 scale and an f16 minimum.
  case q5_1 = 7
  /// Blocks of 32 8-bit weights with one f16 scale.
  case q8_0 = 8
  /// Blocks of 32 8-bit weights with an f32 scale and an f32 sum.
  case q8_1 = 9
  /// k-quant super-blocks of 256 2-bit weights.
  case q2_K = 10
  /// k-quant super-blocks of 256 3-bit weights.
  case q3_K = 11
  /// k-quant super-blocks of 256 4-bit weights.
  case q4_K = 12
  /// k-quant super-blocks of 256 5-bit weights.
  case q5_K = 13
  /// k-quant super-blocks of 256 6-bit weights.
  case q6_K = 14
  /// k-quant super-blocks of 256 8-bit weights.
  case q8_K = 15
  /// i-quant, 2.06 bits per weight.
  case iq2_xxs = 16
  /// i-quant, 2.31 bits per weight.
  case iq2_xs = 17
  /// i-quant, 3.06 bits per weight.
  case iq3_xxs = 18
  /// i-quant, 1.56 bits per weight.
  case iq1_s = 19
  /// i-quant, non-linear 4-bit, blocks of 32.
  case iq4_nl = 20
  /// i-quant, 3.44 bits per weight.
  case iq3_s = 21
  /// i-quant, 2.5 bits per weight.
  case iq2_s = 22
  /// i-quant, 4.25 bits per weight.
  case iq4_xs = 23
  /// Signed 8-bit integer.
  case i8 = 24
  /// Signed 16-bit integer.
  case i16 = 25
  /// Signed 32-bit integer.
  case i32 = 26
  /// Signed 64-bit integer.
  case i64 = 27
  /// 64-bit IEEE float.
  case f64 = 28
  /// i-quant, 1.75 bits per weight.
  case iq1_m = 29
  /// bfloat16: the upper 16 bits of an IEEE float32.
  case bf16 = 30
  /// Ternary weights, 1.69 bits per weight.
  case tq1_0 = 34
  /// Ternary weights, 2.06 bits per weight.
  case tq2_0 = 35
  /// Microscaling FP4: blocks of 32 E2M1 values with one E8M0 scale.
  case mxfp4 = 39
  /// NVIDIA FP4: blocks of 64 E2M1 values with FP8 scales.
  case nvfp4 = 40
  /// Blocks of 128 1-bit weights with one f16 scale.
  case q1_0 = 41

  /// The type's name as ggml and gguf-py spell it ("Q4_K", "BF16").
  public var name: String { geometry.name }

  /// Elements per block (1 for F32, F16, BF16, F64 and the integer types).
  public var blockSize: Int { geometry.blockSize }

  /// Bytes per block (gguf-py's `GGML_QUANT_SIZES`).
  public var blockBytes: Int { geometry.blockBytes }

  /// Whether elements are stored one by one (not in quantized blocks).
  public var isPlain: Bool { blockSize == 1 }

  /// The type called `name` as ggml spells it (case-insensitive), or nil.
  public init?(name: String) {
    let wanted = name.uppercased()
    guard let type = GGMLType.allCases.first(where: { $0.name == wanted }) else { return nil }
    self = type
  }

  private var geometry: (name: String, blockSize: Int, blockBytes: Int) {
    switch self {
    case .f32: ("F32", 1, 4)
    case .f16: ("F16", 1, 2)
    case .q4_0: ("Q4_0", 32, 18)
    case .q4_1: ("Q4_1", 32, 20)
    case .q5_0: ("Q5_0", 32, 22)
    case .q5_1: ("Q5_1", 32, 24)
    case .q8_0: ("Q8_0", 32, 34)
    case .q8_1: ("Q8_1", 32, 40)
    case .q2_K: ("Q2_K", 256, 84)
    case .q3_K: ("Q3_K", 256, 110)
    case .q4_K: ("Q4_K", 256, 144)
    case .q5_K: ("Q5_K", 256, 176)
    case .q6_K: ("Q6_K", 256, 210)
    case .q8_K: ("Q8_K", 256, 292)
    case .iq2_xxs: ("IQ2_XXS", 256, 66)
    case .iq2_xs: ("IQ2_XS", 256, 74)
    case .iq3_xxs: ("IQ3_XXS", 256, 98)
    case .iq1_s: ("IQ1_S", 256, 50)
    case .iq4_nl: ("IQ4_NL", 32, 18)
    case .iq3_s: ("IQ3_S", 256, 110)
    case .iq2_s: ("IQ2_S", 256, 82)
    case .iq4_xs: ("IQ4_XS", 256, 136)
    case .i8: ("I8", 1, 1)
    case .i16: ("I16", 1, 2)
    case .i32: ("I32", 1, 4)
    case .i64: ("I64", 1, 8)
    case .f64: ("F64", 1, 8)
    case .iq1_m: ("IQ1_M", 256, 56)
    case .bf16: ("BF16", 1, 2)
    case .tq1_0: ("TQ1_0", 256, 54)
    case .tq2_0: ("TQ2_0", 256, 66)
    case .mxfp4: ("MXFP4", 32, 17)
    case .nvfp4: ("NVFP4", 64, 36)
    case .q1_0: ("Q1_0", 128, 18)
    }
  }
}
