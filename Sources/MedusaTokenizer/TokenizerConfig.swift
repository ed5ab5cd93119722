import Foundation

/// The parts of tokenizer_config.json that matter here.
public struct TokenizerConfig: Sendable {
  /// `bos_token` (a string, or an object with `content`).
  public var bosToken: String?
  /// `eos_token` (a string, or an object with `content`).
  public var eosToken: String?
  /// `chat_template`: the string, or the entry named "default" of a list of templates.
  public var chatTemplate: String?
  /// `clean_up_tokenization_spaces`: transformers removes the space before punctuation and
  /// some English contractions after decoding. Off when absent.
  public var cleanUpTokenizationSpaces: Bool

  /// An empty configuration.
  public init(
    bosToken: String? = nil, eosToken: String? = nil, chatTemplate: String? = nil,
    cleanUpTokenizationSpaces: Bool = false
  ) {
    self.bosToken = bosToken
    self.eosToken = eosToken
    self.chatTemplate = chatTemplate
    self.cleanUpTokenizationSpaces = cleanUpTokenizationSpaces
  }

  /// Reads the tokenizer_config.json at `url`; errors name the file.
  init(url: URL) throws {
    let json = try TokenizerJSON.read(url)
    do {
      try self.init(json: json)
    } catch let error as TokenizerError {
      throw error.naming(url.path)
    }
  }

  /// Reads a parsed tokenizer_config.json.
  init(json: JSON) throws {
    let fields = try JSONFields(json, path: "tokenizer_config")
    bosToken = try TokenizerConfig.tokenName(fields, "bos_token")
    eosToken = try TokenizerConfig.tokenName(fields, "eos_token")
    cleanUpTokenizationSpaces = try fields.bool("clean_up_tokenization_spaces", default: false)
    switch fields.value["chat_template"] {
    case .string(let template):
      chatTemplate = template
    case .array(let entries):
      chatTemplate =
        entries.lazy.compactMap { entry -> String? in
          guard case .string(let name) = entry["name"], name == "default",
            case .string(let template) = entry["template"]
          else { return nil }
          return template
        }.first
    default:
      chatTemplate = nil
    }
  }

  private static func tokenName(_ fields: JSONFields, _ key: String) throws -> String? {
    switch fields.value[key] {
    case .string(let name): return name
    case .object: return try fields.object(key).string("content")
    default: return nil
    }
  }
}

/// transformers' `clean_up_tokenization`: removes the space before `.`, `?`, `!`, `,` and some
/// English contractions.
func cleanUpTokenizationSpaces(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
  let rules: [(String, String)] = [
    (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
    (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
  ]
  return rules.reduce(text) { text, rule in
    replacingOccurrences(
      in: text, of: Array(rule.0.unicodeScalars), with: Array(rule.1.unicodeScalars))
  }
}
