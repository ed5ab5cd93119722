import MedusaFormats

/// Typed, range-checked reads of GGUF metadata for the config; every failure names the file
/// and the key.
struct GGUFFields {
  /// The file.
  let file: GGUFFile
  /// Its path, for messages.
  var path: String { file.url.path }

  /// Whether `key` is present.
  func has(_ key: String) -> Bool { file.value(key) != nil }

  /// A required integer in `range`.
  func int(_ key: String, in range: ClosedRange<Int>) throws(LlamaError) -> Int {
    guard let value = file.value(key) else {
      throw .invalidConfig(file: path, field: key, reason: "missing")
    }
    guard let number = value.int else {
      throw .invalidConfig(file: path, field: key, reason: "not an integer")
    }
    guard range.contains(number) else {
      throw .invalidConfig(
        file: path, field: key,
        reason: "\(number) is out of range \(range.lowerBound)...\(range.upperBound)")
    }
    return number
  }

  /// An optional integer in `range`, `fallback` when absent.
  func int(_ key: String, default fallback: Int, in range: ClosedRange<Int>) throws(LlamaError)
    -> Int
  {
    has(key) ? try int(key, in: range) : fallback
  }

  /// An optional positive finite number, `fallback` when absent.
  func positive(_ key: String, default fallback: Double) throws(LlamaError) -> Double {
    guard let value = file.value(key) else { return fallback }
    guard let number = value.float ?? value.int.map(Double.init) else {
      throw .invalidConfig(file: path, field: key, reason: "not a number")
    }
    guard number.isFinite, number > 0 else {
      throw .invalidConfig(file: path, field: key, reason: "\(number) must be positive and finite")
    }
    return number
  }

  /// An optional string.
  func string(_ key: String) throws(LlamaError) -> String? {
    guard let value = file.value(key) else { return nil }
    guard let text = value.string else {
      throw .invalidConfig(file: path, field: key, reason: "not a string")
    }
    return text
  }

  /// An optional token id (an integer in `0..<vocabularySize`).
  func tokenID(_ key: String, vocabularySize: Int) throws(LlamaError) -> Int? {
    has(key) ? try int(key, in: 0...(vocabularySize - 1)) : nil
  }
}
