import Foundation

/// Entry point: dispatches the subcommand; any error becomes one line on stderr and exit 1.
let words = Array(CommandLine.arguments.dropFirst())
do {
  guard let command = words.first, !command.hasPrefix("-") else {
    try DefaultCommand.run(words)
    exit(0)
  }
  let rest = Array(words.dropFirst())
  switch command {
  case "generate": try GenerateCommand.run(rest)
  case "bench": try BenchCommand.run(rest)
  case "chat": try ChatCommand.run(rest)
  case "tree": try TreeCommand.run(rest)
  case "conformance": try ConformanceCommand.run(rest)
  case "distill": try DistillCommand.run(rest)
  case "train-heads": try TrainHeadsCommand.run(rest)
  case "eval-heads": try EvalHeadsCommand.run(rest)
  case "tokenize": try TokenizeCommand.run(rest)
  case "detokenize": try DetokenizeCommand.run(rest)
  case "help", "--help", "-h": Output.line(Help.text)
  default: throw UsageError("unknown command '\(command)'; try 'medusa help'")
  }
} catch {
  Output.error("medusa: \(error)")
  exit(1)
}
