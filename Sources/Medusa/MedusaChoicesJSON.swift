import Foundation

/// Loading user trees (`medusa_choices`, paper §2.1.2 tree attention) from JSON: an array of
/// index paths such as `[[0], [0, 0], [1]]`, the same literal the original keeps in
/// `medusa_choices.py`.
extension MedusaChoices {
  /// Parses and validates a JSON tree; `source` names it in error messages.
  ///
  /// Each index must be a JSON integer: `true`, `1.5`, `2.0`, strings and nulls are rejected
  /// with the location of the offending value (`[2][0]` is the first index of the third path).
  public init(jsonData: Data, source: String, headCount: Int) throws(TreeError) {
    let document: Any
    do {
      document = try JSONSerialization.jsonObject(with: jsonData, options: [.fragmentsAllowed])
    } catch {
      throw .malformedJSON(source: source, detail: error.localizedDescription)
    }
    guard let array = document as? [Any] else {
      throw .wrongJSONType(source: source, location: "top level", detail: "expected an array")
    }
    var paths: [[Int]] = []
    for (position, element) in array.enumerated() {
      guard let indices = element as? [Any] else {
        throw .wrongJSONType(
          source: source, location: "[\(position)]",
          detail: "expected an array of integers, found \(Self.kind(element))")
      }
      var path: [Int] = []
      for (offset, value) in indices.enumerated() {
        guard let index = Self.integer(value) else {
          throw .wrongJSONType(
            source: source, location: "[\(position)][\(offset)]",
            detail: "expected an integer, found \(Self.kind(value))")
        }
        path.append(index)
      }
      paths.append(path)
    }
    try self.init(paths: paths, headCount: headCount)
  }

  /// Reads, parses and validates the JSON tree file at `path`.
  public init(contentsOfFile path: String, headCount: Int) throws(TreeError) {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .unreadableFile(path: path, reason: error.localizedDescription)
    }
    try self.init(jsonData: data, source: path, headCount: headCount)
  }

  /// The value as an integer when it is a JSON integer (not a boolean, not written with a
  /// fraction or exponent), else nil.
  static func integer(_ value: Any) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let type = String(cString: number.objCType)
    guard type != "c", type != "d", type != "f" else { return nil }
    return value as? Int
  }

  /// A short name of a JSON value's kind for error messages.
  static func kind(_ value: Any) -> String {
    switch value {
    case is NSNull: return "null"
    case is String: return "a string"
    case is [Any]: return "an array"
    case is [String: Any]: return "an object"
    case let number as NSNumber:
      switch String(cString: number.objCType) {
      case "c": return "a boolean"
      case "d", "f": return "a non-integer number \(number)"
      default: return "an out-of-range integer \(number)"
      }
    default: return "\(type(of: value))"
    }
  }
}
