import Foundation

/// Writing to stdout/stderr, unbuffered where streaming matters.
enum Output {
  /// Writes `text` and a newline to stdout.
  static func line(_ text: String) {
    write(text + "\n")
  }

  /// Writes `text` to stdout immediately (streaming).
  static func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
  }

  /// Writes `text` and a newline to stderr.
  static func error(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// One JSON object on one line, keys sorted (stable for other backends' scripts).
  static func json(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    line(String(decoding: data, as: UTF8.self))
  }
}
