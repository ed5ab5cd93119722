extension FormatError {
  /// The one-line message of a GGUF error. Names from the file (keys, tensor names) may hold
  /// any character, so control characters are escaped (`\u{A}`) to keep the message on one line.
  var ggufDescription: String {
    let text: String =
      switch self {
      case .ggufBadMagic(let file, let magic):
        "\(file): not a GGUF file (starts with \(hexBytes(magic)), not \"GGUF\")"
      case .ggufVersion1(let file):
        "\(file): GGUF version 1 is not supported (only versions 2 and 3)"
      case .ggufUnknownVersion(let file, let version):
        "\(file): unknown GGUF version \(version) (only versions 2 and 3 are read)"
      case .ggufBigEndian(let file, let version):
        "\(file): big-endian GGUF file (version \(version)); only little-endian files are read"
      case .ggufTruncated(let file, let what, let offset):
        "\(file): file ends inside \(what) at byte offset \(offset)"
      case .ggufCountTooLarge(let file, let what, let count, let size, let offset, let available):
        "\(file): \(what) \(count) at byte offset \(offset) needs at least \(size) bytes each, "
          + "only \(available) bytes remain"
      case .ggufStringTooLong(let file, let what, let length, let offset, let available):
        "\(file): \(what): string length \(length) at byte offset \(offset) runs past the end "
          + "(\(available) bytes remain)"
      case .ggufNotUTF8(let file, let what, let offset):
        "\(file): \(what) at byte offset \(offset) is not valid UTF-8"
      case .ggufEmptyKey(let file, let offset):
        "\(file): empty metadata key at byte offset \(offset)"
      case .ggufUnknownValueType(let file, let key, let type, let offset):
        "\(file): key '\(key)': unknown value type \(type) at byte offset \(offset)"
      case .ggufNestingTooDeep(let file, let key, let limit, let offset):
        "\(file): key '\(key)': arrays nested deeper than \(limit) levels at byte offset \(offset)"
      case .ggufInvalidBool(let file, let key, let byte, let offset):
        "\(file): key '\(key)': bool byte \(byte) at byte offset \(offset) is neither 0 nor 1"
      case .ggufDuplicateKey(let file, let key): "\(file): metadata key '\(key)' appears twice"
      case .ggufAlignmentType(let file, let type):
        "\(file): 'general.alignment' is \(type), not UINT32"
      case .ggufInvalidAlignment(let file, let alignment):
        "\(file): 'general.alignment' \(alignment) is not a power of two"
      case .ggufDuplicateTensor(let file, let tensor):
        "\(file): tensor '\(tensor)' appears twice"
      case .ggufUnknownTensorType(let file, let tensor, let type):
        "\(file): tensor '\(tensor)': unknown ggml type \(type)"
      case .ggufDimensionCount(let file, let tensor, let count):
        "\(file): tensor '\(tensor)': \(count) dimensions, not 1...4"
      case .ggufShapeOverflow(let file, let tensor, let dimensions):
        "\(file): tensor '\(tensor)': size of dimensions \(dimensions) overflows"
      case .ggufRowNotBlockMultiple(let file, let tensor, let type, let rowLength, let blockSize):
        "\(file): tensor '\(tensor)': row of \(rowLength) elements is not a multiple of the "
          + "\(type) block size \(blockSize)"
      case .ggufMisalignedTensor(let file, let tensor, let offset, let alignment):
        "\(file): tensor '\(tensor)': data offset \(offset) is not a multiple of the alignment "
          + "\(alignment)"
      case .ggufTensorOutOfBounds(let file, let tensor, let offset, let byteCount, let dataSize):
        "\(file): tensor '\(tensor)': \(byteCount) bytes at data offset \(offset) run past the "
          + "\(dataSize)-byte data section"
      case .ggufDataOffsetOutOfBounds(let file, let dataOffset, let fileSize):
        "\(file): data section starts at byte \(dataOffset), past the end of the \(fileSize)-byte file"
      default: ""
      }
    return escapingControlCharacters(text)
  }
}

/// `text` with every control character (and the line and paragraph separators) written as a
/// `\u{...}` escape.
func escapingControlCharacters(_ text: String) -> String {
  var out = String.UnicodeScalarView()
  for scalar in text.unicodeScalars {
    if scalar.properties.generalCategory == .control || scalar == "\u{2028}"
      || scalar == "\u{2029}"
    {
      out.append(
        contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
    } else {
      out.append(scalar)
    }
  }
  return String(out)
}

/// `bytes` as space-separated hex pairs ("47 47 55 46"), or "no bytes".
private func hexBytes(_ bytes: [UInt8]) -> String {
  guard !bytes.isEmpty else { return "no bytes" }
  return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}
