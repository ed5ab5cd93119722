/// Storage type of weights. Weights stay in their file type in memory and are widened (floats)
/// or dequantized (ggml blocks) to `Float` in registers, to exactly the values that the `gguf`
/// Python package's `dequantize` gives.
public enum WeightType: Sendable, Equatable, CaseIterable {
  /// IEEE 754 binary32.
  case f32
  /// IEEE 754 binary16.
  case f16
  /// bfloat16: the upper 16 bits of a binary32, widened as `UInt32(bits) << 16`.
  case bf16
  /// ggml Q8_0: blocks of 32 `int8` with one f16 scale `d`; `w = q * d`.
  case q8_0
  /// ggml Q4_0: blocks of 32 4-bit values with one f16 scale; `w = d * (q - 8)`.
  case q4_0
  /// ggml Q4_1: blocks of 32 4-bit values with f16 scale and minimum; `w = d * q + m`.
  case q4_1
  /// ggml Q5_0: blocks of 32 5-bit values with one f16 scale; `w = d * (q - 16)`.
  case q5_0
  /// ggml Q5_1: blocks of 32 5-bit values with f16 scale and minimum; `w = d * q + m`.
  case q5_1
  /// ggml Q2_K: super-blocks of 256, 16 sub-blocks of 16 with 4-bit scales and minimums.
  case q2_K
  /// ggml Q3_K: super-blocks of 256, 16 sub-blocks of 16 with 6-bit signed scales.
  case q3_K
  /// ggml Q4_K: super-blocks of 256, 8 sub-blocks of 32 with 6-bit scales and minimums.
  case q4_K
  /// ggml Q5_K: super-blocks of 256, 8 sub-blocks of 32 with 6-bit scales and minimums.
  case q5_K
  /// ggml Q6_K: super-blocks of 256, 16 sub-blocks of 16 with `int8` scales.
  case q6_K

  /// Elements per block: 1 for the float types, 32 or 256 for ggml blocks. A row's column
  /// count must be a multiple of it.
  public var blockElements: Int {
    switch self {
    case .f32, .f16, .bf16: return 1
    case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1: return 32
    case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: return 256
    }
  }

  /// Bytes per block (ggml's type size).
  public var blockBytes: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    case .q8_0: return 34
    case .q4_0: return 18
    case .q4_1: return 20
    case .q5_0: return 22
    case .q5_1: return 24
    case .q2_K: return 84
    case .q3_K: return 110
    case .q4_K: return 144
    case .q5_K: return 176
    case .q6_K: return 210
    }
  }

  /// Bytes of one row of `columns` elements (a multiple of ``blockElements``).
  public func rowBytes(columns: Int) -> Int { columns / blockElements * blockBytes }

  /// ggml's name of the type (`F16`, `Q4_K` ...), for messages.
  public var name: String {
    switch self {
    case .f32: return "F32"
    case .f16: return "F16"
    case .bf16: return "BF16"
    case .q8_0: return "Q8_0"
    case .q4_0: return "Q4_0"
    case .q4_1: return "Q4_1"
    case .q5_0: return "Q5_0"
    case .q5_1: return "Q5_1"
    case .q2_K: return "Q2_K"
    case .q3_K: return "Q3_K"
    case .q4_K: return "Q4_K"
    case .q5_K: return "Q5_K"
    case .q6_K: return "Q6_K"
    }
  }
}

/// A read-only row-major matrix `[rows][columns]` in its storage type, for example a
/// memory-mapped `nn.Linear` weight `[out][in]` or a GGUF tensor with `ne = [in, out]`. The
/// memory is not owned: the caller keeps it alive (and unchanged) while the matrix is used. No
/// alignment is required.
///
/// `rowOrder`, when given, maps logical row `r` to storage row `rowOrder[r]`: a GGUF llama
/// file stores the rows of `attn_q` / `attn_k` permuted for llama.cpp's rotary layout, and the
/// map undoes that without copying (the rows of a quantized matrix are whole blocks).
public struct WeightMatrix: @unchecked Sendable {
  /// Number of rows (output features of a linear layer).
  public let rows: Int
  /// Number of columns (input features of a linear layer); a multiple of the type's block.
  public let columns: Int
  /// Storage type of the elements.
  public let type: WeightType
  /// Address of storage row 0.
  public let base: UnsafeRawPointer
  /// Bytes of one stored row.
  public let rowBytes: Int
  /// Storage row of each logical row, or `nil` for the identity (kept alive by the caller).
  public let rowOrder: UnsafePointer<Int32>?

  /// Wraps `rows * columns` elements of `type` at `base` (`columns` must be a multiple of
  /// `type.blockElements`; the loaders check it).
  public init(
    rows: Int, columns: Int, type: WeightType, base: UnsafeRawPointer,
    rowOrder: UnsafePointer<Int32>? = nil
  ) {
    self.rows = rows
    self.columns = columns
    self.type = type
    self.base = base
    self.rowBytes = type.rowBytes(columns: columns)
    self.rowOrder = rowOrder
  }

  /// Bytes of the whole matrix.
  public var byteCount: Int { rows * rowBytes }

  /// Address of the first element of logical row `row`.
  @inlinable
  public func rowAddress(_ row: Int) -> UnsafeRawPointer {
    if let rowOrder { return base + Int(rowOrder[row]) * rowBytes }
    return base + row * rowBytes
  }

  /// Widens or dequantizes row `row` (exactly) into `into[0..<columns]`. Used for embedding
  /// lookup and by tests.
  public func widenRow(_ row: Int, into: UnsafeMutablePointer<Float>) {
    let address = rowAddress(row)
    switch type {
    case .f32: widen(F32Row.self, address, into)
    case .f16: widen(F16Row.self, address, into)
    case .bf16: widen(BF16Row.self, address, into)
    case .q8_0: widen(Q8_0Row.self, address, into)
    case .q4_0: widen(Q4_0Row.self, address, into)
    case .q4_1: widen(Q4_1Row.self, address, into)
    case .q5_0: widen(Q5_0Row.self, address, into)
    case .q5_1: widen(Q5_1Row.self, address, into)
    case .q2_K: widen(Q2_KRow.self, address, into)
    case .q3_K: widen(Q3_KRow.self, address, into)
    case .q4_K: widen(Q4_KRow.self, address, into)
    case .q5_K: widen(Q5_KRow.self, address, into)
    case .q6_K: widen(Q6_KRow.self, address, into)
    }
  }

  private func widen<D: RowDecoder>(
    _: D.Type, _ address: UnsafeRawPointer, _ into: UnsafeMutablePointer<Float>
  ) {
    let groups = columns >> 5
    for g in 0..<groups {
      let (v0, v1) = D.load(address, group: g)
      Reduction.store(v0, into, g &* 32)
      Reduction.store(v1, into, g &* 32 &+ 16)
    }
    var c = groups &* 32
    if c + 16 <= columns {
      Reduction.store(D.load16(address, at: c), into, c)
      c += 16
    }
    while c < columns {
      into[c] = D.load1(address, c)
      c += 1
    }
  }
}
