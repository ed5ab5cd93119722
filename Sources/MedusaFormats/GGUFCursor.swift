/// A forward reader over the bytes of a GGUF file: every read is bounds-checked and
/// little-endian, and every failure is a `FormatError` that names the file, what was being read
/// and the byte offset where it starts.
struct GGUFCursor {
  /// The whole file.
  let bytes: UnsafeRawBufferPointer
  /// The file's path, for errors.
  let file: String
  /// The byte offset of the next read.
  private(set) var offset = 0

  /// A cursor at the start of `bytes`.
  init(bytes: UnsafeRawBufferPointer, file: String) {
    self.bytes = bytes
    self.file = file
  }

  /// The bytes left from the current offset to the end of the file.
  var remaining: Int { bytes.count - offset }

  /// Reads a little-endian integer; `what` names it in the error if the file ends first.
  mutating func integer<T: FixedWidthInteger>(
    _ type: T.Type, _ what: @autoclosure () -> String
  ) throws(FormatError) -> T {
    guard let value = bytes.littleEndian(T.self, at: offset) else {
      throw .ggufTruncated(file: file, what: what(), offset: offset)
    }
    offset += MemoryLayout<T>.size
    return value
  }

  /// Reads `count` raw bytes as a buffer inside the file.
  mutating func raw(_ count: Int, _ what: @autoclosure () -> String) throws(FormatError)
    -> UnsafeRawBufferPointer
  {
    guard count >= 0, count <= remaining, let slice = bytes.slice(offset..<offset + count) else {
      throw .ggufTruncated(file: file, what: what(), offset: offset)
    }
    offset += count
    return slice
  }

  /// Reads a GGUF string: a uint64 byte length, then that many bytes of valid UTF-8.
  mutating func string(_ what: @autoclosure () -> String) throws(FormatError) -> String {
    let start = offset
    let length = try integer(UInt64.self, "the length of \(what())")
    guard length <= UInt64(remaining) else {
      throw .ggufStringTooLong(
        file: file, what: what(), length: length, offset: start, available: remaining)
    }
    let textStart = offset
    let text = try raw(Int(length), what())
    guard let string = String(validating: text, as: UTF8.self) else {
      throw .ggufNotUTF8(file: file, what: what(), offset: textStart)
    }
    return string
  }

  /// Reads a uint64 count of items that take at least `minimumSize` bytes each, and checks
  /// that the rest of the file can hold them (so a lying count fails before anything is
  /// allocated or looped over).
  mutating func count(_ what: @autoclosure () -> String, minimumSize: Int) throws(FormatError)
    -> Int
  {
    let start = offset
    let count = try integer(UInt64.self, what())
    let (needed, overflow) = count.multipliedReportingOverflow(by: UInt64(minimumSize))
    guard !overflow, needed <= UInt64(remaining) else {
      throw .ggufCountTooLarge(
        file: file, what: what(), count: count, minimumSize: minimumSize, offset: start,
        available: remaining)
    }
    return Int(count)
  }
}
