import Foundation

/// Typed access to the fields of one JSON object read from `file`, with errors that name
/// the file and the field.
struct JSONFields {
  /// The file the object came from, for error messages.
  let file: String
  /// The parsed object.
  let object: [String: Any]

  /// Reads and parses `url` as a JSON object.
  init(url: URL) throws(LlamaError) {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw .unreadableConfig(file: url.path, reason: "cannot read the file")
    }
    try self.init(data: data, file: url.path)
  }

  /// Parses `data` as a JSON object; `file` names it in errors.
  init(data: Data, file: String) throws(LlamaError) {
    let parsed: Any
    do {
      parsed = try JSONSerialization.jsonObject(with: data)
    } catch {
      throw .unreadableConfig(file: file, reason: "not valid JSON")
    }
    guard let object = parsed as? [String: Any] else {
      throw .unreadableConfig(file: file, reason: "the top level is not a JSON object")
    }
    self.init(object: object, file: file)
  }

  /// Wraps an already parsed object.
  init(object: [String: Any], file: String) {
    self.object = object
    self.file = file
  }

  /// Whether `key` is present with a non-null value.
  func has(_ key: String) -> Bool {
    guard let value = object[key] else { return false }
    return !(value is NSNull)
  }

  /// An integer field; JSON numbers with a fractional part or out of `range` are errors.
  func int(_ key: String, default defaultValue: Int? = nil, in range: ClosedRange<Int>)
    throws(LlamaError) -> Int
  {
    guard has(key) else {
      if let defaultValue { return defaultValue }
      throw .invalidConfig(file: file, field: key, reason: "missing")
    }
    guard let value = Self.integer(object[key]) else {
      throw .invalidConfig(file: file, field: key, reason: "expected an integer")
    }
    guard range.contains(value) else {
      throw .invalidConfig(
        file: file, field: key,
        reason: "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
    }
    return value
  }

  /// A finite floating-point field.
  func double(_ key: String, default defaultValue: Double? = nil) throws(LlamaError) -> Double {
    guard has(key) else {
      if let defaultValue { return defaultValue }
      throw .invalidConfig(file: file, field: key, reason: "missing")
    }
    guard let number = object[key] as? NSNumber, !Self.isBool(number),
      number.doubleValue.isFinite
    else {
      throw .invalidConfig(file: file, field: key, reason: "expected a finite number")
    }
    return number.doubleValue
  }

  /// A boolean field.
  func bool(_ key: String, default defaultValue: Bool) throws(LlamaError) -> Bool {
    guard has(key) else { return defaultValue }
    guard let number = object[key] as? NSNumber, Self.isBool(number) else {
      throw .invalidConfig(file: file, field: key, reason: "expected true or false")
    }
    return number.boolValue
  }

  /// A string field, or nil when absent.
  func string(_ key: String) throws(LlamaError) -> String? {
    guard has(key) else { return nil }
    guard let value = object[key] as? String else {
      throw .invalidConfig(file: file, field: key, reason: "expected a string")
    }
    return value
  }

  /// A nested object, or nil when absent.
  func nested(_ key: String) throws(LlamaError) -> JSONFields? {
    guard has(key) else { return nil }
    guard let value = object[key] as? [String: Any] else {
      throw .invalidConfig(file: file, field: key, reason: "expected an object")
    }
    return JSONFields(object: value, file: file)
  }

  /// One integer or a list of integers (Hugging Face allows both for `eos_token_id`).
  func intList(_ key: String) throws(LlamaError) -> [Int] {
    guard has(key) else { return [] }
    if let single = Self.integer(object[key]) { return [single] }
    guard let list = object[key] as? [Any] else {
      throw .invalidConfig(file: file, field: key, reason: "expected an integer or a list")
    }
    var result: [Int] = []
    for item in list {
      guard let value = Self.integer(item) else {
        throw .invalidConfig(file: file, field: key, reason: "list holds a non-integer")
      }
      result.append(value)
    }
    return result
  }

  private static func isBool(_ number: NSNumber) -> Bool {
    // JSONSerialization gives booleans the Objective-C type code "c" on every platform.
    String(cString: number.objCType) == "c"
  }

  private static func integer(_ value: Any?) -> Int? {
    guard let number = value as? NSNumber, !isBool(number) else { return nil }
    let double = number.doubleValue
    guard double.isFinite, double == double.rounded(), abs(double) < 9.0e15 else { return nil }
    return number.intValue
  }
}
