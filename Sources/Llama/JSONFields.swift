import Foundation
import MedusaFormats

/// Typed access to the fields of one JSON object read from `file`, with errors that name
/// the file and the field's path (`rope_scaling.factor`).
///
/// The JSON is read by MedusaFormats' strict parser (the package's one JSON layer), so the
/// integer rule is the package's: an integer field must be a JSON integer (`64`, not `64.0`,
/// `6.4e1` or `true`).
struct JSONFields {
  /// The file the object came from, for error messages.
  let file: String
  /// The parsed object's members, in file order.
  let members: [(key: String, value: JSONValue)]
  /// The path of the object within the file (empty at the top level).
  let path: String

  /// Reads and parses `url` as a JSON object (a regular file: a FIFO is refused, not read).
  init(url: URL) throws(LlamaError) {
    let value: JSONValue
    do {
      value = try JSONValue.read(url)
    } catch {
      throw Self.unreadable(error, file: url.path)
    }
    try self.init(value: value, file: url.path)
  }

  /// Parses `data` as a JSON object; `file` names it in errors.
  init(data: Data, file: String) throws(LlamaError) {
    let value: JSONValue
    do {
      value = try JSONValue.parse(data, file: file)
    } catch {
      throw Self.unreadable(error, file: file)
    }
    try self.init(value: value, file: file)
  }

  /// Wraps a parsed top-level value, which must be an object.
  init(value: JSONValue, file: String) throws(LlamaError) {
    guard let members = value.objectMembers else {
      throw .unreadableConfig(file: file, reason: "the top level is not a JSON object")
    }
    self.init(members: members, file: file, path: "")
  }

  private init(members: [(key: String, value: JSONValue)], file: String, path: String) {
    self.members = members
    self.file = file
    self.path = path
  }

  private static func unreadable(_ error: FormatError, file: String) -> LlamaError {
    switch error {
    case .invalidJSON(_, let reason, let offset):
      .unreadableConfig(file: file, reason: "invalid JSON at byte \(offset): \(reason)")
    case .unreadable(_, let reason): .unreadableConfig(file: file, reason: reason)
    default: .unreadableConfig(file: file, reason: error.description)
    }
  }

  /// The value of `key`, nil when absent or null.
  private func value(_ key: String) -> JSONValue? {
    guard let member = members.first(where: { $0.key.utf8.elementsEqual(key.utf8) }) else {
      return nil
    }
    return member.value.isNull ? nil : member.value
  }

  /// The path of `key` for messages.
  private func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

  private func invalid(_ key: String, _ reason: String) -> LlamaError {
    .invalidConfig(file: file, field: field(key), reason: reason)
  }

  /// Whether `key` is present with a non-null value.
  func has(_ key: String) -> Bool { value(key) != nil }

  /// An integer field; anything but a JSON integer, or one out of `range`, is an error.
  func int(_ key: String, default defaultValue: Int? = nil, in range: ClosedRange<Int>)
    throws(LlamaError) -> Int
  {
    guard let found = value(key) else {
      if let defaultValue { return defaultValue }
      throw invalid(key, "missing")
    }
    guard let number = found.integerValue else {
      throw invalid(key, "expected an integer, found \(found.kind)")
    }
    guard range.contains(number) else {
      throw invalid(key, "\(number) is outside \(range.lowerBound)...\(range.upperBound)")
    }
    return number
  }

  /// A finite floating-point field (a JSON integer is a number too).
  func double(_ key: String, default defaultValue: Double? = nil) throws(LlamaError) -> Double {
    guard let found = value(key) else {
      if let defaultValue { return defaultValue }
      throw invalid(key, "missing")
    }
    guard let number = found.doubleValue, number.isFinite else {
      throw invalid(key, "expected a finite number, found \(found.kind)")
    }
    return number
  }

  /// A boolean field.
  func bool(_ key: String, default defaultValue: Bool) throws(LlamaError) -> Bool {
    guard let found = value(key) else { return defaultValue }
    guard let flag = found.boolValue else {
      throw invalid(key, "expected true or false, found \(found.kind)")
    }
    return flag
  }

  /// A string field, or nil when absent.
  func string(_ key: String) throws(LlamaError) -> String? {
    guard let found = value(key) else { return nil }
    guard let text = found.stringValue else {
      throw invalid(key, "expected a string, found \(found.kind)")
    }
    return text
  }

  /// A nested object, or nil when absent.
  func nested(_ key: String) throws(LlamaError) -> JSONFields? {
    guard let found = value(key) else { return nil }
    guard let members = found.objectMembers else {
      throw invalid(key, "expected an object, found \(found.kind)")
    }
    return JSONFields(members: members, file: file, path: field(key))
  }

  /// One integer or a list of integers (Hugging Face allows both for `eos_token_id`).
  func intList(_ key: String) throws(LlamaError) -> [Int] {
    guard let found = value(key) else { return [] }
    if let single = found.integerValue { return [single] }
    guard let list = found.arrayElements else {
      throw invalid(key, "expected an integer or a list, found \(found.kind)")
    }
    var result: [Int] = []
    for (index, item) in list.enumerated() {
      guard let number = item.integerValue else {
        throw invalid("\(key).\(index)", "expected an integer, found \(item.kind)")
      }
      result.append(number)
    }
    return result
  }
}
