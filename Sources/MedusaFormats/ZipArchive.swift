/// The entries of a ZIP archive held in memory, as PyTorch writes them: stored (uncompressed),
/// unencrypted, on one disk, with ZIP64 records when the archive needs them. Every offset and
/// size is checked against the buffer before use; nothing is decompressed.
struct ZipArchive {
  /// Entry name -> byte range of its data within the archive.
  let entries: [String: Range<Int>]

  private static let endRecordSize = 22
  private static let centralHeaderSize = 46
  private static let localHeaderSize = 30

  /// Indexes the archive in `bytes`, which came from `file` (named in errors).
  init(bytes: UnsafeRawBufferPointer, file: String) throws(FormatError) {
    let end = try Self.findEndRecord(bytes, file: file)
    var directory = try Self.directoryLocation(bytes, endRecord: end, file: file)
    var entries: [String: Range<Int>] = [:]
    for _ in 0..<directory.count {
      let (name, range, next) = try Self.centralEntry(
        bytes, at: directory.offset, limit: directory.end, file: file)
      guard entries.updateValue(range, forKey: name) == nil else {
        throw .zipMalformed(file: file, what: "duplicate entry '\(name)'", offset: directory.offset)
      }
      directory.offset = next
    }
    self.entries = entries
  }

  /// The data of entry `name` in `bytes`, or nil if there is no such entry.
  func data(_ name: String, in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    entries[name].flatMap { bytes.slice($0) }
  }

  /// Offset of the end-of-central-directory record: the last signature whose comment length
  /// reaches exactly to the end of the file.
  private static func findEndRecord(_ bytes: UnsafeRawBufferPointer, file: String)
    throws(FormatError) -> Int
  {
    guard bytes.count >= endRecordSize else { throw .zipNoEndRecord(file: file) }
    let lowest = max(0, bytes.count - endRecordSize - Int(UInt16.max))
    for offset in stride(from: bytes.count - endRecordSize, through: lowest, by: -1)
    where bytes.littleEndian(UInt32.self, at: offset) == 0x0605_4b50 {
      if let comment = bytes.littleEndian(UInt16.self, at: offset + 20),
        offset + endRecordSize + Int(comment) == bytes.count
      {
        return offset
      }
    }
    throw .zipNoEndRecord(file: file)
  }

  /// Where the central directory lies: start, end and entry count (from ZIP64 records if the
  /// classic record is saturated).
  private static func directoryLocation(
    _ bytes: UnsafeRawBufferPointer, endRecord: Int, file: String
  )
    throws(FormatError) -> (offset: Int, end: Int, count: Int)
  {
    func field<T: FixedWidthInteger>(_ type: T.Type, _ offset: Int, _ what: String)
      throws(FormatError) -> T
    {
      guard let value = bytes.littleEndian(T.self, at: offset) else {
        throw .zipMalformed(file: file, what: "truncated \(what)", offset: offset)
      }
      return value
    }
    let disk = try field(UInt16.self, endRecord + 4, "end record")
    let directoryDisk = try field(UInt16.self, endRecord + 6, "end record")
    guard disk == 0, directoryDisk == 0 else {
      throw .zipMalformed(file: file, what: "multi-disk archive", offset: endRecord)
    }
    var count = UInt64(try field(UInt16.self, endRecord + 10, "end record"))
    var size = UInt64(try field(UInt32.self, endRecord + 12, "end record"))
    var offset = UInt64(try field(UInt32.self, endRecord + 16, "end record"))
    var recordStart = endRecord
    if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
      let locator = endRecord - 20
      guard try field(UInt32.self, locator, "ZIP64 locator") == 0x0706_4b50 else {
        throw .zipMalformed(
          file: file, what: "missing ZIP64 end-of-central-directory locator", offset: locator)
      }
      let record64 = try field(UInt64.self, locator + 8, "ZIP64 locator")
      guard record64 < UInt64(locator),
        try field(UInt32.self, Int(record64), "ZIP64 end record") == 0x0606_4b50
      else {
        throw .zipMalformed(
          file: file, what: "bad ZIP64 end-of-central-directory record", offset: locator)
      }
      recordStart = Int(record64)
      count = try field(UInt64.self, recordStart + 32, "ZIP64 end record")
      size = try field(UInt64.self, recordStart + 40, "ZIP64 end record")
      offset = try field(UInt64.self, recordStart + 48, "ZIP64 end record")
    }
    guard offset <= UInt64(recordStart), size <= UInt64(recordStart) - offset,
      count <= size / UInt64(centralHeaderSize)
    else {
      throw .zipMalformed(
        file: file,
        what: "central directory (\(count) entries, \(size) bytes at \(offset)) outside the file",
        offset: recordStart)
    }
    return (Int(offset), Int(offset + size), Int(count))
  }

  /// Reads the central directory entry at `offset`: its name, the range of its data (checked
  /// through its local header) and the offset of the next entry.
  private static func centralEntry(
    _ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int, file: String
  )
    throws(FormatError) -> (String, Range<Int>, Int)
  {
    guard offset <= limit - centralHeaderSize,
      let header = bytes.slice(offset..<offset + centralHeaderSize),
      header.littleEndian(UInt32.self, at: 0) == 0x0201_4b50,
      let flags = header.littleEndian(UInt16.self, at: 8),
      let method = header.littleEndian(UInt16.self, at: 10),
      let compressed32 = header.littleEndian(UInt32.self, at: 20),
      let size32 = header.littleEndian(UInt32.self, at: 24),
      let nameLength = header.littleEndian(UInt16.self, at: 28),
      let extraLength = header.littleEndian(UInt16.self, at: 30),
      let commentLength = header.littleEndian(UInt16.self, at: 32),
      let local32 = header.littleEndian(UInt32.self, at: 42)
    else { throw .zipMalformed(file: file, what: "bad central directory entry", offset: offset) }
    let nameStart = offset + centralHeaderSize
    let next = nameStart + Int(nameLength) + Int(extraLength) + Int(commentLength)
    guard next <= limit, let nameBytes = bytes.slice(nameStart..<nameStart + Int(nameLength)),
      let name = String(validating: nameBytes, as: UTF8.self),
      let extra = bytes.slice(
        nameStart + Int(nameLength)..<nameStart + Int(nameLength) + Int(extraLength))
    else {
      throw .zipMalformed(file: file, what: "bad central directory entry name", offset: offset)
    }
    guard method == 0, flags & 1 == 0 else {
      throw .zipUnsupportedEntry(file: file, entry: name, method: Int(method), flags: Int(flags))
    }
    var values = (size: UInt64(size32), compressed: UInt64(compressed32), local: UInt64(local32))
    try readZip64Extra(extra, into: &values, file: file, offset: offset)
    guard values.size == values.compressed else {
      throw .zipMalformed(
        file: file, what: "stored entry '\(name)' with differing sizes", offset: offset)
    }
    let range = try dataRange(bytes, local: values.local, size: values.size, name: name, file: file)
    return (name, range, next)
  }

  /// Replaces saturated 32-bit values by those of the ZIP64 extra field (id 1), in the
  /// order the format prescribes: size, compressed size, local header offset.
  private static func readZip64Extra(
    _ extra: UnsafeRawBufferPointer,
    into values: inout (size: UInt64, compressed: UInt64, local: UInt64),
    file: String, offset: Int
  ) throws(FormatError) {
    guard
      values.size == 0xFFFF_FFFF || values.compressed == 0xFFFF_FFFF || values.local == 0xFFFF_FFFF
    else { return }
    var position = 0
    while let id = extra.littleEndian(UInt16.self, at: position),
      let length = extra.littleEndian(UInt16.self, at: position + 2)
    {
      let body = position + 4
      if id == 1 {
        var cursor = body
        func next() throws(FormatError) -> UInt64 {
          guard cursor + 8 <= body + Int(length),
            let value = extra.littleEndian(UInt64.self, at: cursor)
          else {
            throw .zipMalformed(file: file, what: "short ZIP64 extra field", offset: offset)
          }
          cursor += 8
          return value
        }
        if values.size == 0xFFFF_FFFF { values.size = try next() }
        if values.compressed == 0xFFFF_FFFF { values.compressed = try next() }
        if values.local == 0xFFFF_FFFF { values.local = try next() }
        return
      }
      position = body + Int(length)
    }
    throw .zipMalformed(
      file: file, what: "saturated sizes without a ZIP64 extra field", offset: offset)
  }

  /// The data range of an entry, from its local header at `local`.
  private static func dataRange(
    _ bytes: UnsafeRawBufferPointer, local: UInt64, size: UInt64, name: String, file: String
  ) throws(FormatError) -> Range<Int> {
    guard local <= UInt64(bytes.count), size <= UInt64(bytes.count) else {
      throw .zipMalformed(
        file: file, what: "entry '\(name)' outside the file",
        offset: Int(min(local, UInt64(Int.max))))
    }
    let start = Int(local)
    guard bytes.littleEndian(UInt32.self, at: start) == 0x0403_4b50,
      let nameLength = bytes.littleEndian(UInt16.self, at: start + 26),
      let extraLength = bytes.littleEndian(UInt16.self, at: start + 28)
    else { throw .zipMalformed(file: file, what: "bad local header of '\(name)'", offset: start) }
    let dataStart = start + localHeaderSize + Int(nameLength) + Int(extraLength)
    guard dataStart + Int(size) <= bytes.count else {
      throw .zipMalformed(
        file: file, what: "data of '\(name)' (\(size) bytes) runs past the end", offset: dataStart)
    }
    return dataStart..<dataStart + Int(size)
  }
}
