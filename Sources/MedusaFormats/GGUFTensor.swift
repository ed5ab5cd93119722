import Foundation

/// One tensor info of a GGUF file, validated: a known ggml type, 1...4 dimensions whose row
/// length is a whole number of blocks, and an aligned offset whose bytes lie inside the data
/// section without overlapping another tensor.
public struct GGUFTensorInfo: Sendable, Equatable {
  /// The tensor's name.
  public let name: String
  /// The element type.
  public let type: GGMLType
  /// The dimensions in ggml order: `dimensions[0]` is `ne[0]`, the innermost, contiguous one
  /// (a row); the reverse of a PyTorch/safetensors shape.
  public let dimensions: [Int]
  /// The byte offset of the tensor's data, relative to the start of the data section.
  public let offset: Int
  /// The number of bytes of the tensor's data.
  public let byteCount: Int

  /// The number of elements (the product of `dimensions`).
  public var elementCount: Int { dimensions.reduce(1, *) }

  /// The dimensions outermost first, as PyTorch and safetensors write them.
  public var shape: [Int] { dimensions.reversed() }

  /// Elements per row (`ne[0]`).
  public var rowLength: Int { dimensions.first ?? 1 }

  /// Rows: the product of every dimension but the first.
  public var rowCount: Int { dimensions.dropFirst().reduce(1, *) }

  /// Bytes per row: `rowLength / type.blockSize` blocks of `type.blockBytes`.
  public var rowBytes: Int { rowLength / type.blockSize * type.blockBytes }
}

/// One tensor of a GGUF file: its info and its bytes, which stay in the memory-mapped file
/// that `owner` keeps alive.
///
/// The bytes are little-endian and start at an offset that is a multiple of the file's
/// alignment from the aligned data section, so they are as aligned as the alignment (32 by
/// default) inside the page-aligned mapping. Quantized types are stored as ggml blocks, row by
/// row.
public struct GGUFTensor: @unchecked Sendable {
  /// The tensor's name, type, dimensions and place in the file.
  public let info: GGUFTensorInfo
  /// The raw bytes, inside the mapped file (`info.byteCount` of them).
  public let bytes: UnsafeRawBufferPointer
  /// The file the bytes come from.
  public let file: URL
  /// Keeps the mapping of `file` alive as long as this tensor exists.
  let owner: AnyObject

  /// The tensor's name.
  public var name: String { info.name }

  /// The element type.
  public var type: GGMLType { info.type }

  /// The same bytes as a row-major `Tensor` (shape outermost first) when the type has a
  /// safetensors dtype (F32, F16, BF16, F64, I8, I16, I32, I64); nil for block-quantized
  /// types, which only the kernels can read.
  public var plainTensor: Tensor? {
    let dtype: TensorDType
    switch info.type {
    case .f32: dtype = .f32
    case .f16: dtype = .f16
    case .bf16: dtype = .bf16
    case .f64: dtype = .f64
    case .i8: dtype = .i8
    case .i16: dtype = .i16
    case .i32: dtype = .i32
    case .i64: dtype = .i64
    default: return nil
    }
    return Tensor(
      name: info.name, dtype: dtype, shape: info.shape, bytes: bytes, file: file, owner: owner)
  }
}
