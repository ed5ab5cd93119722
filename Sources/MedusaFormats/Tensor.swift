import Foundation

/// One tensor: its bytes stay in the memory-mapped file, which `owner` keeps alive.
///
/// `bytes` is little-endian, row-major and contiguous, exactly as stored in the file. Its start
/// is only as aligned as the file's offsets make it, so read elements with `loadUnaligned` or
/// check alignment before binding memory.
public struct Tensor: @unchecked Sendable {
  /// The tensor's name in its checkpoint.
  public let name: String
  /// The element type.
  public let dtype: TensorDType
  /// The dimensions, outermost first.
  public let shape: [Int]
  /// The raw element bytes, inside the mapped file.
  public let bytes: UnsafeRawBufferPointer
  /// The file the bytes come from.
  public let file: URL
  /// Keeps the mapping of `file` alive as long as this tensor exists.
  let owner: AnyObject

  /// The number of elements: the product of `shape` (1 for a scalar).
  public var elementCount: Int { shape.reduce(1, *) }

  /// Copies the elements into `[Float]`, widening F16 and BF16 exactly
  /// (F32, F16 and BF16 only; other dtypes throw, naming the tensor).
  public func floats() throws(FormatError) -> [Float] {
    let count = elementCount
    switch dtype {
    case .f32:
      return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        UnsafeMutableRawBufferPointer(buffer).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: bytes[0..<count * 4]))
        initialized = count
      }
    case .f16:
      return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count {
          let bits = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
          buffer[i] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
        }
        initialized = count
      }
    case .bf16:
      return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
        for i in 0..<count {
          let bits = bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)
          buffer[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bits)) << 16)
        }
        initialized = count
      }
    default:
      throw .notFloatingPoint(file: file.path, tensor: name, dtype: dtype.rawValue)
    }
  }
}
