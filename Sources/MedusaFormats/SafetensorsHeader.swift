/// The decoded, validated JSON header of a safetensors file.
///
/// The rules are those of the reference implementation (`safetensors` crate, `validate`):
/// sorted by offsets, tensors must tile the data section exactly — the first begins at 0, each
/// begins where the previous ends, the last ends at the end of the file — and each tensor's
/// byte count must equal its element count times its dtype width. Stricter than the reference:
/// a JSON key that appears twice is rejected instead of silently keeping one of the values.
struct SafetensorsHeader {
  /// One tensor entry of the header.
  struct Entry {
    /// The tensor name (the JSON key).
    let name: String
    /// The element type.
    let dtype: TensorDType
    /// The dimensions.
    let shape: [Int]
    /// Start of the bytes, relative to the data section.
    let begin: Int
    /// End of the bytes (exclusive), relative to the data section.
    let end: Int
  }

  /// The string-to-string `__metadata__` map (empty when absent).
  let metadata: [String: String]
  /// The entries sorted by data offsets (then by name for empty tensors at the same offset).
  let entries: [Entry]

  /// Parses and validates `header` for a data section of `dataSize` bytes in `file`.
  init(header: UnsafeRawBufferPointer, dataSize: Int, file: String) throws(FormatError) {
    guard String(validating: header, as: UTF8.self) != nil else { throw .headerNotUTF8(file: file) }
    let root: JSONValue
    do throws(JSONError) {
      root = try JSONParser.parse(header)
    } catch {
      switch error {
      case .notUTF8: throw .headerNotUTF8(file: file)
      case .syntax(let message, let offset):
        throw .headerNotJSON(file: file, reason: "\(message) at header byte \(offset)")
      case .duplicateKey(let key, _): throw .duplicateKey(file: file, key: key)
      }
    }
    guard let members = root.objectMembers else { throw .headerNotObject(file: file) }
    var metadata: [String: String] = [:]
    var entries: [Entry] = []
    for (name, value) in members {
      if name == "__metadata__" {
        metadata = try Self.metadata(value, file: file)
      } else {
        entries.append(try Self.entry(name: name, value: value, file: file))
      }
    }
    entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
    try Self.checkTiling(entries, dataSize: dataSize, file: file)
    self.metadata = metadata
    self.entries = entries
  }

  private static func metadata(_ value: JSONValue, file: String) throws(FormatError) -> [String:
    String]
  {
    if value == .null { return [:] }
    guard let members = value.objectMembers else { throw .invalidMetadata(file: file, key: "") }
    var result: [String: String] = [:]
    for (key, item) in members {
      guard let text = item.stringValue else { throw .invalidMetadata(file: file, key: key) }
      result[key] = text
    }
    return result
  }

  private static func entry(name: String, value: JSONValue, file: String) throws(FormatError)
    -> Entry
  {
    guard let members = value.objectMembers else {
      throw .wrongFieldType(file: file, tensor: name, field: "(entry)", expected: "an object")
    }
    func field(_ key: String) throws(FormatError) -> JSONValue {
      guard let found = members.first(where: { $0.key == key }) else {
        throw .missingField(file: file, tensor: name, field: key)
      }
      return found.value
    }
    guard let dtypeText = try field("dtype").stringValue else {
      throw .wrongFieldType(file: file, tensor: name, field: "dtype", expected: "a string")
    }
    guard let dtype = TensorDType(rawValue: dtypeText) else {
      throw .unknownDType(file: file, tensor: name, dtype: dtypeText)
    }
    guard case .array(let dims) = try field("shape") else {
      throw .wrongFieldType(file: file, tensor: name, field: "shape", expected: "an array")
    }
    var shape: [Int] = []
    for dim in dims {
      guard let size = dim.integerValue, size >= 0 else {
        throw .invalidShape(file: file, tensor: name, value: dim.text)
      }
      shape.append(size)
    }
    guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
      let begin = offsets[0].integerValue, let end = offsets[1].integerValue, begin >= 0, end >= 0
    else {
      throw .wrongFieldType(
        file: file, tensor: name, field: "data_offsets", expected: "two non-negative integers")
    }
    guard begin <= end else {
      throw .offsetsReversed(file: file, tensor: name, begin: begin, end: end)
    }
    let byteCount = try Self.byteCount(shape: shape, dtype: dtype, tensor: name, file: file)
    guard end - begin == byteCount else {
      throw .byteCountMismatch(file: file, tensor: name, expected: byteCount, actual: end - begin)
    }
    return Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
  }

  /// The byte size of a tensor, with overflow and sub-byte packing checked.
  static func byteCount(shape: [Int], dtype: TensorDType, tensor: String, file: String)
    throws(FormatError) -> Int
  {
    var bits = dtype.bitWidth
    for dim in shape {
      let (product, overflow) = bits.multipliedReportingOverflow(by: dim)
      guard !overflow else { throw .shapeOverflow(file: file, tensor: tensor, shape: shape) }
      bits = product
    }
    guard bits % 8 == 0 else {
      throw .misalignedSubByteTensor(file: file, tensor: tensor, bits: bits)
    }
    return bits / 8
  }

  private static func checkTiling(_ entries: [Entry], dataSize: Int, file: String)
    throws(FormatError)
  {
    var expected = 0
    var previous: Entry?
    for entry in entries {
      guard entry.end <= dataSize else {
        throw .offsetsOutOfBounds(
          file: file, tensor: entry.name, end: entry.end, dataSize: dataSize)
      }
      if entry.begin > expected {
        throw .gapInData(
          file: file, offset: expected, nextTensor: entry.name, nextBegin: entry.begin)
      }
      if entry.begin < expected, let previous {
        throw .overlappingTensors(
          file: file, tensor: entry.name, other: previous.name, offset: entry.begin)
      }
      expected = entry.end
      previous = entry
    }
    guard expected == dataSize else {
      throw .trailingBytes(file: file, offset: expected, dataSize: dataSize)
    }
  }
}
