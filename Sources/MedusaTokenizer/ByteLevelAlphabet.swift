/// GPT-2's reversible map between the 256 byte values and printable Unicode scalars: bytes
/// `!`...`~`, U+00A1...U+00AC and U+00AE...U+00FF stand for themselves, the other 68 bytes
/// (controls, space, U+00AD...) map to U+0100 onwards in increasing byte order.
enum ByteLevelAlphabet {
  /// The scalar standing for each byte.
  static let scalarForByte: [Unicode.Scalar] = {
    var table = [Unicode.Scalar](repeating: "\0", count: 256)
    var next: UInt32 = 256
    for byte in 0..<256 {
      let visible =
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
      let value = visible ? UInt32(byte) : next
      if !visible { next += 1 }
      table[byte] = Unicode.Scalar(value) ?? "\0"
    }
    return table
  }()

  /// The byte a scalar stands for, or nil for scalars outside the alphabet.
  @inline(__always)
  static func byte(for scalar: Unicode.Scalar) -> UInt8? {
    let value = scalar.value
    if value < 256 {
      let visible =
        (0x21...0x7E).contains(value) || (0xA1...0xAC).contains(value)
        || (0xAE...0xFF).contains(value)
      return visible ? UInt8(value) : nil
    }
    guard value < 256 + 68 else { return nil }
    return byteForExtra[Int(value - 256)]
  }

  /// Bytes of the scalars U+0100 ..< U+0144.
  private static let byteForExtra: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 68)
    for byte in 0..<256 where scalarForByte[byte].value >= 256 {
      table[Int(scalarForByte[byte].value) - 256] = UInt8(byte)
    }
    return table
  }()

  /// The byte-level form of `scalars`: each UTF-8 byte replaced by its scalar.
  static func encode(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    out.reserveCapacity(scalars.count)
    for scalar in scalars {
      if scalar.value < 0x80 {
        out.append(scalarForByte[Int(scalar.value)])
      } else {
        forEachUTF8Byte(of: scalar) { out.append(scalarForByte[Int($0)]) }
      }
    }
    return out
  }
}

/// Calls `body` with each UTF-8 byte of `scalar`, in order.
@inline(__always)
func forEachUTF8Byte(of scalar: Unicode.Scalar, _ body: (UInt8) -> Void) {
  let value = scalar.value
  switch value {
  case 0..<0x80:
    body(UInt8(value))
  case 0x80..<0x800:
    body(UInt8(0xC0 | (value >> 6)))
    body(UInt8(0x80 | (value & 0x3F)))
  case 0x800..<0x10000:
    body(UInt8(0xE0 | (value >> 12)))
    body(UInt8(0x80 | ((value >> 6) & 0x3F)))
    body(UInt8(0x80 | (value & 0x3F)))
  default:
    body(UInt8(0xF0 | (value >> 18)))
    body(UInt8(0x80 | ((value >> 12) & 0x3F)))
    body(UInt8(0x80 | ((value >> 6) & 0x3F)))
    body(UInt8(0x80 | (value & 0x3F)))
  }
}
