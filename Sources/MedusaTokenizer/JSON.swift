/// A parsed JSON value.
///
/// Objects keep their members in file order as pairs, never in a `[String: ...]` dictionary:
/// Swift `String` equality and hashing follow canonical equivalence, so two vocabulary
/// entries such as "é" (U+00E9) and "e\u{301}" would collapse into one key.
indirect enum JSON {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSON])
  case object([JSONMember])

  /// The member `key` of an object (compared scalar by scalar), or nil.
  subscript(key: String) -> JSON? {
    guard case .object(let members) = self else { return nil }
    let wanted = Array(key.unicodeScalars)
    for member in members where member.key.unicodeScalars.elementsEqual(wanted) {
      return member.value
    }
    return nil
  }

  /// Whether the value is JSON `null`.
  var isNull: Bool {
    if case .null = self { return true }
    return false
  }
}

/// One member of a JSON object.
struct JSONMember {
  /// The member name.
  let key: String
  /// The member value.
  let value: JSON
}

/// A recursive-descent JSON parser over UTF-8 bytes (RFC 8259), with byte offsets in errors.
struct JSONParser {
  private let bytes: [UInt8]
  private var index = 0
  private let path: String

  /// Parses a whole document; `path` is used in error messages.
  static func parse(_ bytes: [UInt8], path: String) throws -> JSON {
    var parser = JSONParser(bytes: bytes, path: path)
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.index == bytes.count else { throw parser.error("trailing characters") }
    return value
  }

  private init(bytes: [UInt8], path: String) {
    self.bytes = bytes
    self.path = path
  }

  private func error(_ reason: String) -> TokenizerError {
    .invalidJSON(path: path, offset: index, reason: reason)
  }

  private mutating func skipWhitespace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func parseValue(depth: Int) throws -> JSON {
    guard depth < 512 else { throw error("nesting too deep") }
    skipWhitespace()
    guard index < bytes.count else { throw error("unexpected end of input") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
    case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
    case UInt8(ascii: "n"): return try parseLiteral("null", .null)
    default: return try parseNumber()
    }
  }

  private mutating func parseLiteral(_ word: String, _ value: JSON) throws -> JSON {
    for byte in word.utf8 {
      guard index < bytes.count, bytes[index] == byte else { throw error("invalid literal") }
      index += 1
    }
    return value
  }

  private mutating func parseObject(depth: Int) throws -> JSON {
    index += 1
    var members: [JSONMember] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
      index += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
        throw error("expected a member name")
      }
      let key = try parseString()
      skipWhitespace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
        throw error("expected ':'")
      }
      index += 1
      members.append(JSONMember(key: key, value: try parseValue(depth: depth + 1)))
      skipWhitespace()
      guard index < bytes.count else { throw error("unexpected end of input") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        return .object(members)
      } else {
        throw error("expected ',' or '}'")
      }
    }
  }

  private mutating func parseArray(depth: Int) throws -> JSON {
    index += 1
    var elements: [JSON] = []
    skipWhitespace()
    if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
      index += 1
      return .array(elements)
    }
    while true {
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      guard index < bytes.count else { throw error("unexpected end of input") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        return .array(elements)
      } else {
        throw error("expected ',' or ']'")
      }
    }
  }

  private mutating func parseNumber() throws -> JSON {
    let start = index
    while index < bytes.count, isNumberByte(bytes[index]) { index += 1 }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    guard !text.isEmpty, let value = Double(text), value.isFinite else {
      index = start
      throw error("invalid value")
    }
    return .number(value)
  }

  private func isNumberByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"),
      UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"):
      return true
    default:
      return false
    }
  }

  private mutating func parseString() throws -> String {
    index += 1
    var scalars = String.UnicodeScalarView()
    var runStart = index
    while true {
      guard index < bytes.count else { throw error("unterminated string") }
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        try appendRun(&scalars, runStart..<index)
        index += 1
        return String(scalars)
      }
      if byte < 0x20 { throw error("control character in string") }
      if byte != UInt8(ascii: "\\") {
        index += 1
        continue
      }
      try appendRun(&scalars, runStart..<index)
      index += 1
      guard index < bytes.count else { throw error("unterminated escape") }
      let escape = bytes[index]
      index += 1
      switch escape {
      case UInt8(ascii: "\""): scalars.append("\"")
      case UInt8(ascii: "\\"): scalars.append("\\")
      case UInt8(ascii: "/"): scalars.append("/")
      case UInt8(ascii: "b"): scalars.append("\u{8}")
      case UInt8(ascii: "f"): scalars.append("\u{C}")
      case UInt8(ascii: "n"): scalars.append("\n")
      case UInt8(ascii: "r"): scalars.append("\r")
      case UInt8(ascii: "t"): scalars.append("\t")
      case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
      default: throw error("invalid escape")
      }
      runStart = index
    }
  }

  private func appendRun(_ scalars: inout String.UnicodeScalarView, _ range: Range<Int>) throws {
    if range.isEmpty { return }
    guard let run = String(validating: bytes[range], as: UTF8.self) else {
      throw TokenizerError.invalidJSON(
        path: path, offset: range.lowerBound, reason: "invalid UTF-8")
    }
    scalars.append(contentsOf: run.unicodeScalars)
  }

  private mutating func parseHex4() throws -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("short \\u escape") }
    var value: UInt32 = 0
    for byte in bytes[index..<(index + 4)] {
      guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
        throw error("invalid \\u escape")
      }
      value = value * 16 + UInt32(digit)
    }
    index += 4
    return value
  }

  private mutating func parseUnicodeEscape() throws -> Unicode.Scalar {
    let first = try parseHex4()
    if (0xDC00...0xDFFF).contains(first) { throw error("unpaired surrogate") }
    if (0xD800...0xDBFF).contains(first) {
      guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"),
        bytes[index + 1] == UInt8(ascii: "u")
      else { throw error("unpaired surrogate") }
      index += 2
      let second = try parseHex4()
      guard (0xDC00...0xDFFF).contains(second) else { throw error("unpaired surrogate") }
      let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
      guard let scalar = Unicode.Scalar(value) else { throw error("invalid code point") }
      return scalar
    }
    guard let scalar = Unicode.Scalar(first) else { throw error("invalid code point") }
    return scalar
  }
}
