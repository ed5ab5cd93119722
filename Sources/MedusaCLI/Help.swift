/// The command table and the text of `medusa --help`, both made from the commands'
/// ``CommandSpec``s.
enum Help {
  /// One subcommand: its declaration and what runs it with the words after its name.
  struct Command: Sendable {
    /// Its declaration (a group's spec for `tree` and `conformance`).
    let spec: CommandSpec
    /// Runs it.
    let run: @Sendable ([String]) throws -> Void
  }

  /// The subcommands, in the order `medusa --help` lists them.
  static let commands: [Command] = [
    Command(spec: GenerateCommand.spec, run: GenerateCommand.run),
    Command(spec: ChatCommand.spec, run: ChatCommand.run),
    Command(spec: BenchCommand.spec, run: BenchCommand.run),
    Command(spec: TreeCommand.spec, run: TreeCommand.run),
    Command(spec: ConformanceCommand.spec, run: ConformanceCommand.run),
    Command(spec: DistillCommand.spec, run: DistillCommand.run),
    Command(spec: TrainHeadsCommand.spec, run: TrainHeadsCommand.run),
    Command(spec: EvalHeadsCommand.spec, run: EvalHeadsCommand.run),
    Command(spec: TrainMedusa2Command.spec, run: TrainMedusa2Command.run),
    Command(spec: EvalBackboneCommand.spec, run: EvalBackboneCommand.run),
    Command(spec: TokenizeCommand.spec, run: TokenizeCommand.run),
    Command(spec: DetokenizeCommand.spec, run: DetokenizeCommand.run),
  ]

  /// The subcommand called `name`.
  static func command(named name: String) throws -> Command {
    guard let command = commands.first(where: { $0.spec.name == name }) else {
      throw UsageError("unknown command '\(name)' (see medusa --help)")
    }
    return command
  }

  /// The lines after the main job's option table: one line per command, and where to read more.
  static var commandList: [String] {
    ["", "commands:"] + CommandSpec.table(commands.map { ($0.spec.name, $0.spec.summary) }) + [""]
      + CommandSpec.wrap(
        "medusa COMMAND --help (or medusa help COMMAND) shows a command's options. Without "
          + "--model: SmolLM2-135M-Instruct with its heads once fetched (bash "
          + "Golden/tools/fetch_smollm2.sh), else the embedded model (Golden/models/default). Full "
          + "reference: Docs/CLI.md", indent: "")
  }

  /// The text of `medusa --help`, `medusa -h` and `medusa help`: the main job's help.
  static var text: String { DefaultCommand.spec.help }
}
