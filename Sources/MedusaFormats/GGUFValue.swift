/// The type tags of GGUF metadata values, by their number in the file (`gguf_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
  /// Unsigned 8-bit integer.
  case uint8 = 0
  /// Signed 8-bit integer.
  case int8
  /// Unsigned 16-bit integer.
  case uint16
  /// Signed 16-bit integer.
  case int16
  /// Unsigned 32-bit integer.
  case uint32
  /// Signed 32-bit integer.
  case int32
  /// 32-bit IEEE float.
  case float32
  /// One byte, 0 (false) or 1 (true).
  case bool
  /// A UTF-8 string: a uint64 byte length, then the bytes (no terminator).
  case string
  /// An array: a uint32 element type, a uint64 count, then the elements.
  case array
  /// Unsigned 64-bit integer.
  case uint64
  /// Signed 64-bit integer.
  case int64
  /// 64-bit IEEE float.
  case float64

  /// The type's name as gguf-py spells it ("UINT32", "STRING").
  public var name: String { "\(self)".uppercased() }

  /// The encoded size of one value of a fixed-size type; nil for strings and arrays.
  var fixedSize: Int? {
    switch self {
    case .uint8, .int8, .bool: 1
    case .uint16, .int16: 2
    case .uint32, .int32, .float32: 4
    case .uint64, .int64, .float64: 8
    case .string, .array: nil
    }
  }

  /// The fewest bytes one value of this type can take in a file: its fixed size, 8 for a
  /// string (its length), 12 for an array (element type and count). Bounds counts by the file.
  var minimumSize: Int { fixedSize ?? (self == .string ? 8 : 12) }
}

/// One GGUF metadata value, of any of the thirteen GGUF types. Arrays carry their element type
/// (needed for an empty array) and may nest.
public enum GGUFValue: Sendable, Equatable {
  /// An unsigned 8-bit integer.
  case uint8(UInt8)
  /// A signed 8-bit integer.
  case int8(Int8)
  /// An unsigned 16-bit integer.
  case uint16(UInt16)
  /// A signed 16-bit integer.
  case int16(Int16)
  /// An unsigned 32-bit integer.
  case uint32(UInt32)
  /// A signed 32-bit integer.
  case int32(Int32)
  /// An unsigned 64-bit integer.
  case uint64(UInt64)
  /// A signed 64-bit integer.
  case int64(Int64)
  /// A 32-bit float.
  case float32(Float)
  /// A 64-bit float.
  case float64(Double)
  /// A boolean.
  case bool(Bool)
  /// A string (valid UTF-8 in the file).
  case string(String)
  /// An array whose elements all have `elementType`.
  case array(elementType: GGUFValueType, values: [GGUFValue])

  /// The value's type tag.
  public var type: GGUFValueType {
    switch self {
    case .uint8: .uint8
    case .int8: .int8
    case .uint16: .uint16
    case .int16: .int16
    case .uint32: .uint32
    case .int32: .int32
    case .uint64: .uint64
    case .int64: .int64
    case .float32: .float32
    case .float64: .float64
    case .bool: .bool
    case .string: .string
    case .array: .array
    }
  }

  /// The value of any integer type, if it fits an `Int`; nil for other types.
  public var int: Int? {
    switch self {
    case .uint8(let value): Int(value)
    case .int8(let value): Int(value)
    case .uint16(let value): Int(value)
    case .int16(let value): Int(value)
    case .uint32(let value): Int(value)
    case .int32(let value): Int(value)
    case .uint64(let value): Int(exactly: value)
    case .int64(let value): Int(value)
    default: nil
    }
  }

  /// The value of a float32 or float64 (widened exactly); nil for other types, integers
  /// included.
  public var float: Double? {
    switch self {
    case .float32(let value): Double(value)
    case .float64(let value): value
    default: nil
    }
  }

  /// The value of a bool; nil for other types.
  public var bool: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }

  /// The value of a string; nil for other types.
  public var string: String? {
    if case .string(let value) = self { return value }
    return nil
  }

  /// The elements of an array (of any element type); nil for other types.
  public var array: [GGUFValue]? {
    if case .array(_, let values) = self { return values }
    return nil
  }

  /// The elements of an array of strings; nil for other types.
  public var strings: [String]? {
    guard case .array(.string, let values) = self else { return nil }
    return values.compactMap(\.string)
  }

  /// The elements of an array of integers (any integer type), if every one fits an `Int`.
  public var ints: [Int]? {
    guard case .array(let type, let values) = self, type.isInteger else { return nil }
    var result: [Int] = []
    result.reserveCapacity(values.count)
    for value in values {
      guard let int = value.int else { return nil }
      result.append(int)
    }
    return result
  }

  /// The elements of an array of float32 or float64, widened to `Double`.
  public var floats: [Double]? {
    guard case .array(let type, let values) = self, type == .float32 || type == .float64 else {
      return nil
    }
    return values.compactMap(\.float)
  }
}

extension GGUFValueType {
  /// Whether this is one of the eight integer types.
  var isInteger: Bool {
    switch self {
    case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64: true
    default: false
    }
  }
}
