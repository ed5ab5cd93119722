/// A strict RFC 8259 JSON parser over raw bytes (no comments, no trailing commas, no lone
/// surrogates, no byte-order mark before the value, numbers finite, object keys unique byte for
/// byte, nesting at most `maxDepth` deep); whitespace around the top value is allowed. Strings
/// keep every scalar as written, a U+FEFF inside them included.
struct JSONParser {
  /// Deepest nesting accepted, so hostile input cannot exhaust the stack (in parsing, comparing
  /// or freeing the value).
  static let maxDepth = 128

  private let bytes: UnsafeRawBufferPointer
  private var position = 0

  private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

  /// Parses `bytes` as one JSON value.
  static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSONValue {
    if let offset = firstInvalidUTF8(bytes) { throw .notUTF8(offset: offset) }
    var parser = JSONParser(bytes: bytes)
    parser.skipWhitespace()
    let value = try parser.parseValue(depth: 0)
    parser.skipWhitespace()
    guard parser.position == bytes.count else { throw parser.error("trailing characters") }
    return value
  }

  private func error(_ message: String) -> JSONError { .syntax(message, offset: position) }

  private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  private mutating func skipWhitespace() {
    while let c = current, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { position += 1 }
  }

  private mutating func expect(_ byte: UInt8) throws(JSONError) {
    guard current != nil else { throw error("unexpected end of input") }
    guard current == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
    position += 1
  }

  private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
    guard depth < JSONParser.maxDepth else {
      throw error("nested deeper than \(JSONParser.maxDepth)")
    }
    switch current {
    case UInt8(ascii: "{"): return try parseObject(depth: depth)
    case UInt8(ascii: "["): return try parseArray(depth: depth)
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
    case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
    case UInt8(ascii: "n"): try parseLiteral("null"); return .null
    case .some(let c) where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39):
      return try parseNumber()
    case nil: throw error("unexpected end of input")
    case 0xEF
    where position + 2 < bytes.count && bytes[position + 1] == 0xBB
      && bytes[position + 2] == 0xBF:
      throw error("byte-order mark (U+FEFF) outside a string")
    default: throw error("unexpected character")
    }
  }

  private mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
    let start = position
    for byte in UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
      guard current == byte else {
        position = start
        throw error("invalid literal")
      }
      position += 1
    }
  }

  private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
    position += 1
    var members: [(key: String, value: JSONValue)] = []
    var seen = Set<[UInt8]>()
    skipWhitespace()
    if current == UInt8(ascii: "}") {
      position += 1
      return .object(members)
    }
    while true {
      skipWhitespace()
      guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
      let keyOffset = position
      let key = try parseString()
      guard seen.insert(Array(key.utf8)).inserted else {
        throw .duplicateKey(key, offset: keyOffset)
      }
      skipWhitespace()
      try expect(UInt8(ascii: ":"))
      skipWhitespace()
      members.append((key, try parseValue(depth: depth + 1)))
      skipWhitespace()
      if current == UInt8(ascii: "}") {
        position += 1
        return .object(members)
      }
      try expect(UInt8(ascii: ","))
    }
  }

  private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
    position += 1
    var elements: [JSONValue] = []
    skipWhitespace()
    if current == UInt8(ascii: "]") {
      position += 1
      return .array(elements)
    }
    while true {
      skipWhitespace()
      elements.append(try parseValue(depth: depth + 1))
      skipWhitespace()
      if current == UInt8(ascii: "]") {
        position += 1
        return .array(elements)
      }
      try expect(UInt8(ascii: ","))
    }
  }

  private mutating func parseNumber() throws(JSONError) -> JSONValue {
    let start = position
    var isInteger = true
    if current == UInt8(ascii: "-") { position += 1 }
    if current == UInt8(ascii: "0") {
      position += 1
    } else {
      guard try skipDigits() > 0 else { throw error("invalid number") }
    }
    if current == UInt8(ascii: ".") {
      isInteger = false
      position += 1
      guard try skipDigits() > 0 else { throw error("invalid number") }
    }
    if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
      isInteger = false
      position += 1
      if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
      guard try skipDigits() > 0 else { throw error("invalid number") }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    if isInteger, let value = Int(text) { return .integer(value) }
    guard let value = Double(text), value.isFinite else {
      position = start
      throw error("number \(text) is out of range")
    }
    return .number(value)
  }

  private mutating func skipDigits() throws(JSONError) -> Int {
    let start = position
    while let c = current, c >= 0x30 && c <= 0x39 { position += 1 }
    return position - start
  }

  private mutating func parseString() throws(JSONError) -> String {
    position += 1
    var out: [UInt8] = []
    while true {
      guard let c = current else { throw error("unterminated string") }
      position += 1
      switch c {
      case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
      case UInt8(ascii: "\\"): try parseEscape(into: &out)
      case 0..<0x20: throw error("control character in string")
      default: out.append(c)
      }
    }
  }

  private mutating func parseEscape(into out: inout [UInt8]) throws(JSONError) {
    guard let c = current else { throw error("unterminated escape") }
    position += 1
    switch c {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
    case UInt8(ascii: "b"): out.append(0x08)
    case UInt8(ascii: "f"): out.append(0x0C)
    case UInt8(ascii: "n"): out.append(0x0A)
    case UInt8(ascii: "r"): out.append(0x0D)
    case UInt8(ascii: "t"): out.append(0x09)
    case UInt8(ascii: "u"): try parseUnicodeEscape(into: &out)
    default:
      position -= 1
      throw error("invalid escape")
    }
  }

  private mutating func parseUnicodeEscape(into out: inout [UInt8]) throws(JSONError) {
    var scalar = try parseHex4()
    if (0xD800..<0xDC00).contains(scalar) {
      guard current == UInt8(ascii: "\\") else { throw error("lone surrogate") }
      position += 1
      guard current == UInt8(ascii: "u") else { throw error("lone surrogate") }
      position += 1
      let low = try parseHex4()
      guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
      scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
    }
    guard let unicode = Unicode.Scalar(scalar) else { throw error("lone surrogate") }
    out.append(contentsOf: String(unicode).utf8)
  }

  private mutating func parseHex4() throws(JSONError) -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let c = current else { throw error("invalid \\u escape") }
      let digit: UInt8
      switch c {
      case 0x30...0x39: digit = c - 0x30
      case 0x41...0x46: digit = c - 0x41 + 10
      case 0x61...0x66: digit = c - 0x61 + 10
      default: throw error("invalid \\u escape")
      }
      value = value << 4 | UInt32(digit)
      position += 1
    }
    return value
  }
}

/// The offset of the first byte of the first invalid UTF-8 sequence in `bytes`, or nil.
func firstInvalidUTF8(_ bytes: UnsafeRawBufferPointer) -> Int? {
  if String(validating: bytes, as: UTF8.self) != nil { return nil }
  var iterator = bytes.makeIterator()
  var decoder = UTF8()
  var offset = 0
  while case .scalarValue(let scalar) = decoder.decode(&iterator) {
    offset += UTF8.width(scalar)
  }
  return offset
}
