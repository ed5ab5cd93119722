/// Reads the metadata key-value section of a GGUF file: `count` entries, each a string key, a
/// uint32 value type and the value (gguf.md, "File Structure").
enum GGUFMetadataReader {
  /// Arrays may contain arrays (gguf-py reads and writes them; ggml rejects them) down to this
  /// depth; deeper nesting is rejected so that a crafted file cannot exhaust the stack.
  static let maximumNesting = 16

  /// Reads `count` entries at the cursor, rejecting empty and duplicate keys. Keys are returned
  /// in file order.
  static func read(count: Int, cursor: inout GGUFCursor) throws(FormatError)
    -> [(key: String, value: GGUFValue)]
  {
    var entries: [(key: String, value: GGUFValue)] = []
    entries.reserveCapacity(count)
    // Keys are compared as bytes: Swift `String ==` would equate canonically equivalent keys.
    var seen = Set<[UInt8]>()
    for index in 0..<count {
      let keyOffset = cursor.offset
      let key = try cursor.string("metadata key \(index)")
      guard !key.isEmpty else { throw .ggufEmptyKey(file: cursor.file, offset: keyOffset) }
      guard seen.insert(Array(key.utf8)).inserted else {
        throw .ggufDuplicateKey(file: cursor.file, key: key)
      }
      let type = try valueType(key: key, cursor: &cursor, "the value type of key '\(key)'")
      let value = try readValue(type, key: key, depth: 0, cursor: &cursor)
      entries.append((key, value))
    }
    return entries
  }

  /// Reads a uint32 type tag and checks that it names a GGUF type.
  private static func valueType(
    key: String, cursor: inout GGUFCursor, _ what: @autoclosure () -> String
  ) throws(FormatError) -> GGUFValueType {
    let offset = cursor.offset
    let raw = try cursor.integer(UInt32.self, what())
    guard let type = GGUFValueType(rawValue: raw) else {
      throw .ggufUnknownValueType(file: cursor.file, key: key, type: raw, offset: offset)
    }
    return type
  }

  /// Reads one value of `type`; `depth` counts the arrays it is inside.
  private static func readValue(
    _ type: GGUFValueType, key: String, depth: Int, cursor: inout GGUFCursor
  ) throws(FormatError) -> GGUFValue {
    func what() -> String { "the value of key '\(key)'" }
    switch type {
    case .uint8: return .uint8(try cursor.integer(UInt8.self, what()))
    case .int8: return .int8(try cursor.integer(Int8.self, what()))
    case .uint16: return .uint16(try cursor.integer(UInt16.self, what()))
    case .int16: return .int16(try cursor.integer(Int16.self, what()))
    case .uint32: return .uint32(try cursor.integer(UInt32.self, what()))
    case .int32: return .int32(try cursor.integer(Int32.self, what()))
    case .uint64: return .uint64(try cursor.integer(UInt64.self, what()))
    case .int64: return .int64(try cursor.integer(Int64.self, what()))
    case .float32: return .float32(Float(bitPattern: try cursor.integer(UInt32.self, what())))
    case .float64: return .float64(Double(bitPattern: try cursor.integer(UInt64.self, what())))
    case .bool:
      let offset = cursor.offset
      let byte = try cursor.integer(UInt8.self, what())
      guard byte <= 1 else {
        throw .ggufInvalidBool(file: cursor.file, key: key, byte: byte, offset: offset)
      }
      return .bool(byte == 1)
    case .string:
      return .string(try cursor.string(what()))
    case .array:
      guard depth < maximumNesting else {
        throw .ggufNestingTooDeep(
          file: cursor.file, key: key, limit: maximumNesting, offset: cursor.offset)
      }
      let elementType = try valueType(
        key: key, cursor: &cursor, "the array element type of key '\(key)'")
      let count = try cursor.count(
        "array count of key '\(key)'", minimumSize: elementType.minimumSize)
      var values: [GGUFValue] = []
      values.reserveCapacity(count)
      for _ in 0..<count {
        values.append(try readValue(elementType, key: key, depth: depth + 1, cursor: &cursor))
      }
      return .array(elementType: elementType, values: values)
    }
  }
}
