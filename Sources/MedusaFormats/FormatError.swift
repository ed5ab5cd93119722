/// Every way a checkpoint file can be rejected. Each case names the file (a path), and where it
/// applies the tensor or field and the offending offset or value, so that the description alone
/// tells a user what is wrong and where.
public enum FormatError: Error, CustomStringConvertible, Equatable, Sendable {
  // MARK: Files

  /// The file could not be opened, inspected or mapped (`reason` is the system's message).
  case unreadable(file: String, reason: String)
  /// The file could not be written (`reason` is the system's message).
  case unwritable(file: String, reason: String)

  // MARK: JSON

  /// A JSON text (a file, or a named piece such as `stdin line 3`) that is not strict JSON:
  /// `reason` says what was wrong at byte `offset`.
  case invalidJSON(file: String, reason: String, offset: Int)

  // MARK: safetensors header

  /// The file is shorter than the 8-byte header length prefix.
  case fileTooSmall(file: String, size: Int)
  /// The header length prefix points past the end of the file.
  case headerTruncated(file: String, headerLength: UInt64, fileSize: Int)
  /// The header length prefix exceeds the 100 MB limit of the reference implementation.
  case headerTooLarge(file: String, headerLength: UInt64, limit: Int)
  /// The header bytes are not valid UTF-8.
  case headerNotUTF8(file: String)
  /// The header is not valid JSON (`reason` names the byte offset within the header).
  case headerNotJSON(file: String, reason: String)
  /// The header JSON is not an object.
  case headerNotObject(file: String)
  /// A tensor entry lacks one of `dtype`, `shape`, `data_offsets`.
  case missingField(file: String, tensor: String, field: String)
  /// A tensor entry field has the wrong JSON type (`expected` says what it should be).
  case wrongFieldType(file: String, tensor: String, field: String, expected: String)
  /// A dtype string that the safetensors format does not define.
  case unknownDType(file: String, tensor: String, dtype: String)
  /// A shape dimension that is not a non-negative integer (`value` is its JSON text).
  case invalidShape(file: String, tensor: String, value: String)
  /// The element count or byte size of a tensor overflows a machine integer.
  case shapeOverflow(file: String, tensor: String, shape: [Int])
  /// `data_offsets` has begin > end.
  case offsetsReversed(file: String, tensor: String, begin: Int, end: Int)
  /// `data_offsets` reaches past the end of the data section.
  case offsetsOutOfBounds(file: String, tensor: String, end: Int, dataSize: Int)
  /// A tensor's range starts before the previous one (in offset order) ends.
  case overlappingTensors(file: String, tensor: String, other: String, offset: Int)
  /// Bytes of the data section between `offset` and the next tensor's start belong to no tensor.
  case gapInData(file: String, offset: Int, nextTensor: String, nextBegin: Int)
  /// Bytes at the end of the data section, from `offset` on, belong to no tensor.
  case trailingBytes(file: String, offset: Int, dataSize: Int)
  /// `shape` times the dtype width differs from the `data_offsets` byte count.
  case byteCountMismatch(file: String, tensor: String, expected: Int, actual: Int)
  /// A tensor of a sub-byte dtype whose bit count is not a whole number of bytes.
  case misalignedSubByteTensor(file: String, tensor: String, bits: Int)
  /// `__metadata__` is not an object of string to string (`key` names the bad entry, or is empty).
  case invalidMetadata(file: String, key: String)
  /// The same JSON object key appears twice.
  case duplicateKey(file: String, key: String)

  // MARK: Stores and shards

  /// A tensor name present in two files.
  case duplicateTensor(name: String, firstFile: String, secondFile: String)
  /// No tensor of this name; `searched` lists the files that were looked in.
  case tensorNotFound(name: String, searched: [String])
  /// A folder with neither `model.safetensors` nor `model.safetensors.index.json`.
  case noCheckpoint(directory: String)
  /// A shard index that is not JSON or lacks a valid `weight_map` (`reason` says which).
  case invalidIndex(file: String, reason: String)
  /// A shard that the index names does not exist.
  case shardMissing(index: String, shard: String)
  /// The index assigns `tensor` to `shard`, but that shard does not hold it.
  case tensorMissingFromShard(index: String, tensor: String, shard: String)
  /// `shard` holds `tensor`, but the index does not assign that tensor to that shard.
  case tensorNotInIndex(index: String, tensor: String, shard: String)
  /// `floats()` on a tensor that is not F32, F16 or BF16.
  case notFloatingPoint(file: String, tensor: String, dtype: String)
  /// A tensor handed to the writer is inconsistent (`reason` says how).
  case invalidTensorForWriting(file: String, tensor: String, reason: String)

  // MARK: ZIP archives

  /// No ZIP end-of-central-directory record (not a ZIP, or truncated).
  case zipNoEndRecord(file: String)
  /// A ZIP structure is inconsistent (`what` names the record, `offset` its position).
  case zipMalformed(file: String, what: String, offset: Int)
  /// A ZIP entry is compressed or encrypted; torch stores entries uncompressed.
  case zipUnsupportedEntry(file: String, entry: String, method: Int, flags: Int)
  /// A ZIP entry that the checkpoint needs is absent.
  case zipEntryMissing(file: String, entry: String)

  // MARK: Pickles and torch tensors

  /// An opcode outside the restricted set, at `offset` within the pickle.
  case pickleUnsupportedOpcode(file: String, opcode: UInt8, offset: Int)
  /// A global outside the allow-list (`name` is `module.qualname`), at `offset`.
  case pickleForbiddenGlobal(file: String, name: String, offset: Int)
  /// The pickle ends in the middle of an opcode or without STOP.
  case pickleTruncated(file: String, offset: Int)
  /// The pickle is well-formed bytes but not a tensor state dict (`reason` says why).
  case pickleMalformed(file: String, reason: String, offset: Int)
  /// A pickled state dict entry that is not a valid tensor (`reason` says why).
  case invalidTensor(file: String, tensor: String, reason: String)
  /// A tensor whose strides are not those of a contiguous row-major tensor.
  case nonContiguousTensor(file: String, tensor: String, shape: [Int], stride: [Int])
  /// A tensor whose bytes reach past its storage, or a storage whose bytes reach past its blob.
  case storageOutOfBounds(file: String, tensor: String, needed: Int, available: Int)
  /// The checkpoint's `byteorder` entry is not `little`.
  case unsupportedByteOrder(file: String, byteOrder: String)

  // MARK: GGUF

  /// The file does not start with the bytes "GGUF" (`magic`: its first bytes, up to four).
  case ggufBadMagic(file: String, magic: [UInt8])
  /// A GGUF version 1 file (32-bit counts, superseded in 2023 and no longer read by ggml).
  case ggufVersion1(file: String)
  /// A GGUF version other than 1, 2 and 3.
  case ggufUnknownVersion(file: String, version: UInt32)
  /// A big-endian GGUF file: its version field reads byte-swapped (`version` is its
  /// big-endian value). Only little-endian files are read.
  case ggufBigEndian(file: String, version: UInt32)
  /// The file ends inside `what`, which starts at byte `offset`.
  case ggufTruncated(file: String, what: String, offset: Int)
  /// A count (of tensors, metadata entries or array elements; `what` says which) larger than
  /// the rest of the file can hold: `count` items of at least `minimumSize` bytes each, with
  /// `available` bytes left from `offset`.
  case ggufCountTooLarge(
    file: String, what: String, count: UInt64, minimumSize: Int, offset: Int, available: Int)
  /// A string (of `what`) whose length, stored at `offset`, runs past the end of the file.
  case ggufStringTooLong(file: String, what: String, length: UInt64, offset: Int, available: Int)
  /// A key, string or tensor name (`what`) that is not valid UTF-8, at byte `offset`.
  case ggufNotUTF8(file: String, what: String, offset: Int)
  /// A metadata key of zero bytes, at byte `offset` (ggml asserts keys are non-empty).
  case ggufEmptyKey(file: String, offset: Int)
  /// A value type number outside 0...12, for the value or array elements of `key`.
  case ggufUnknownValueType(file: String, key: String, type: UInt32, offset: Int)
  /// Arrays nested deeper than `limit` levels in the value of `key`.
  case ggufNestingTooDeep(file: String, key: String, limit: Int, offset: Int)
  /// A bool byte other than 0 and 1 in the value of `key`.
  case ggufInvalidBool(file: String, key: String, byte: UInt8, offset: Int)
  /// A metadata key that appears twice (compared byte for byte).
  case ggufDuplicateKey(file: String, key: String)
  /// `general.alignment` that is not a uint32 (`type` is the type it has).
  case ggufAlignmentType(file: String, type: String)
  /// `general.alignment` that is zero or not a power of two.
  case ggufInvalidAlignment(file: String, alignment: UInt32)
  /// Two tensor infos with the same name (compared byte for byte).
  case ggufDuplicateTensor(file: String, tensor: String)
  /// A tensor whose ggml type number is not one of `GGMLType`.
  case ggufUnknownTensorType(file: String, tensor: String, type: UInt32)
  /// A tensor with a dimension count outside 1...4 (GGML_MAX_DIMS).
  case ggufDimensionCount(file: String, tensor: String, count: UInt32)
  /// A tensor whose dimensions (as stored, `ne[0]` first) do not fit a signed 64-bit integer,
  /// or whose element count or byte size overflows one.
  case ggufShapeOverflow(file: String, tensor: String, dimensions: [UInt64])
  /// A tensor whose row length `ne[0]` is not a multiple of its type's block size.
  case ggufRowNotBlockMultiple(
    file: String, tensor: String, type: String, rowLength: Int, blockSize: Int)
  /// A tensor whose data offset is not a multiple of the file's alignment.
  case ggufMisalignedTensor(file: String, tensor: String, offset: UInt64, alignment: Int)
  /// A tensor whose bytes (`byteCount` from data offset `offset`) run past the data section.
  case ggufTensorOutOfBounds(
    file: String, tensor: String, offset: UInt64, byteCount: Int, dataSize: Int)
  /// The data section starts (after the tensor infos, aligned) past the end of the file.
  case ggufDataOffsetOutOfBounds(file: String, dataOffset: Int, fileSize: Int)
}
