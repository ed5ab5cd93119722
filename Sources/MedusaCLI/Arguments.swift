import Foundation

/// A command-line error: printed as one line by `main`, which then exits non-zero.
struct UsageError: Error, CustomStringConvertible {
  /// The message shown to the user.
  let description: String
  init(_ description: String) { self.description = description }
}

/// The arguments of one command, parsed by hand (the package has no dependencies) against the
/// command's ``CommandSpec``: `--name value` or `--name=value` options, `--flag` switches and
/// positional words (everything after `--` is positional).
///
/// Parsing rejects a name the spec does not declare, an option given twice (unless declared
/// repeatable), a value given to a switch and an option without its value (a next word that
/// starts with `--` is not taken as a value; write `--name=--value` for that). `--help` or `-h`
/// anywhere before `--` throws a ``HelpRequest`` with the command's help. `finish()` then
/// rejects any given option that the command did not read.
struct Arguments {
  private let spec: CommandSpec
  private var options: [String: [String]] = [:]
  private var flags: Set<String> = []
  private(set) var positionals: [String] = []
  private var consumed: Set<String> = []

  /// Parses `words` as the options and operands of `spec`.
  init(_ words: [String], spec: CommandSpec) throws {
    self.spec = spec
    if words.prefix(while: { $0 != "--" }).contains(where: { $0 == "--help" || $0 == "-h" }) {
      throw HelpRequest(text: spec.help)
    }
    let command = spec.name.isEmpty ? "medusa --help" : "medusa \(spec.name) --help"
    var index = 0
    while index < words.count {
      let word = words[index]
      if word == "--" {
        positionals += words[(index + 1)...]
        break
      }
      guard word.hasPrefix("--") && word.count > 2 else {
        positionals.append(word)
        index += 1
        continue
      }
      var name = String(word.dropFirst(2))
      var inlineValue: String? = nil
      if let equals = name.firstIndex(of: "=") {
        inlineValue = String(name[name.index(after: equals)...])
        name = String(name[..<equals])
      }
      guard let option = spec.option(named: name) else {
        throw UsageError(
          name == "help"
            ? "--help takes no value" : "unknown option --\(name) (see \(command))")
      }
      guard option.repeatable || (options[name] == nil && !flags.contains(name)) else {
        throw UsageError("--\(name) given twice")
      }
      if option.value == nil {
        guard inlineValue == nil else { throw UsageError("--\(name) takes no value") }
        flags.insert(name)
      } else if let value = inlineValue {
        options[name, default: []].append(value)
      } else {
        guard index + 1 < words.count, !words[index + 1].hasPrefix("--") else {
          throw UsageError("--\(name) needs a value (\(option.label))")
        }
        options[name, default: []].append(words[index + 1])
        index += 1
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
    return options[name]?.last
  }

  /// Every value of the repeatable `--name`, in the order given.
  mutating func strings(_ name: String) -> [String] {
    consumed.insert(name)
    return options[name] ?? []
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

  /// Rejects any given option or switch that the command did not read.
  func finish() throws {
    let unread = Set(options.keys).union(flags).subtracting(consumed).sorted()
    if let first = unread.first {
      let command = spec.name.isEmpty ? "medusa" : "medusa \(spec.name)"
      throw UsageError("--\(first) does not apply to \(command)")
    }
  }
}
