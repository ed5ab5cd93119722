import Foundation

/// Entry point: dispatches the subcommand (`medusa help COMMAND ...` is `medusa COMMAND ...
/// --help`); a help request prints on stdout and exits 0, any other error becomes one line on
/// stderr and exit 1.
let words = Array(CommandLine.arguments.dropFirst())
do {
  guard let name = words.first, !name.hasPrefix("-") else {
    try DefaultCommand.run(words)
    exit(0)
  }
  let rest = Array(words.dropFirst())
  if name == "help" {
    guard let topic = rest.first else { throw HelpRequest(text: Help.text) }
    try Help.command(named: topic).run(Array(rest.dropFirst()) + ["--help"])
  } else {
    try Help.command(named: name).run(rest)
  }
} catch let request as HelpRequest {
  Output.line(request.text)
  exit(0)
} catch {
  Output.error("medusa: \(error)")
  exit(1)
}
