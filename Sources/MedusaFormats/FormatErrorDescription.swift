extension FormatError {
  /// A one-line English message naming the file, tensor or field and the offending value.
  public var description: String {
    switch self {
    case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
    case .unwritable(let file, let reason): "\(file): cannot write: \(reason)"
    case .invalidJSON(let file, let reason, let offset):
      "\(file): invalid JSON at byte \(offset): \(reason)"
    case .fileTooSmall(let file, let size):
      "\(file): \(size) bytes, shorter than the 8-byte safetensors header length"
    case .headerTruncated(let file, let length, let size):
      "\(file): header length \(length) runs past the end of the \(size)-byte file"
    case .headerTooLarge(let file, let length, let limit):
      "\(file): header length \(length) exceeds the \(limit)-byte limit"
    case .headerNotUTF8(let file): "\(file): header is not valid UTF-8"
    case .headerNotJSON(let file, let reason): "\(file): header is not JSON: \(reason)"
    case .headerNotObject(let file): "\(file): header is not a JSON object"
    case .missingField(let file, let tensor, let field):
      "\(file): tensor '\(tensor)' has no '\(field)'"
    case .wrongFieldType(let file, let tensor, let field, let expected):
      "\(file): tensor '\(tensor)': '\(field)' must be \(expected)"
    case .unknownDType(let file, let tensor, let dtype):
      "\(file): tensor '\(tensor)': unknown dtype '\(dtype)'"
    case .invalidShape(let file, let tensor, let value):
      "\(file): tensor '\(tensor)': shape dimension \(value) is not a non-negative integer"
    case .shapeOverflow(let file, let tensor, let shape):
      "\(file): tensor '\(tensor)': size of shape \(shape) overflows"
    case .offsetsReversed(let file, let tensor, let begin, let end):
      "\(file): tensor '\(tensor)': data_offsets begin \(begin) > end \(end)"
    case .offsetsOutOfBounds(let file, let tensor, let end, let dataSize):
      "\(file): tensor '\(tensor)': data_offsets end \(end) is past the \(dataSize)-byte data section"
    case .overlappingTensors(let file, let tensor, let other, let offset):
      "\(file): tensor '\(tensor)' starts at data offset \(offset), inside tensor '\(other)'"
    case .gapInData(let file, let offset, let next, let nextBegin):
      "\(file): data bytes \(offset)..<\(nextBegin) belong to no tensor (next is '\(next)')"
    case .trailingBytes(let file, let offset, let dataSize):
      "\(file): data bytes \(offset)..<\(dataSize) at the end belong to no tensor"
    case .byteCountMismatch(let file, let tensor, let expected, let actual):
      "\(file): tensor '\(tensor)': shape and dtype need \(expected) bytes, data_offsets span \(actual)"
    case .misalignedSubByteTensor(let file, let tensor, let bits):
      "\(file): tensor '\(tensor)': \(bits) bits is not a whole number of bytes"
    case .invalidMetadata(let file, let key):
      key.isEmpty
        ? "\(file): '__metadata__' must be an object of strings"
        : "\(file): '__metadata__' entry '\(key)' is not a string"
    case .duplicateKey(let file, let key): "\(file): JSON key '\(key)' appears twice"
    case .duplicateTensor(let name, let first, let second):
      "tensor '\(name)' is in both \(first) and \(second)"
    case .tensorNotFound(let name, let searched):
      "no tensor '\(name)' in \(searched.isEmpty ? "(no files)" : searched.joined(separator: ", "))"
    case .noCheckpoint(let directory):
      "\(directory): neither model.safetensors nor model.safetensors.index.json"
    case .invalidIndex(let file, let reason): "\(file): invalid shard index: \(reason)"
    case .shardMissing(let index, let shard): "\(index): shard '\(shard)' does not exist"
    case .tensorMissingFromShard(let index, let tensor, let shard):
      "\(index): assigns tensor '\(tensor)' to shard '\(shard)', which does not hold it"
    case .tensorNotInIndex(let index, let tensor, let shard):
      "\(index): shard '\(shard)' holds tensor '\(tensor)', which the index does not assign to it"
    case .notFloatingPoint(let file, let tensor, let dtype):
      "\(file): tensor '\(tensor)' is \(dtype), not F32, F16 or BF16"
    case .invalidTensorForWriting(let file, let tensor, let reason):
      "\(file): cannot write tensor '\(tensor)': \(reason)"
    case .zipNoEndRecord(let file):
      "\(file): no ZIP end-of-central-directory record (not a torch.save zip, or truncated)"
    case .zipMalformed(let file, let what, let offset):
      "\(file): malformed ZIP: \(what) at byte offset \(offset)"
    case .zipUnsupportedEntry(let file, let entry, let method, let flags):
      "\(file): ZIP entry '\(entry)' uses method \(method), flags \(flags); only stored entries are read"
    case .zipEntryMissing(let file, let entry): "\(file): no ZIP entry '\(entry)'"
    case .pickleUnsupportedOpcode(let file, let opcode, let offset):
      "\(file): pickle opcode 0x\(String(opcode, radix: 16)) at byte offset \(offset) is not allowed"
    case .pickleForbiddenGlobal(let file, let name, let offset):
      "\(file): pickle global '\(name)' at byte offset \(offset) is not allowed"
    case .pickleTruncated(let file, let offset):
      "\(file): pickle ends early at byte offset \(offset)"
    case .pickleMalformed(let file, let reason, let offset):
      "\(file): pickle at byte offset \(offset): \(reason)"
    case .invalidTensor(let file, let tensor, let reason):
      "\(file): '\(tensor)' is not a valid tensor: \(reason)"
    case .nonContiguousTensor(let file, let tensor, let shape, let stride):
      "\(file): tensor '\(tensor)' with shape \(shape) has non-contiguous stride \(stride)"
    case .storageOutOfBounds(let file, let tensor, let needed, let available):
      "\(file): tensor '\(tensor)' needs \(needed) bytes of storage, only \(available) exist"
    case .unsupportedByteOrder(let file, let byteOrder):
      "\(file): byte order '\(byteOrder)' is not supported (only 'little')"
    case .ggufBadMagic, .ggufVersion1, .ggufUnknownVersion, .ggufBigEndian, .ggufTruncated,
      .ggufCountTooLarge, .ggufStringTooLong, .ggufNotUTF8, .ggufEmptyKey, .ggufUnknownValueType,
      .ggufNestingTooDeep, .ggufInvalidBool, .ggufDuplicateKey, .ggufAlignmentType,
      .ggufInvalidAlignment, .ggufDuplicateTensor, .ggufUnknownTensorType, .ggufDimensionCount,
      .ggufShapeOverflow, .ggufRowNotBlockMultiple, .ggufMisalignedTensor, .ggufTensorOutOfBounds,
      .ggufDataOffsetOutOfBounds:
      ggufDescription
    }
  }
}
