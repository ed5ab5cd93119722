/// Typed access to the members of a JSON object, with errors that name the field.
///
/// `path` is the dotted location of the object itself (such as `pre_tokenizer.pretokenizers.1`);
/// errors report `path.key`.
struct JSONFields {
  /// The object being read.
  let value: JSON
  /// Where the object sits in the file.
  let path: String

  /// Wraps `value`, which must be an object.
  init(_ value: JSON, path: String) throws {
    guard case .object = value else {
      throw TokenizerError.invalidField(field: path, reason: "expected an object")
    }
    self.value = value
    self.path = path
  }

  /// The dotted path of member `key`.
  func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  /// A required string member.
  func string(_ key: String) throws -> String {
    guard case .string(let text) = value[key] else {
      throw TokenizerError.invalidField(field: field(key), reason: "expected a string")
    }
    return text
  }

  /// A string member that may be absent or null.
  func optionalString(_ key: String) throws -> String? {
    guard let member = value[key], !member.isNull else { return nil }
    guard case .string(let text) = member else {
      throw TokenizerError.invalidField(field: field(key), reason: "expected a string or null")
    }
    return text
  }

  /// A boolean member, `defaultValue` when absent or null.
  func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
    guard let member = value[key], !member.isNull else { return defaultValue }
    guard case .bool(let flag) = member else {
      throw TokenizerError.invalidField(field: field(key), reason: "expected true or false")
    }
    return flag
  }

  /// A non-negative integer member, `defaultValue` when absent or null.
  func int(_ key: String, default defaultValue: Int? = nil) throws -> Int {
    guard let member = value[key], !member.isNull else {
      if let defaultValue { return defaultValue }
      throw TokenizerError.invalidField(field: field(key), reason: "missing")
    }
    return try JSONFields.integer(member, field: field(key))
  }

  /// A required array member.
  func array(_ key: String) throws -> [JSON] {
    guard case .array(let elements) = value[key] else {
      throw TokenizerError.invalidField(field: field(key), reason: "expected an array")
    }
    return elements
  }

  /// A required object member.
  func object(_ key: String) throws -> JSONFields {
    guard let member = value[key] else {
      throw TokenizerError.invalidField(field: field(key), reason: "missing")
    }
    return try JSONFields(member, path: field(key))
  }

  /// The `type` tag of a component.
  func type() throws -> String { try string("type") }

  /// `value` as a non-negative JSON integer that fits an id (`1.0`, `1e0` and `true` are not
  /// integers, as for the tokenizers library's `u32` fields).
  static func integer(_ value: JSON, field: String) throws -> Int {
    guard let number = value.integerValue, number >= 0, number <= Int(Int32.max) else {
      throw TokenizerError.invalidField(
        field: field, reason: "expected a non-negative integer, found \(value.kind)")
    }
    return number
  }
}
