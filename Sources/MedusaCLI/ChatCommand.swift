import Foundation
import Medusa
import MedusaTokenizer

/// `medusa chat`: an interactive loop. Each line read from stdin is a user turn, rendered with
/// the model's own chat template (or `--chat NAME`) together with the turns before it, and the
/// reply streams as Medusa accepts it. A model without a chat template (and no `--chat`)
/// continues a running transcript instead.
enum ChatCommand {
  /// `--max-new-tokens` (per reply) when not given.
  static let defaultMaxNewTokens = 256

  /// `medusa chat [options]`.
  static let spec = CommandSpec(
    name: "chat",
    summary:
      "An interactive loop: each stdin line is a user turn, rendered with the model's chat "
      + "template (or --chat NAME); the reply streams as Medusa accepts it.",
    options: ModelBundle.options + DecodingOptions.options(defaultMaxNewTokens: defaultMaxNewTokens)
      + [Prompt.chatOption])

  /// Runs `chat` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let options = try DecodingOptions(
      &arguments, bundle: bundle, defaultMaxNewTokens: defaultMaxNewTokens)
    let templateName = arguments.string("chat")
    try arguments.finish()
    guard let tokenizer = bundle.tokenizer else {
      throw UsageError("chat needs a model with a tokenizer (tokenizer.json or GGUF)")
    }
    let format = try Prompt.chatFormat(templateName, tokenizer: tokenizer, byDefault: true)
    var messages: [ChatMessage] = []
    var transcript = ""
    Output.error("medusa chat: one line per turn, end with Ctrl-D")
    while let line = readLine() {
      let text: String
      if let format {
        messages.append(ChatMessage(role: "user", content: line))
        text = format.render(messages: messages, addGenerationPrompt: true)
      } else {
        transcript += (transcript.isEmpty ? "" : " ") + line
        text = transcript
      }
      let ids = try Prompt.encode(text, tokenizer: tokenizer, templated: format != nil)
      let printer = TokenPrinter(tokenizer: tokenizer, idsOnly: false, context: ids)
      let reply = try generate(ids, bundle: bundle, options: options, printer: printer)
      printer.finish()
      let replyText = try tokenizer.decode(reply, skipSpecialTokens: true)
      if format != nil {
        messages.append(ChatMessage(role: "assistant", content: replyText))
      } else {
        transcript += replyText
      }
    }
  }

  private static func generate(
    _ prompt: [Int], bundle: ModelBundle, options: DecodingOptions, printer: TokenPrinter
  ) throws -> [Int] {
    switch options.decoder {
    case .autoregressive:
      let decoder = try AutoregressiveDecoder(
        model: bundle.model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: options.stop.maxNewTokens),
        parallelism: bundle.parallelism)
      return try decoder.generate(prompt: prompt, stop: options.stop) { printer.stream($0) }
        .outputIDs
    case .medusa(let heads, let choices):
      let decoder = try MedusaDecoder(
        model: bundle.model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: options.stop.maxNewTokens, choices: choices),
        parallelism: bundle.parallelism)
      return try decoder.generate(
        prompt: prompt, stop: options.stop, verification: options.verification
      ) { printer.stream($0) }.outputIDs
    }
  }
}
