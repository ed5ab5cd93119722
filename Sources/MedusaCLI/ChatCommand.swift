import Foundation
import Medusa
import MedusaTokenizer

/// `medusa chat`: an interactive loop. Each line read from stdin is a user turn; with
/// `--chat NAME` the conversation is rendered with that template, otherwise the line is
/// appended to the running text and continued. Replies stream as Medusa accepts them.
enum ChatCommand {
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, flagNames: ["ignore-eos"])
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let options = try DecodingOptions(&arguments, bundle: bundle, defaultMaxNewTokens: 96)
    let templateName = arguments.string("chat")
    try arguments.finish()
    guard let tokenizer = bundle.tokenizer else {
      throw UsageError("chat needs a model folder with tokenizer.json")
    }
    let template = try templateName.map { name -> ChatTemplate in
      guard let template = ChatTemplate.named(name) else {
        throw UsageError("--chat '\(name)' is not a template")
      }
      return template
    }
    var messages: [ChatMessage] = []
    var transcript = ""
    Output.error("medusa chat: one line per turn, end with Ctrl-D")
    while let line = readLine() {
      let text: String
      if let template {
        messages.append(ChatMessage(role: "user", content: line))
        text = template.render(messages: messages, addGenerationPrompt: true)
      } else {
        transcript += (transcript.isEmpty ? "" : " ") + line
        text = transcript
      }
      let ids = try tokenizer.encode(text)
      let printer = TokenPrinter(tokenizer: tokenizer, idsOnly: false, context: ids)
      let reply = try generate(ids, bundle: bundle, options: options, printer: printer)
      printer.finish()
      let replyText = try tokenizer.decode(reply, skipSpecialTokens: true)
      if template != nil {
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
        model: bundle.model, capacity: prompt.count + options.stop.maxNewTokens,
        parallelism: bundle.parallelism)
      return try decoder.generate(prompt: prompt, stop: options.stop) { printer.stream($0) }
        .outputIDs
    case .medusa(let heads, let choices):
      let decoder = try MedusaDecoder(
        model: bundle.model, heads: heads, choices: choices,
        capacity: prompt.count + options.stop.maxNewTokens + choices.paths.count + 1,
        parallelism: bundle.parallelism)
      return try decoder.generate(
        prompt: prompt, stop: options.stop, verification: options.verification
      ) { printer.stream($0) }.outputIDs
    }
  }
}
