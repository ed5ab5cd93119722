/// One option of a command, declared once: the parser learns from it whether `--name` takes a
/// value, and the command's help prints it as one row of the option table.
struct OptionSpec: Sendable {
  /// The name without `--`.
  let name: String
  /// The value's placeholder in the help (`DIR`, `N`); nil for a switch that takes no value.
  let value: String?
  /// What the option does, in one line.
  let meaning: String
  /// Whether the command needs it (it then appears in the usage line).
  var required = false
  /// Whether it may be given more than once (each value kept, in order).
  var repeatable = false

  /// A switch: `--name` alone.
  static func flag(_ name: String, _ meaning: String) -> OptionSpec {
    OptionSpec(name: name, value: nil, meaning: meaning)
  }

  /// An option that takes a value: `--name VALUE` or `--name=VALUE`.
  static func option(
    _ name: String, _ value: String, _ meaning: String, required: Bool = false,
    repeatable: Bool = false
  ) -> OptionSpec {
    OptionSpec(
      name: name, value: value, meaning: meaning, required: required, repeatable: repeatable)
  }

  /// `--name VALUE` as the usage line and the option table show it.
  var label: String {
    "--" + name + (value.map { " " + $0 } ?? "") + (repeatable ? " ..." : "")
  }
}

/// The declaration of one command (`medusa generate`, `medusa tree show`, the main job): its
/// words, operands, summary and options. ``Arguments`` parses with it and its help is rendered
/// from it, so the parser and the help cannot disagree. A command with several forms (`tree`,
/// `conformance`) is a spec whose `forms` are the forms' own specs.
struct CommandSpec: Sendable {
  /// The words after `medusa` (`"tree show"`); empty for the main job.
  let name: String
  /// What the command does, in one line.
  let summary: String
  /// The positional words after the options, as the usage line shows them (`[TEXT]`).
  var operands = ""
  /// Every option the command accepts.
  var options: [OptionSpec] = []
  /// Lines printed as they are after the option table (rules the table cannot say).
  var notes: [String] = []
  /// The forms of a command that has several; empty for a single form.
  var forms: [CommandSpec] = []

  /// The declared option called `name` (without `--`).
  func option(named name: String) -> OptionSpec? {
    options.first { $0.name == name }
  }

  /// `medusa NAME --required VALUE [options] OPERANDS`, one line per form.
  var usageLines: [String] {
    if !forms.isEmpty { return forms.flatMap(\.usageLines) }
    let words =
      ["medusa"] + (name.isEmpty ? [] : [name])
      + options.filter(\.required).map(\.label)
      + (options.contains { !$0.required } ? ["[options]"] : [])
      + (operands.isEmpty ? [] : [operands])
    return [words.joined(separator: " ")]
  }

  /// The text of `medusa NAME --help`: usage, summary, option table and notes; every form's for a
  /// command with several.
  var help: String {
    let usage = usageLines.enumerated().map {
      ($0.offset == 0 ? "usage: " : "       ") + $0.element
    }
    var lines = usage + [""] + Self.wrap(summary, indent: "")
    if forms.isEmpty {
      lines += [""] + optionTable
    } else {
      for form in forms {
        lines += [""] + form.usageLines + Self.wrap(form.summary, indent: "") + form.optionTable
      }
    }
    return lines.joined(separator: "\n")
  }

  /// `options:`, then one row per option (its label, then its meaning) and the notes.
  var optionTable: [String] {
    let rows = options.map { ($0.label, $0.meaning + ($0.repeatable ? "; repeatable" : "")) }
    return ["options:"] + Self.table(rows + [("-h, --help", "show this help")]) + notes
  }

  /// Two columns, indented by two spaces: each name, then its text wrapped beside it (on the
  /// next line when the name is too wide for the first column).
  static func table(_ rows: [(String, String)]) -> [String] {
    let width = min(rows.map { $0.0.count }.max() ?? 0, 26) + 2
    let indent = String(repeating: " ", count: width + 2)
    var lines: [String] = []
    for (name, text) in rows {
      var wrapped = wrap(text, indent: indent)
      if name.count < width {
        let first = String(wrapped[0].dropFirst(indent.count))
        wrapped[0] = "  " + name + String(repeating: " ", count: width - name.count) + first
      } else {
        wrapped.insert("  " + name, at: 0)
      }
      lines += wrapped
    }
    return lines
  }

  /// `text` broken at spaces into lines of at most 100 columns, each starting with `indent`.
  static func wrap(_ text: String, indent: String) -> [String] {
    var lines: [String] = []
    var line = indent
    for word in text.split(separator: " ") {
      if line.count > indent.count && line.count + 1 + word.count > 100 {
        lines.append(line)
        line = indent
      }
      line += (line.count > indent.count ? " " : "") + String(word)
    }
    return lines + [line]
  }
}

/// `--help` or `-h` was given: `main` prints `text` on stdout and exits 0.
struct HelpRequest: Error {
  /// The help of the command that was asked.
  let text: String
}
