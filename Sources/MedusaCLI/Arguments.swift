import Foundation

/// A command-line error: printed as one line by `main`, which then exits non-zero.
struct UsageError: Error, CustomStringConvertible {
  /// The message shown to the user.
  let description: String
  init(_ description: String) { self.description = description }
}

/// The arguments of one subcommand: `--name value` options, `--flag` switches and
/// positional words, parsed by hand (the package has no dependencies).
///
/// Every option must be consumed: `finish()` rejects leftovers by name, so a typo is an
/// error instead of being silently ignored.
struct Arguments {
  private var options: [String: String] = [:]
  private var flags: Set<String> = []
  private(set) var positionals: [String] = []
  private var consumed: Set<String> = []

  /// Parses `words`; `flagNames` are the switches that take no value (without `--`).
  init(_ words: [String], flagNames: Set<String>) throws {
    var index = 0
    while index < words.count {
      let word = words[index]
      if word == "--" {
        positionals += words[(index + 1)...]
        break
      }
      if word.hasPrefix("--") && word.count > 2 {
        var name = String(word.dropFirst(2))
        var inlineValue: String? = nil
        if let equals = name.firstIndex(of: "=") {
          inlineValue = String(name[name.index(after: equals)...])
          name = String(name[..<equals])
        }
        if flagNames.contains(name) {
          guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
          flags.insert(name)
        } else if let value = inlineValue {
          options[name] = value
        } else {
          guard index + 1 < words.count else { throw UsageError("--\(name) needs a value") }
          options[name] = words[index + 1]
          index += 1
        }
      } else {
        positionals.append(word)
      }
      index += 1
    }
  }

  /// Whether the switch `--name` was given.
  mutating func flag(_ name: String) -> Bool {
    consumed.insert(name)
    return flags.contains(name)
  }

  /// Whether `--name` was given (does not consume it).
  func has(_ name: String) -> Bool { options[name] != nil || flags.contains(name) }

  /// The value of `--name`, if given.
  mutating func string(_ name: String) -> String? {
    consumed.insert(name)
    return options[name]
  }

  /// The value of `--name` as an integer within `range`, or `defaultValue` when absent.
  mutating func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws
    -> Int
  {
    guard let text = string(name) else { return defaultValue }
    guard let value = Int(text), range.contains(value) else {
      throw UsageError(
        "--\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
    }
    return value
  }

  /// The value of `--name` as a finite number within `range`, or `defaultValue` when absent.
  mutating func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>)
    throws -> Double
  {
    guard let text = string(name) else { return defaultValue }
    guard let value = Double(text), value.isFinite, range.contains(value) else {
      throw UsageError(
        "--\(name) must be a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
    }
    return value
  }

  /// Rejects any option or switch that no one asked for.
  func finish() throws {
    let unknown = Set(options.keys).union(flags).subtracting(consumed).sorted()
    if let first = unknown.first { throw UsageError("unknown option --\(first)") }
  }
}
