/// One message of a conversation.
public struct ChatMessage: Sendable {
  /// "system", "user" or "assistant".
  public var role: String
  /// The message text.
  public var content: String

  /// A message with `role` and `content`.
  public init(role: String, content: String) {
    self.role = role
    self.content = content
  }
}

/// The chat prompt formats of the models Medusa ships heads for, written in Swift (no Jinja
/// engine). Each renders exactly what the Jinja `chat_template` of the real
/// tokenizer_config.json renders (checked against Golden/tokenizers/chat_templates.json).
public enum ChatTemplate: String, CaseIterable, Sendable {
  /// Vicuna v1.1 (FastChat `vicuna_v1.1`): a system prompt, then `USER: ... ASSISTANT: ...</s>`.
  case vicuna
  /// Zephyr: `<|system|>`, `<|user|>`, `<|assistant|>` headers, each message ending in EOS.
  case zephyr
  /// Llama-2 chat: `<s>[INST] <<SYS>>...<</SYS>> ... [/INST] answer </s>`.
  case llama2
  /// ChatML: `<|im_start|>role\n...<|im_end|>\n`.
  case chatml

  /// FastChat's default Vicuna v1.1 system prompt.
  public static let vicunaSystemPrompt =
    "A chat between a curious user and an artificial intelligence assistant. The assistant "
    + "gives helpful, detailed, and polite answers to the user's questions."

  /// The template called `name` ("vicuna", "vicuna_v1.1", "zephyr", "llama2", "llama-2",
  /// "chatml"), ignoring case.
  public static func named(_ name: String) -> ChatTemplate? {
    switch name.lowercased() {
    case "vicuna", "vicuna_v1.1", "vicuna-v1.1": return .vicuna
    case "zephyr": return .zephyr
    case "llama2", "llama-2", "llama_2", "llama2-chat": return .llama2
    case "chatml": return .chatml
    default: return nil
    }
  }

  /// The template that a tokenizer_config.json's Jinja `chat_template` implements, recognized
  /// by its markers; nil when there is none or it is not one of these.
  public static func detect(from tokenizerConfig: TokenizerConfig) -> ChatTemplate? {
    guard let jinja = tokenizerConfig.chatTemplate else { return nil }
    if jinja.contains("<|im_start|>") { return .chatml }
    if jinja.contains("<<SYS>>") || jinja.contains("[INST]") { return .llama2 }
    if jinja.contains("<|user|>") && jinja.contains("<|assistant|>") { return .zephyr }
    if jinja.contains("USER:") && jinja.contains("ASSISTANT:") { return .vicuna }
    return nil
  }

  /// The prompt text of `messages`; with `addGenerationPrompt` it ends where the assistant's
  /// answer starts (Llama-2's template has no such suffix and ignores the flag). Llama-2's
  /// Jinja template raises an error when roles do not alternate user/assistant; this renders
  /// the messages in order regardless.
  public func render(
    messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "<s>",
    eosToken: String = "</s>"
  ) -> String {
    switch self {
    case .vicuna:
      var rest = messages[...]
      var system = ChatTemplate.vicunaSystemPrompt
      if let first = messages.first, first.role == "system" {
        system = first.content
        rest = messages.dropFirst()
      }
      var out = system + " "
      for message in rest {
        if message.role == "user" { out += "USER: " + message.content + " " }
        if message.role == "assistant" { out += "ASSISTANT: " + message.content + eosToken }
      }
      return addGenerationPrompt ? out + "ASSISTANT:" : out
    case .zephyr:
      var out = ""
      for message in messages where ["user", "system", "assistant"].contains(message.role) {
        out += "<|\(message.role)|>\n" + message.content + eosToken + "\n"
      }
      return addGenerationPrompt && !messages.isEmpty ? out + "<|assistant|>\n" : out
    case .llama2:
      var rest = messages[...]
      var system: String?
      if let first = messages.first, first.role == "system" {
        system = first.content
        rest = messages.dropFirst()
      }
      var out = ""
      for (index, message) in rest.enumerated() {
        var content = message.content
        if index == 0, let system {
          content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content
        }
        if message.role == "user" {
          out += bosToken + "[INST] " + pythonStrip(content) + " [/INST]"
        } else if message.role == "assistant" {
          out += " " + pythonStrip(content) + " " + eosToken
        }
      }
      return out
    case .chatml:
      var out = ""
      for message in messages {
        out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n"
      }
      return addGenerationPrompt ? out + "<|im_start|>assistant\n" : out
    }
  }
}

/// Python's `str.strip()`: removes leading and trailing White_Space and U+001C...U+001F.
func pythonStrip(_ text: String) -> String {
  let scalars = Array(text.unicodeScalars)
  func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    CharacterClasses.isSpace(scalar) || (0x1C...0x1F).contains(scalar.value)
  }
  guard let first = scalars.firstIndex(where: { !isSpace($0) }),
    let last = scalars.lastIndex(where: { !isSpace($0) })
  else { return "" }
  return scalarString(scalars[first...last])
}

/// A chat template and the default system prompt that some Jinja templates insert when a
/// conversation does not start with a system message: SmolLM2's ChatML template writes
/// `<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging
/// Face<|im_end|>\n` first in that case.
public struct ChatFormat: Sendable, Equatable {
  /// The prompt format.
  public var template: ChatTemplate
  /// The system message put first when the conversation has none (nil: the template's own
  /// behaviour, which for Vicuna is its built-in system prompt).
  public var defaultSystemPrompt: String?

  /// A format from its parts.
  public init(template: ChatTemplate, defaultSystemPrompt: String? = nil) {
    self.template = template
    self.defaultSystemPrompt = defaultSystemPrompt
  }

  /// The format that the Jinja `chat_template` text implements, recognized as
  /// `ChatTemplate.detect` does; a ChatML template that writes a constant system block (a
  /// string literal `'<|im_start|>system\n...<|im_end|>\n'`) gets that text as its default
  /// system prompt. Any other template is `TokenizerError.unsupportedChatTemplate`, naming its
  /// first line: then choose one by name (`ChatTemplate.named`).
  public init(jinja: String) throws {
    guard let template = ChatTemplate.detect(from: TokenizerConfig(chatTemplate: jinja)) else {
      let firstLine = jinja.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
      throw TokenizerError.unsupportedChatTemplate(firstLine: String(firstLine.prefix(120)))
    }
    self.template = template
    defaultSystemPrompt = template == .chatml ? ChatFormat.constantSystemBlock(in: jinja) : nil
  }

  /// The format of `config`'s chat template, or nil when it has none.
  public init?(config: TokenizerConfig) throws {
    guard let jinja = config.chatTemplate else { return nil }
    try self.init(jinja: jinja)
  }

  /// The prompt text of `messages` (see `ChatTemplate.render`), with the default system
  /// message first when there is one and the conversation does not start with a system message.
  public func render(
    messages: [ChatMessage], addGenerationPrompt: Bool, bosToken: String = "<s>",
    eosToken: String = "</s>"
  ) -> String {
    var messages = messages
    if let defaultSystemPrompt, let first = messages.first, first.role != "system" {
      messages.insert(ChatMessage(role: "system", content: defaultSystemPrompt), at: 0)
    }
    return template.render(
      messages: messages, addGenerationPrompt: addGenerationPrompt, bosToken: bosToken,
      eosToken: eosToken)
  }

  /// The text of the first string literal inside a Jinja tag (`{{ }}`, `{% %}`) that is a whole
  /// ChatML system block, `<|im_start|>system\n` + text + `<|im_end|>\n`.
  static func constantSystemBlock(in jinja: String) -> String? {
    let prefix = "<|im_start|>system\n"
    let suffix = "<|im_end|>\n"
    for literal in jinjaStringLiterals(jinja)
    where literal.hasPrefix(prefix) && literal.hasSuffix(suffix)
      && literal.count >= prefix.count + suffix.count
    {
      return String(literal.dropFirst(prefix.count).dropLast(suffix.count))
    }
    return nil
  }

  /// The string literals inside Jinja tags, unescaped (`\n`, `\t`, `\r`, `\\`, `\'`, `\"`).
  static func jinjaStringLiterals(_ jinja: String) -> [String] {
    let scalars = Array(jinja.unicodeScalars)
    var literals: [String] = []
    var index = 0
    var inTag = false
    while index < scalars.count {
      let scalar = scalars[index]
      let next = index + 1 < scalars.count ? scalars[index + 1] : nil
      if !inTag {
        if scalar == "{", next == "{" || next == "%" { inTag = true }
        index += 1
      } else if (scalar == "}" || scalar == "%") && next == "}" {
        inTag = false
        index += 2
      } else if scalar == "'" || scalar == "\"" {
        var text = String.UnicodeScalarView()
        index += 1
        while index < scalars.count, scalars[index] != scalar {
          if scalars[index] == "\\", index + 1 < scalars.count {
            let escaped = scalars[index + 1]
            switch escaped {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "\\", "'", "\"": text.append(escaped)
            default: text.append(contentsOf: ["\\", escaped])
            }
            index += 2
          } else {
            text.append(scalars[index])
            index += 1
          }
        }
        literals.append(String(text))
        index += 1
      } else {
        index += 1
      }
    }
    return literals
  }
}
