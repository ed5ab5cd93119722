/// The decoded, validated header of a GGUF file: everything before the data section.
///
/// Layout (ggml docs/gguf.md, versions 2 and 3; all little-endian):
///
///     "GGUF"  uint32 version  uint64 tensor_count  uint64 metadata_kv_count
///     metadata_kv_count x (string key, uint32 value_type, value)
///     tensor_count x (string name, uint32 n_dims, n_dims x uint64 ne, uint32 ggml_type,
///                     uint64 offset)
///     padding to `general.alignment` (default 32), then the data section
///
/// where a string is a uint64 byte length and that many UTF-8 bytes. The rules are those of
/// ggml's `gguf_init_from_file_impl` and gguf-py's `GGUFReader`, listed in Docs/GGUF.md.
struct GGUFHeader {
  /// The alignment when `general.alignment` is absent.
  static let defaultAlignment = 32
  /// The most dimensions a ggml tensor has (GGML_MAX_DIMS).
  static let maximumDimensions = 4
  /// The fewest bytes a tensor info takes: name length, n_dims, one dimension, type, offset.
  static let minimumTensorInfoSize = 8 + 4 + 8 + 4 + 8
  /// The fewest bytes a metadata entry takes: key length, value type, a one-byte value.
  static let minimumEntrySize = 8 + 4 + 1

  /// The format version (2 or 3).
  let version: Int
  /// The metadata in file order.
  let metadata: [(key: String, value: GGUFValue)]
  /// The data alignment.
  let alignment: Int
  /// The tensor infos in file order.
  let tensors: [GGUFTensorInfo]
  /// The byte offset of the data section in the file.
  let dataOffset: Int

  /// Parses and validates the header of `bytes`, the whole file at `file`.
  init(bytes: UnsafeRawBufferPointer, file: String) throws(FormatError) {
    var cursor = GGUFCursor(bytes: bytes, file: file)
    let magic = Array(bytes.prefix(4))
    guard "GGUF".utf8.starts(with: magic) else { throw .ggufBadMagic(file: file, magic: magic) }
    _ = try cursor.raw(4, "the magic")
    version = try Self.readVersion(&cursor)
    let tensorCount = try cursor.count("tensor count", minimumSize: Self.minimumTensorInfoSize)
    let entryCount = try cursor.count("metadata count", minimumSize: Self.minimumEntrySize)
    metadata = try GGUFMetadataReader.read(count: entryCount, cursor: &cursor)
    alignment = try Self.alignment(metadata, file: file)
    var pending: [Pending] = []
    pending.reserveCapacity(tensorCount)
    var seen = Set<[UInt8]>()
    for index in 0..<tensorCount {
      let info = try Self.readTensorInfo(index: index, cursor: &cursor)
      guard seen.insert(Array(info.name.utf8)).inserted else {
        throw .ggufDuplicateTensor(file: file, tensor: info.name)
      }
      pending.append(info)
    }
    // The data section starts at the next multiple of the alignment (gguf-py pads even when
    // there are no tensors; the alignment is below 2^32, so this cannot overflow).
    let end = cursor.offset
    dataOffset = (end + alignment - 1) / alignment * alignment
    if !pending.isEmpty && dataOffset > bytes.count {
      throw .ggufDataOffsetOutOfBounds(file: file, dataOffset: dataOffset, fileSize: bytes.count)
    }
    tensors = try Self.place(
      pending, alignment: alignment, dataSize: max(0, bytes.count - dataOffset), file: file)
  }

  /// A tensor info whose offset is not yet checked against the data section.
  private struct Pending {
    let name: String
    let type: GGMLType
    let dimensions: [Int]
    let byteCount: Int
    let offset: UInt64
  }

  /// Reads the version: 2 and 3 are accepted; 1, big-endian files and others are rejected by
  /// name. A big-endian file is recognized as ggml and gguf-py do: the low 16 bits of the
  /// version read little-endian are zero (version 3 reads as 0x03000000).
  private static func readVersion(_ cursor: inout GGUFCursor) throws(FormatError) -> Int {
    let version = try cursor.integer(UInt32.self, "the version")
    switch version {
    case 2, 3: return Int(version)
    case 1: throw .ggufVersion1(file: cursor.file)
    case let other where other != 0 && other & 0xFFFF == 0:
      throw .ggufBigEndian(file: cursor.file, version: other.byteSwapped)
    default: throw .ggufUnknownVersion(file: cursor.file, version: version)
    }
  }

  /// `general.alignment`: a uint32 power of two (ggml reads it with `gguf_get_val_u32`);
  /// 32 when absent.
  private static func alignment(
    _ metadata: [(key: String, value: GGUFValue)], file: String
  ) throws(FormatError) -> Int {
    guard let value = metadata.first(where: { $0.key == "general.alignment" })?.value else {
      return defaultAlignment
    }
    guard case .uint32(let alignment) = value else {
      throw .ggufAlignmentType(file: file, type: value.type.name)
    }
    guard alignment != 0, alignment & (alignment - 1) == 0 else {
      throw .ggufInvalidAlignment(file: file, alignment: alignment)
    }
    return Int(alignment)
  }

  /// Reads tensor info `index`, checking its dimension count, dimensions, type, row length
  /// and size (but not yet its offset).
  private static func readTensorInfo(index: Int, cursor: inout GGUFCursor) throws(FormatError)
    -> Pending
  {
    let file = cursor.file
    let name = try cursor.string("the name of tensor \(index)")
    let dimensionCount = try cursor.integer(UInt32.self, "the dimension count of '\(name)'")
    guard (1...UInt32(maximumDimensions)).contains(dimensionCount) else {
      throw .ggufDimensionCount(file: file, tensor: name, count: dimensionCount)
    }
    var stored: [UInt64] = []
    for _ in 0..<dimensionCount {
      stored.append(try cursor.integer(UInt64.self, "the dimensions of '\(name)'"))
    }
    let rawType = try cursor.integer(UInt32.self, "the type of '\(name)'")
    let offset = try cursor.integer(UInt64.self, "the offset of '\(name)'")
    guard let type = GGMLType(rawValue: rawType) else {
      throw .ggufUnknownTensorType(file: file, tensor: name, type: rawType)
    }
    // ggml reads each ne as int64 and rejects negative ones; zero is allowed (an empty tensor).
    var dimensions: [Int] = []
    var elements = 1
    for dimension in stored {
      guard let size = Int(exactly: dimension) else {
        throw .ggufShapeOverflow(file: file, tensor: name, dimensions: stored)
      }
      let (product, overflow) = elements.multipliedReportingOverflow(by: size)
      guard !overflow else {
        throw .ggufShapeOverflow(file: file, tensor: name, dimensions: stored)
      }
      elements = product
      dimensions.append(size)
    }
    let rowLength = dimensions[0]
    guard rowLength % type.blockSize == 0 else {
      throw .ggufRowNotBlockMultiple(
        file: file, tensor: name, type: type.name, rowLength: rowLength,
        blockSize: type.blockSize)
    }
    let (byteCount, overflow) = (elements / type.blockSize).multipliedReportingOverflow(
      by: type.blockBytes)
    guard !overflow else { throw .ggufShapeOverflow(file: file, tensor: name, dimensions: stored) }
    return Pending(
      name: name, type: type, dimensions: dimensions, byteCount: byteCount, offset: offset)
  }

  /// Checks that every tensor's offset is a multiple of `alignment` and its bytes lie inside
  /// the data section of `dataSize` bytes, and that no two tensors share a byte. Gaps
  /// (alignment padding, or unused bytes) are allowed, as in gguf-py; ggml is stricter and wants
  /// each tensor to start where the previous one's padded bytes end, in file order.
  private static func place(
    _ pending: [Pending], alignment: Int, dataSize: Int, file: String
  ) throws(FormatError) -> [GGUFTensorInfo] {
    var infos: [GGUFTensorInfo] = []
    infos.reserveCapacity(pending.count)
    for tensor in pending {
      guard tensor.offset % UInt64(alignment) == 0 else {
        throw .ggufMisalignedTensor(
          file: file, tensor: tensor.name, offset: tensor.offset, alignment: alignment)
      }
      guard let offset = Int(exactly: tensor.offset), offset <= dataSize,
        tensor.byteCount <= dataSize - offset
      else {
        throw .ggufTensorOutOfBounds(
          file: file, tensor: tensor.name, offset: tensor.offset, byteCount: tensor.byteCount,
          dataSize: dataSize)
      }
      infos.append(
        GGUFTensorInfo(
          name: tensor.name, type: tensor.type, dimensions: tensor.dimensions, offset: offset,
          byteCount: tensor.byteCount))
    }
    let ordered = infos.filter { $0.byteCount > 0 }.sorted {
      ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount)
    }
    for (previous, info) in zip(ordered, ordered.dropFirst())
    where info.offset < previous.offset + previous.byteCount {
      throw .overlappingTensors(
        file: file, tensor: info.name, other: previous.name, offset: info.offset)
    }
    return infos
  }
}
