import Foundation

@testable import MedusaFormats

/// Builds the bytes of small GGUF files for tests, valid by default, with knobs to make each
/// field lie. Test-only: the library has no GGUF writer.
struct GGUFBuilder {
  /// One tensor info (and its data, filled with a byte pattern).
  struct TensorSpec {
    var name: String
    /// ne[0] first, as stored.
    var dimensions: [UInt64]
    /// The ggml type number.
    var type: UInt32
    /// The data offset; nil: placed after the previous tensor, padded to the alignment.
    var offset: UInt64?
    /// The dimension count as stored; nil: `dimensions.count`.
    var dimensionCount: UInt32?
    /// Replaces the UTF-8 bytes of the name.
    var rawName: [UInt8]?

    init(
      _ name: String, _ dimensions: [UInt64], type: GGMLType = .f32, offset: UInt64? = nil
    ) {
      self.name = name
      self.dimensions = dimensions
      self.type = type.rawValue
      self.offset = offset
    }

    /// The byte count the reader will compute (0 when the type is unknown or sizes overflow).
    var byteCount: Int {
      guard let ggml = GGMLType(rawValue: type) else { return 0 }
      let elements = dimensions.reduce(UInt64(1)) { $0.multipliedReportingOverflow(by: $1).0 }
      return Int(truncatingIfNeeded: elements / UInt64(ggml.blockSize) &* UInt64(ggml.blockBytes))
    }
  }

  var magic = Array("GGUF".utf8)
  var version: UInt32 = 3
  /// Metadata entries in order; encoded with their own types.
  var metadata: [(key: String, value: GGUFValue)] = []
  /// Raw entry bytes appended after `metadata` (for crafted, invalid entries).
  var rawEntries: [[UInt8]] = []
  var tensors: [TensorSpec] = []
  /// The alignment used for padding (set `general.alignment` in `metadata` to match).
  var alignment = 32
  /// Overrides of the stored counts.
  var tensorCount: UInt64?
  var entryCount: UInt64?
  /// Bytes appended after the data section.
  var trailing: [UInt8] = []

  /// The file's bytes.
  func bytes() -> [UInt8] {
    var out = magic
    out += le(version)
    out += le(tensorCount ?? UInt64(tensors.count))
    out += le(entryCount ?? UInt64(metadata.count + rawEntries.count))
    for (key, value) in metadata { out += Self.entry(key, value) }
    for raw in rawEntries { out += raw }
    var placed: [(offset: Int, count: Int)] = []
    var next = 0
    for tensor in tensors {
      out += le(UInt64((tensor.rawName ?? Array(tensor.name.utf8)).count))
      out += tensor.rawName ?? Array(tensor.name.utf8)
      out += le(tensor.dimensionCount ?? UInt32(tensor.dimensions.count))
      for dimension in tensor.dimensions { out += le(dimension) }
      out += le(tensor.type)
      let offset = tensor.offset ?? UInt64(next)
      out += le(offset)
      let count = tensor.byteCount
      placed.append((Int(truncatingIfNeeded: offset), count))
      next = Self.padded(Int(truncatingIfNeeded: offset) &+ count, alignment)
    }
    out += [UInt8](repeating: 0, count: Self.padded(out.count, alignment) - out.count)
    let dataSize = placed.map { $0.offset &+ $0.count }.max().map { Self.padded($0, alignment) }
    if let dataSize, dataSize >= 0, dataSize < 1 << 24 {
      var data = [UInt8](repeating: 0, count: dataSize)
      for (index, tensor) in placed.enumerated() where tensor.offset >= 0 {
        for i in 0..<tensor.count where tensor.offset + i < dataSize {
          data[tensor.offset + i] = Self.patternByte(tensor: index, at: i)
        }
      }
      out += data
    }
    return out + trailing
  }

  /// The pattern byte `i` of tensor `index` holds in `bytes()`.
  static func patternByte(tensor index: Int, at i: Int) -> UInt8 {
    UInt8(truncatingIfNeeded: index &* 31 &+ i)
  }

  /// `value` rounded up to a multiple of `alignment`.
  static func padded(_ value: Int, _ alignment: Int) -> Int {
    (value + alignment - 1) / alignment * alignment
  }

  /// One metadata entry: key, type, value.
  static func entry(_ key: String, _ value: GGUFValue) -> [UInt8] {
    string(key) + le(value.type.rawValue) + encode(value)
  }

  /// A GGUF string.
  static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }

  /// The encoding of `value` without its type tag.
  static func encode(_ value: GGUFValue) -> [UInt8] {
    switch value {
    case .uint8(let v): [v]
    case .int8(let v): [UInt8(bitPattern: v)]
    case .uint16(let v): le(v)
    case .int16(let v): le(v)
    case .uint32(let v): le(v)
    case .int32(let v): le(v)
    case .uint64(let v): le(v)
    case .int64(let v): le(v)
    case .float32(let v): le(v.bitPattern)
    case .float64(let v): le(v.bitPattern)
    case .bool(let v): [v ? 1 : 0]
    case .string(let v): string(v)
    case .array(let type, let values):
      le(type.rawValue) + le(UInt64(values.count)) + values.flatMap(encode)
    }
  }
}

/// The little-endian bytes of `value`.
func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
  withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
