/// A parsed JSON value: the one JSON representation of the package (configs, tokenizer.json,
/// trees, safetensors headers, shard indexes, JSON-lines input).
///
/// It keeps what Foundation's parser blurs: integers apart from fractions (`1`, not `1.0`,
/// `1e0` or `true`, is an integer), booleans apart from numbers, object keys in file order, and
/// strings scalar for scalar (keys and strings are compared by Unicode scalars, never by Swift's
/// canonical equivalence, so "é" and "e\u{301}" are different keys). Parsing bounds the nesting
/// (`JSONValue.maxDepth`), so building, comparing and freeing a value never recurses deeply.
public enum JSONValue: Equatable, Sendable {
  /// An object, keys in file order (duplicates are rejected while parsing).
  case object([(key: String, value: JSONValue)])
  /// An array.
  case array([JSONValue])
  /// A string.
  case string(String)
  /// A number written without fraction or exponent that fits in `Int`.
  case integer(Int)
  /// Any other (finite) number.
  case number(Double)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null

  /// The deepest nesting of arrays and objects the parser accepts.
  public static let maxDepth = JSONParser.maxDepth

  /// Equality with strings and keys compared scalar by scalar.
  public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
      a.count == b.count
        && zip(a, b).allSatisfy { sameScalars($0.key, $1.key) && $0.value == $1.value }
    case (.array(let a), .array(let b)): a == b
    case (.string(let a), .string(let b)): sameScalars(a, b)
    case (.integer(let a), .integer(let b)): a == b
    case (.number(let a), .number(let b)): a == b
    case (.bool(let a), .bool(let b)): a == b
    case (.null, .null): true
    default: false
    }
  }

  /// Short JSON-like text for error messages (containers abbreviated, strings truncated).
  public var text: String {
    switch self {
    case .object: "{...}"
    case .array: "[...]"
    case .string(let s):
      JSONText.quoted(s.unicodeScalars.count > 40 ? String(s.unicodeScalars.prefix(40)) + "..." : s)
    case .integer(let i): String(i)
    case .number(let d): String(d)
    case .bool(let b): String(b)
    case .null: "null"
    }
  }

  /// What the value is, for messages such as "expected an integer, found the number 1.5".
  public var kind: String {
    switch self {
    case .object: "an object"
    case .array: "an array"
    case .string: "a string"
    case .integer(let i): "the integer \(i)"
    case .number(let d): "the number \(d)"
    case .bool(let b): "\(b)"
    case .null: "null"
    }
  }

  /// The members of an object, or nil.
  public var objectMembers: [(key: String, value: JSONValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The elements of an array, or nil.
  public var arrayElements: [JSONValue]? {
    if case .array(let elements) = self { return elements }
    return nil
  }

  /// The string of a `.string`, or nil.
  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value of an `.integer` (a JSON integer: not `1.0`, `1e3` or `true`), or nil.
  public var integerValue: Int? {
    if case .integer(let i) = self { return i }
    return nil
  }

  /// Any number (integer or not) as a `Double`, or nil; never a boolean.
  public var doubleValue: Double? {
    switch self {
    case .integer(let i): Double(i)
    case .number(let d): d
    default: nil
    }
  }

  /// The value of a `.bool`, or nil.
  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// Whether the value is `null`.
  public var isNull: Bool {
    if case .null = self { return true }
    return false
  }

  /// The member `key` of an object (keys compared scalar by scalar), or nil.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    for member in members where sameScalars(member.key, key) { return member.value }
    return nil
  }
}

/// Whether two strings have the same Unicode scalars (not merely canonically equivalent).
func sameScalars(_ a: String, _ b: String) -> Bool {
  a.utf8.elementsEqual(b.utf8)
}

/// Why a JSON text was rejected (internal: the public entry points throw `FormatError`).
enum JSONError: Error {
  /// The bytes are not UTF-8; `offset` is the first byte of the first invalid sequence.
  case notUTF8(offset: Int)
  /// A grammar violation at a byte offset.
  case syntax(String, offset: Int)
  /// An object key that appears twice (byte for byte), the second time at `offset`.
  case duplicateKey(String, offset: Int)
}
