/// Writing JSON text by hand where `JSONSerialization` would reorder keys or escape too much:
/// safetensors headers and the CLI's JSON-lines output.
public enum JSONText {
  /// `text` as a JSON string literal: quotes, backslashes and control characters (and DEL)
  /// escaped, everything else written as is (UTF-8).
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        let hex = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
