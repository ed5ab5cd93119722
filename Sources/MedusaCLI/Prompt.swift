import Foundation
import MedusaTokenizer

/// The prompt of a generation: `--prompt-ids 1,2,3`, or text (positional words, or stdin
/// when none), optionally wrapped in a chat format: `--chat NAME` (a template by name),
/// `--chat model` (the model's own template, from its tokenizer_config.json or GGUF), or, with
/// `chatByDefault`, the model's own template whenever it has one.
enum Prompt {
  /// `--chat NAME`, read by ``ids(_:tokenizer:defaultText:chatByDefault:)`` and `medusa chat`.
  static let chatOption = OptionSpec.option(
    "chat", "NAME", "chat template: model (the model's own), chatml, vicuna, zephyr, llama2")

  /// `--prompt-ids` and `--chat`, read by ``ids(_:tokenizer:defaultText:chatByDefault:)``.
  static let options: [OptionSpec] = [
    .option("prompt-ids", "IDS", "the prompt as token ids, e.g. 1,2,3 (the machine interface)"),
    chatOption,
  ]

  /// Token ids from the arguments; `text` receives the prompt text when one was given.
  static func ids(
    _ arguments: inout Arguments, tokenizer: Tokenizer?, defaultText: String? = nil,
    chatByDefault: Bool = false
  ) throws -> (ids: [Int], text: String?) {
    let chat = arguments.string("chat")
    if let idsText = arguments.string("prompt-ids") {
      guard chat == nil else { throw UsageError("--chat needs a text prompt, not --prompt-ids") }
      return (try parseIDs(idsText), nil)
    }
    var text = arguments.positionals.joined(separator: " ")
    if text.isEmpty, let defaultText {
      text = defaultText
    } else if text.isEmpty {
      let data = FileHandle.standardInput.readDataToEndOfFile()
      guard let input = String(data: data, encoding: .utf8) else {
        throw UsageError("stdin is not valid UTF-8")
      }
      text = input
    }
    guard let tokenizer else {
      throw UsageError("the model has no tokenizer (tokenizer.json or GGUF): give --prompt-ids")
    }
    let format = try chatFormat(chat, tokenizer: tokenizer, byDefault: chatByDefault)
    if let format {
      text = format.render(
        messages: [ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
    }
    return (try encode(text, tokenizer: tokenizer, templated: format != nil), text)
  }

  /// The chat format `--chat` names (`model`: the model's own), the model's own when
  /// `byDefault` and it has one, else nil.
  static func chatFormat(_ name: String?, tokenizer: Tokenizer, byDefault: Bool) throws
    -> ChatFormat?
  {
    guard let name else { return byDefault ? try ChatFormat(config: tokenizer.config) : nil }
    if name == "model" {
      guard let format = try ChatFormat(config: tokenizer.config) else {
        throw UsageError("--chat model: the model's tokenizer has no chat template")
      }
      return format
    }
    guard let template = ChatTemplate.named(name) else {
      let names = (["model"] + ChatTemplate.allCases.map(\.rawValue)).joined(separator: ", ")
      throw UsageError("--chat '\(name)' is not a template (\(names))")
    }
    return ChatFormat(template: template)
  }

  /// `text` as ids. A template that writes the BOS token itself (Llama-2) must not get a
  /// second one.
  static func encode(_ text: String, tokenizer: Tokenizer, templated: Bool) throws -> [Int] {
    let bos = tokenizer.bosTokenID.flatMap { tokenizer.token(for: $0) }
    let templateHasBOS = templated && bos.map { text.hasPrefix($0) } == true
    let ids = try tokenizer.encode(text, addSpecialTokens: !templateHasBOS)
    guard !ids.isEmpty else { throw UsageError("the prompt encodes to no tokens") }
    return ids
  }

  /// Parses `1,2,3` into token ids.
  static func parseIDs(_ text: String) throws -> [Int] {
    var ids: [Int] = []
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      let trimmed = part.trimmingCharacters(in: .whitespaces)
      guard let id = Int(trimmed), id >= 0 else {
        throw UsageError("--prompt-ids: '\(trimmed)' is not a token id")
      }
      ids.append(id)
    }
    guard !ids.isEmpty else { throw UsageError("--prompt-ids is empty") }
    return ids
  }
}
