import Foundation
import Medusa
import MedusaTokenizer

/// `medusa` with no subcommand: the main job. Answers a default chat prompt with
/// SmolLM2-135M-Instruct and its Medusa heads once the model has been fetched (else continues
/// a default prompt with the embedded model), streamed with Medusa, then decodes the same
/// prompt autoregressively in the same run and prints the summary: tokens, steps, mean accept
/// length and its histogram, tokens/s, the speedup, and whether both outputs are identical.
/// A model with a chat template gets the prompt rendered with it.
enum DefaultCommand {
  /// The prompt for a model without a chat template (the embedded model writes scripture-like
  /// English).
  static let defaultPrompt = "Thus saith the LORD"
  /// The question for a chat model.
  static let defaultQuestion =
    "Explain in a few sentences why the sky is blue during the day and red at sunset."

  /// `--max-new-tokens` when not given.
  static let defaultMaxNewTokens = 128

  /// `medusa [options] [TEXT]`; its help, followed by the list of commands, is `medusa --help`.
  static let spec = CommandSpec(
    name: "",
    summary:
      "Medusa decoding (Cai et al., 2024) on Llama-family models, in pure Swift. The main job: "
      + "stream a continuation with Medusa, then decode the same prompt autoregressively, and "
      + "print accept lengths, the speedup and whether both outputs are identical.",
    operands: "[TEXT]",
    options: ModelBundle.options + DecodingOptions.options(defaultMaxNewTokens: defaultMaxNewTokens)
      + Prompt.options,
    notes: Help.commandList)

  /// Runs the main job with all the words after `medusa`.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    if !arguments.has("model") { _ = try ModelLocator.model(nil, hint: true) }
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let options = try DecodingOptions(
      &arguments, bundle: bundle, defaultMaxNewTokens: defaultMaxNewTokens)
    let chat = try bundle.tokenizer.flatMap { try ChatFormat(config: $0.config) } != nil
    let prompt = try Prompt.ids(
      &arguments, tokenizer: bundle.tokenizer, defaultText: chat ? defaultQuestion : defaultPrompt,
      chatByDefault: true)
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
    let medusa = try MedusaDecoder(
      model: bundle.model, heads: heads, choices: choices,
      capacity: MedusaDecoder.capacity(
        promptLength: prompt.ids.count, maxNewTokens: options.stop.maxNewTokens,
        choices: choices),
      parallelism: bundle.parallelism)
    let fast = try medusa.generate(
      prompt: prompt.ids, stop: options.stop, verification: options.verification,
      recordSteps: true
    ) { printer.stream($0) }
    printer.finish()

    let autoregressive = try AutoregressiveDecoder(
      model: bundle.model,
      capacity: AutoregressiveDecoder.capacity(
        promptLength: prompt.ids.count, maxNewTokens: options.stop.maxNewTokens),
      parallelism: bundle.parallelism)
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
