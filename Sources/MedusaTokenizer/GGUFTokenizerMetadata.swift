import MedusaFormats

/// The tokenizer of a GGUF file as llama.cpp's converter writes it (`tokenizer.ggml.*`,
/// `tokenizer.chat_template`), read and checked: every defect is a `TokenizerError` whose field
/// is the GGUF key (and index) at fault.
struct GGUFTokenizerMetadata {
  /// llama.cpp's token types (`llama_token_type`), the values of `tokenizer.ggml.token_type`.
  enum TokenType: Int {
    /// Not set.
    case undefined = 0
    /// An ordinary token.
    case normal
    /// The unknown token.
    case unknown
    /// A control token such as `<|im_start|>`.
    case control
    /// A token that is matched whole in the text, such as `<think>`.
    case userDefined
    /// A placeholder that is never produced.
    case unused
    /// A byte-fallback token `<0xAB>`.
    case byte
  }

  /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE) or "llama" (SentencePiece-style BPE).
  let model: String
  /// `tokenizer.ggml.pre`, the pre-tokenizer name (absent in older files).
  let pre: String?
  /// `general.architecture`.
  let architecture: String?
  /// `tokenizer.ggml.tokens`: the token of each id.
  let tokens: [String]
  /// `tokenizer.ggml.token_type`, one per token, when present.
  let tokenTypes: [TokenType]?
  /// `tokenizer.ggml.scores`, one per token, when present.
  let scores: [Double]?
  /// `tokenizer.ggml.merges` (`"a b"` strings), when present.
  let merges: [String]?
  /// `tokenizer.ggml.bos_token_id`, `eos_token_id`, `unknown_token_id`, `padding_token_id`.
  let bosID: Int?
  let eosID: Int?
  let unknownID: Int?
  let paddingID: Int?
  /// `tokenizer.ggml.add_bos_token`, `tokenizer.ggml.add_eos_token`.
  let addBOS: Bool?
  let addEOS: Bool?
  /// `tokenizer.chat_template`.
  let chatTemplate: String?

  /// Reads the tokenizer keys of `file`.
  init(file: GGUFFile) throws {
    let reader = Reader(file: file)
    model = try reader.string("tokenizer.ggml.model", required: true) ?? ""
    pre = try reader.string("tokenizer.ggml.pre")
    architecture = try reader.string("general.architecture")
    tokens = try reader.strings("tokenizer.ggml.tokens", required: true) ?? []
    guard !tokens.isEmpty else {
      throw TokenizerError.invalidField(field: "tokenizer.ggml.tokens", reason: "no tokens")
    }
    let count = tokens.count
    tokenTypes = try reader.ints("tokenizer.ggml.token_type", count: count)?.enumerated().map {
      index, raw throws in
      guard let type = TokenType(rawValue: raw) else {
        throw TokenizerError.invalidField(
          field: "tokenizer.ggml.token_type.\(index)", reason: "unknown token type \(raw)")
      }
      return type
    }
    scores = try reader.floats("tokenizer.ggml.scores", count: count)
    merges = try reader.strings("tokenizer.ggml.merges")
    bosID = try reader.id("tokenizer.ggml.bos_token_id", count: count)
    eosID = try reader.id("tokenizer.ggml.eos_token_id", count: count)
    unknownID = try reader.id("tokenizer.ggml.unknown_token_id", count: count)
    paddingID = try reader.id("tokenizer.ggml.padding_token_id", count: count)
    addBOS = try reader.bool("tokenizer.ggml.add_bos_token")
    addEOS = try reader.bool("tokenizer.ggml.add_eos_token")
    chatTemplate = try reader.string("tokenizer.chat_template")
  }

  /// The token type of `id` (`.normal` when the file has no types).
  func type(of id: Int) -> TokenType { tokenTypes?[id] ?? .normal }

  /// Typed reads of metadata values; a value of the wrong type is an error naming its key.
  private struct Reader {
    let file: GGUFFile

    private func value(_ key: String, required: Bool) throws -> GGUFValue? {
      guard let value = file.value(key) else {
        if required { throw TokenizerError.invalidField(field: key, reason: "missing") }
        return nil
      }
      return value
    }

    private func wrongType(_ key: String, _ expected: String, _ value: GGUFValue) -> TokenizerError
    {
      .invalidField(field: key, reason: "expected \(expected), found \(Self.describe(value))")
    }

    private static func describe(_ value: GGUFValue) -> String {
      if case .array(let elementType, let values) = value {
        return "an array of \(values.count) \(elementType.name)"
      }
      return value.type.name
    }

    func string(_ key: String, required: Bool = false) throws -> String? {
      guard let value = try value(key, required: required) else { return nil }
      guard let text = value.string else { throw wrongType(key, "a string", value) }
      return text
    }

    func strings(_ key: String, required: Bool = false) throws -> [String]? {
      guard let value = try value(key, required: required) else { return nil }
      guard let texts = value.strings else { throw wrongType(key, "an array of strings", value) }
      return texts
    }

    func bool(_ key: String) throws -> Bool? {
      guard let value = try value(key, required: false) else { return nil }
      guard let flag = value.bool else { throw wrongType(key, "a bool", value) }
      return flag
    }

    /// A token id: any integer type, inside the vocabulary.
    func id(_ key: String, count: Int) throws -> Int? {
      guard let value = try value(key, required: false) else { return nil }
      guard let id = value.int else { throw wrongType(key, "an integer", value) }
      guard (0..<count).contains(id) else {
        throw TokenizerError.invalidField(
          field: key, reason: "token id \(id) is outside the \(count) tokens")
      }
      return id
    }

    /// An array of integers with one element per token.
    func ints(_ key: String, count: Int) throws -> [Int]? {
      guard let value = try value(key, required: false) else { return nil }
      guard let ints = value.ints else { throw wrongType(key, "an array of integers", value) }
      guard ints.count == count else {
        throw TokenizerError.invalidField(
          field: key, reason: "\(ints.count) entries for \(count) tokens")
      }
      return ints
    }

    /// An array of floats with one finite-or-infinite (not NaN) element per token.
    func floats(_ key: String, count: Int) throws -> [Double]? {
      guard let value = try value(key, required: false) else { return nil }
      guard let floats = value.floats else { throw wrongType(key, "an array of floats", value) }
      guard floats.count == count else {
        throw TokenizerError.invalidField(
          field: key, reason: "\(floats.count) entries for \(count) tokens")
      }
      if let index = floats.firstIndex(where: \.isNaN) {
        throw TokenizerError.invalidField(field: "\(key).\(index)", reason: "score is NaN")
      }
      return floats
    }
  }
}
