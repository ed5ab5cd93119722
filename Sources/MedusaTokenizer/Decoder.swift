/// A decoder of tokenizer.json (`"decoder"`): turns the token strings of ids back into text.
///
/// Decoders work on a list of token strings (as scalars) and return a new list, in the
/// configured order; the final text is the concatenation (the library's `decode_chain`).
indirect enum Decoder {
  /// Runs the decoders in order.
  case sequence([Decoder])
  /// GPT-2 byte-level: every token's stand-in scalars back to bytes (a token with a scalar
  /// outside the alphabet contributes its own UTF-8), all joined and decoded as UTF-8 with
  /// U+FFFD for each maximal invalid subsequence. Produces a single string.
  case byteLevel
  /// Replacement scalars become spaces; in the first token they are dropped unless the
  /// prepend scheme is `never`.
  case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme)
  /// Replaces a literal in every token.
  case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
  /// Runs of `<0xAB>` tokens become the text of their bytes, or one U+FFFD per byte when the
  /// run is not valid UTF-8.
  case byteFallback
  /// Joins all tokens into one.
  case fuse
  /// Removes up to `start` leading and `stop` trailing `content` scalars from every token.
  case strip(content: Unicode.Scalar, start: Int, stop: Int)

  /// Reads the decoder at `path`.
  init(json: JSON, path: String) throws {
    let fields = try JSONFields(json, path: path)
    let type = try fields.type()
    switch type {
    case "Sequence":
      let parts = try fields.array("decoders")
      self = .sequence(
        try parts.enumerated().map {
          try Decoder(json: $0.element, path: fields.field("decoders.\($0.offset)"))
        })
    case "ByteLevel":
      self = .byteLevel
    case "Metaspace":
      let replacement = Array(try fields.string("replacement").unicodeScalars)
      guard replacement.count == 1, let scalar = replacement.first else {
        throw TokenizerError.invalidField(
          field: fields.field("replacement"), reason: "expected one character")
      }
      self = .metaspace(
        replacement: scalar, prependScheme: try PreTokenizer.prependScheme(fields))
    case "Replace":
      self = .replace(
        pattern: try StringPattern.literal(fields.object("pattern")),
        content: Array(try fields.string("content").unicodeScalars))
    case "ByteFallback":
      self = .byteFallback
    case "Fuse":
      self = .fuse
    case "Strip":
      let content = Array(try fields.string("content").unicodeScalars)
      guard content.count == 1, let scalar = content.first else {
        throw TokenizerError.invalidField(
          field: fields.field("content"), reason: "expected one character")
      }
      self = .strip(
        content: scalar, start: try fields.int("start", default: 0),
        stop: try fields.int("stop", default: 0))
    default:
      throw TokenizerError.unsupportedComponent(field: path, type: type)
    }
  }

  /// Decodes a list of tokens into a new list.
  func decodeChain(_ tokens: [[Unicode.Scalar]]) -> [[Unicode.Scalar]] {
    switch self {
    case .sequence(let parts):
      return parts.reduce(tokens) { $1.decodeChain($0) }
    case .byteLevel:
      var bytes: [UInt8] = []
      for token in tokens {
        let mapped = token.compactMap(ByteLevelAlphabet.byte(for:))
        if mapped.count == token.count {
          bytes += mapped
        } else {
          for scalar in token { forEachUTF8Byte(of: scalar) { bytes.append($0) } }
        }
      }
      return [Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)]
    case .metaspace(let replacement, let prependScheme):
      return tokens.enumerated().map { index, token in
        token.compactMap { scalar -> Unicode.Scalar? in
          guard scalar == replacement else { return scalar }
          return index == 0 && prependScheme != .never ? nil : " "
        }
      }
    case .replace(let pattern, let content):
      return tokens.map { replacingOccurrences(in: $0, of: pattern, with: content) }
    case .byteFallback:
      return Decoder.byteFallback(tokens)
    case .fuse:
      return [Array(tokens.joined())]
    case .strip(let content, let start, let stop):
      return tokens.map { token in
        var startCut = 0
        while startCut < min(start, token.count), token[startCut] == content { startCut += 1 }
        var stopCut = token.count
        while token.count - stopCut < stop, stopCut > startCut, token[stopCut - 1] == content {
          stopCut -= 1
        }
        return Array(token[startCut..<stopCut])
      }
    }
  }

  /// The ByteFallback decoder.
  private static func byteFallback(_ tokens: [[Unicode.Scalar]]) -> [[Unicode.Scalar]] {
    var out: [[Unicode.Scalar]] = []
    var pending: [UInt8] = []
    func flush() {
      guard !pending.isEmpty else { return }
      if let text = String(validating: pending, as: UTF8.self) {
        out.append(Array(text.unicodeScalars))
      } else {
        out += Array(repeating: ["\u{FFFD}"], count: pending.count)
      }
      pending.removeAll()
    }
    for token in tokens {
      if let byte = byteFallbackValue(token) {
        pending.append(byte)
      } else {
        flush()
        out.append(token)
      }
    }
    flush()
    return out
  }

  /// The byte of a `<0xAB>` token (six bytes, two hex digits, or `+` and one digit as Rust's
  /// `u8::from_str_radix` also accepts), else nil.
  static func byteFallbackValue(_ token: [Unicode.Scalar]) -> UInt8? {
    guard token.count == 6, token[0] == "<", token[1] == "0", token[2] == "x", token[5] == ">",
      let low = hexValue(token[4])
    else { return nil }
    if token[3] == "+" { return low }
    guard let high = hexValue(token[3]) else { return nil }
    return high << 4 | low
  }

  private static func hexValue(_ scalar: Unicode.Scalar) -> UInt8? {
    switch scalar.value {
    case 0x30...0x39: return UInt8(scalar.value - 0x30)
    case 0x41...0x46: return UInt8(scalar.value - 0x41 + 10)
    case 0x61...0x66: return UInt8(scalar.value - 0x61 + 10)
    default: return nil
    }
  }
}
