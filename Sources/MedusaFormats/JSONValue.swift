/// A parsed JSON value that keeps what Foundation's parser blurs: integers apart from
/// fractions, booleans apart from numbers, and object keys in file order.
enum JSONValue: Equatable {
  /// An object, keys in file order (duplicates are rejected while parsing).
  case object([(key: String, value: JSONValue)])
  /// An array.
  case array([JSONValue])
  /// A string.
  case string(String)
  /// A number written without fraction or exponent that fits in `Int`.
  case integer(Int)
  /// Any other number.
  case number(Double)
  /// `true` or `false`.
  case bool(Bool)
  /// `null`.
  case null

  static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.object(let a), .object(let b)):
      a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    case (.array(let a), .array(let b)): a == b
    case (.string(let a), .string(let b)): a == b
    case (.integer(let a), .integer(let b)): a == b
    case (.number(let a), .number(let b)): a == b
    case (.bool(let a), .bool(let b)): a == b
    case (.null, .null): true
    default: false
    }
  }

  /// Short JSON-like text for error messages.
  var text: String {
    switch self {
    case .object: "{...}"
    case .array: "[...]"
    case .string(let s): "\"\(s)\""
    case .integer(let i): String(i)
    case .number(let d): String(d)
    case .bool(let b): String(b)
    case .null: "null"
    }
  }

  /// The members of an object, or nil.
  var objectMembers: [(key: String, value: JSONValue)]? {
    if case .object(let members) = self { return members }
    return nil
  }

  /// The string of a `.string`, or nil.
  var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value of an `.integer`, or nil.
  var integerValue: Int? {
    if case .integer(let i) = self { return i }
    return nil
  }
}

/// Why a JSON text was rejected.
enum JSONError: Error {
  /// The bytes are not UTF-8.
  case notUTF8
  /// A grammar violation at a byte offset.
  case syntax(String, offset: Int)
  /// An object key that appears twice.
  case duplicateKey(String)
}
