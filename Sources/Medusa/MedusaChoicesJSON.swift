import Foundation
import MedusaFormats

/// Loading user trees (`medusa_choices`, paper §2.1.2 tree attention) from JSON: an array of
/// index paths such as `[[0], [0, 0], [1]]`, the same literal the original keeps in
/// `medusa_choices.py`. The JSON is read by MedusaFormats' strict parser, the package's one
/// JSON layer.
extension MedusaChoices {
  /// Parses and validates a JSON tree; `source` names it in error messages.
  ///
  /// Each index must be a JSON integer: `true`, `1.5`, `2.0`, `1e3`, strings and nulls are
  /// rejected with the location of the offending value (`[2][0]` is the first index of the
  /// third path).
  public init(jsonData: Data, source: String, headCount: Int) throws(TreeError) {
    let document: JSONValue
    do {
      document = try JSONValue.parse(jsonData, file: source)
    } catch {
      throw Self.treeError(error, source: source)
    }
    try self.init(json: document, source: source, headCount: headCount)
  }

  /// Validates a parsed JSON tree; `source` names it in error messages.
  public init(json document: JSONValue, source: String, headCount: Int) throws(TreeError) {
    guard let array = document.arrayElements else {
      throw .wrongJSONType(
        source: source, location: "top level", detail: "expected an array, found \(document.kind)")
    }
    var paths: [[Int]] = []
    for (position, element) in array.enumerated() {
      guard let indices = element.arrayElements else {
        throw .wrongJSONType(
          source: source, location: "[\(position)]",
          detail: "expected an array of integers, found \(element.kind)")
      }
      var path: [Int] = []
      for (offset, value) in indices.enumerated() {
        guard let index = value.integerValue else {
          throw .wrongJSONType(
            source: source, location: "[\(position)][\(offset)]",
            detail: "expected an integer, found \(value.kind)")
        }
        path.append(index)
      }
      paths.append(path)
    }
    try self.init(paths: paths, headCount: headCount)
  }

  /// Reads, parses and validates the JSON tree file at `path` (a regular file: a FIFO is
  /// refused, not read).
  public init(contentsOfFile path: String, headCount: Int) throws(TreeError) {
    let document: JSONValue
    do {
      document = try JSONValue.read(URL(fileURLWithPath: path))
    } catch {
      throw Self.treeError(error, source: path)
    }
    try self.init(json: document, source: path, headCount: headCount)
  }

  /// The tree error of a read or parse error.
  private static func treeError(_ error: FormatError, source: String) -> TreeError {
    switch error {
    case .invalidJSON(_, let reason, let offset):
      .malformedJSON(source: source, detail: "\(reason) at byte \(offset)")
    case .unreadable(_, let reason): .unreadableFile(path: source, reason: reason)
    default: .unreadableFile(path: source, reason: error.description)
    }
  }
}
