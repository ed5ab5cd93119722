import Foundation
import Medusa

/// `medusa` with no subcommand: the main job. Streams a continuation of a default prompt
/// from the embedded default model with Medusa, then decodes the same prompt
/// autoregressively in the same run and prints the summary: tokens, steps, mean accept
/// length and its histogram, tokens/s, the speedup, and whether both outputs are identical.
enum DefaultCommand {
  static let defaultPrompt = "Thus saith the LORD"

  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, flagNames: ["ignore-eos"])
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let options = try DecodingOptions(&arguments, bundle: bundle, defaultMaxNewTokens: 128)
    let prompt = try Prompt.ids(&arguments, tokenizer: bundle.tokenizer, defaultText: defaultPrompt)
    try arguments.finish()
    guard case .medusa(let heads, let choices) = options.decoder else {
      throw UsageError("the model has no Medusa heads: give --heads DIR")
    }
    Output.error(
      "model \(bundle.model.directory.lastPathComponent): \(heads.headCount) Medusa heads, tree of \(choices.paths.count + 1) nodes, \(bundle.parallelism.threads) thread(s)"
    )
    let printer = TokenPrinter(
      tokenizer: bundle.tokenizer, idsOnly: prompt.text == nil, context: prompt.ids)
    if let text = prompt.text { Output.write(text) }
    let capacity = prompt.ids.count + options.stop.maxNewTokens + choices.paths.count + 1
    let medusa = try MedusaDecoder(
      model: bundle.model, heads: heads, choices: choices, capacity: capacity,
      parallelism: bundle.parallelism)
    let fast = try medusa.generate(
      prompt: prompt.ids, stop: options.stop, verification: options.verification,
      recordSteps: true
    ) { printer.stream($0) }
    printer.finish()

    let autoregressive = try AutoregressiveDecoder(
      model: bundle.model, capacity: capacity, parallelism: bundle.parallelism)
    let slow = try autoregressive.generate(prompt: prompt.ids, stop: options.stop)

    let medusaRate = Summary.tokensPerSecond(fast)
    let arRate = Summary.tokensPerSecond(slow)
    let histogram = Summary.histogram(fast).enumerated().map { "\($0.offset):\($0.element)" }
    Output.line("")
    Output.line(
      "Medusa   \(fast.outputIDs.count) tokens in \(fast.steps) steps, "
        + String(
          format: "%.2f tokens/step, mean accept length %.2f",
          Double(fast.outputIDs.count) / Double(max(fast.steps, 1)), Summary.meanAcceptLength(fast))
    )
    Output.line("         accept lengths " + histogram.joined(separator: " "))
    Output.line(String(format: "         %.1f tokens/s", medusaRate))
    Output.line(String(format: "AR       %d tokens, %.1f tokens/s", slow.outputIDs.count, arRate))
    Output.line(
      String(
        format: "speedup  %.2fx (Medusa vs autoregressive, same run)",
        arRate > 0 ? medusaRate / arRate : 0))
    if case .greedy = options.verification {
      Output.line(
        "lossless "
          + (fast.outputIDs == slow.outputIDs ? "yes: identical tokens" : "NO: outputs differ"))
    }
  }
}
