import Foundation
import Medusa
import MedusaConformance

/// `medusa tree show|normalize`: draw a tree and print its buffers, or convert between the full
/// `medusa_choices` list and TensorRT-LLM's leaf-paths form. Any other subcommand goes to
/// `TreeBuildCommand`.
enum TreeCommand {
  /// `--heads K` of `show` and `normalize`.
  static let headsOption = OptionSpec.option(
    "heads", "K", "validate for K heads (default: the tree's own depth)")

  /// `medusa tree show [options] NAME|FILE`.
  static let showSpec = CommandSpec(
    name: "tree show", summary: "Draw a tree and print its buffers.", operands: "NAME|FILE",
    options: [headsOption])

  /// `medusa tree normalize --to full|paths [options] FILE`.
  static let normalizeSpec = CommandSpec(
    name: "tree normalize",
    summary: "Convert a tree between the full medusa_choices list and the leaf-paths form.",
    operands: "FILE",
    options: [
      .option("to", "full|paths", "the form to write", required: true), headsOption,
    ])

  /// `medusa tree`: its three forms.
  static let spec = CommandSpec(
    name: "tree", summary: "Draw, convert or build Medusa trees (medusa_choices).",
    forms: [showSpec, normalizeSpec, TreeBuildCommand.spec])

  /// Runs `show` or `normalize`, or hands the words to `TreeBuildCommand`.
  static func run(_ words: [String]) throws {
    switch words.first {
    case "show"?: try show(Array(words.dropFirst()))
    case "normalize"?: try normalize(Array(words.dropFirst()))
    case "--help"?, "-h"?: throw HelpRequest(text: spec.help)
    case nil: throw UsageError("give show, normalize or --accuracy FILE (see medusa tree --help)")
    default: try TreeBuildCommand.run(words)
    }
  }

  /// `medusa tree show`.
  static func show(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: showSpec)
    let heads = try arguments.int("heads", default: 0, in: 0...64)
    try arguments.finish()
    guard arguments.positionals.count == 1, let source = arguments.positionals.first else {
      throw UsageError("give one tree, NAME or FILE (see medusa tree show --help)")
    }
    let (name, choices) = try load(source, headCount: heads == 0 ? nil : heads)
    Output.line(TreeDrawing.render(name: name, choices: choices))
  }

  /// `medusa tree normalize`.
  static func normalize(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: normalizeSpec)
    let target = arguments.string("to")
    let heads = try arguments.int("heads", default: 0, in: 0...64)
    try arguments.finish()
    guard let target, target == "full" || target == "paths" else {
      throw UsageError("give --to full or --to paths")
    }
    guard arguments.positionals.count == 1, let path = arguments.positionals.first else {
      throw UsageError("give one tree FILE (see medusa tree normalize --help)")
    }
    let paths = try MedusaChoices.indexPaths(contentsOfFile: path)
    let depth = paths.map(\.count).max() ?? 0
    let choices = try MedusaChoices(leafPaths: paths, headCount: heads == 0 ? depth : heads)
    let output = target == "full" ? choices.sortedPaths : choices.leafPaths
    Output.line(
      "["
        + output.map { "[\($0.map(String.init).joined(separator: ", "))]" }.joined(separator: ", ")
        + "]")
  }

  /// A published tree by name, or a JSON file in either form (full list or leaf paths), with
  /// the name it is shown under (``ConformanceTrees/resolve(_:headCount:)``).
  static func load(_ source: String, headCount: Int?) throws -> (
    name: String, choices: MedusaChoices
  ) {
    guard let tree = try ConformanceTrees.resolve(source, headCount: headCount) else {
      throw UsageError(unknown(source))
    }
    return tree
  }

  /// The message for a tree `source` that is neither a Golden tree nor a file.
  static func unknown(_ source: String) -> String {
    "'\(source)' is neither a Golden tree (\(ConformanceTrees.names.joined(separator: ", "))) nor a file"
  }
}
