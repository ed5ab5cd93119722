import Foundation
import MedusaTokenizer

/// The prompt of a generation: `--prompt-ids 1,2,3`, or text (positional words, or stdin
/// when none), optionally wrapped in a chat template (`--chat NAME`).
enum Prompt {
  /// Token ids from the arguments; `text` receives the prompt text when one was given.
  static func ids(
    _ arguments: inout Arguments, tokenizer: Tokenizer?, defaultText: String? = nil
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
      throw UsageError("the model folder has no tokenizer.json: give --prompt-ids instead")
    }
    if let chat {
      guard let template = ChatTemplate.named(chat) else {
        let names = ChatTemplate.allCases.map(\.rawValue).joined(separator: ", ")
        throw UsageError("--chat '\(chat)' is not a template (\(names))")
      }
      text = template.render(
        messages: [ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
    }
    // A template that writes the BOS token itself (Llama-2) must not get a second one.
    let bos = tokenizer.bosTokenID.flatMap { tokenizer.token(for: $0) }
    let templateHasBOS = chat != nil && bos.map { text.hasPrefix($0) } == true
    let ids = try tokenizer.encode(text, addSpecialTokens: !templateHasBOS)
    guard !ids.isEmpty else { throw UsageError("the prompt encodes to no tokens") }
    return (ids, text)
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
