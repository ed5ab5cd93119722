import Foundation

/// A Hugging Face tokenizer loaded from tokenizer.json, producing the same ids and text as the
/// tokenizers library for the supported components (BPE model; the normalizers, pre-tokenizers,
/// post-processors and decoders of the Llama-2/Vicuna/TinyLlama, Llama-3, GPT-2/SmolLM and
/// Qwen2 families).
///
/// Encoding follows the library step by step: added tokens are extracted (raw, then in the
/// normalized text), the rest is normalized, pre-tokenized and tokenized by BPE, and the
/// post-processor adds the template's special tokens. All text work is on Unicode scalars.
///
/// Instances are immutable after loading except for the BPE word cache, which is locked, so
/// one tokenizer may be shared between threads.
public final class Tokenizer: @unchecked Sendable {
  let model: BPEModel
  let addedVocabulary: AddedVocabulary
  let normalizer: Normalizer?
  let preTokenizer: PreTokenizer?
  let postProcessor: PostProcessor?
  let decoder: Decoder?
  /// Settings from tokenizer_config.json (empty when there is none).
  public let config: TokenizerConfig

  /// Loads `url`: a tokenizer.json file, or a model folder containing one (a
  /// tokenizer_config.json next to it is read too, when present), or a `.gguf` file (see
  /// `init(gguf:)`).
  public convenience init(url: URL) throws {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
    guard exists else {
      throw TokenizerError.unreadableFile(path: url.path, reason: "no such file or folder")
    }
    if !isDirectory.boolValue && Tokenizer.isGGUF(url) {
      try self.init(ggufURL: url)
      return
    }
    let file = isDirectory.boolValue ? url.appendingPathComponent("tokenizer.json") : url
    let configURL = file.deletingLastPathComponent().appendingPathComponent(
      "tokenizer_config.json")
    let config =
      FileManager.default.fileExists(atPath: configURL.path)
      ? try TokenizerConfig(url: configURL) : TokenizerConfig()
    let json = try TokenizerJSON.read(file)
    do {
      try self.init(json: json, config: config)
    } catch let error as TokenizerError {
      throw error.naming(file.path)
    }
  }

  /// Builds a tokenizer from the bytes of a tokenizer.json (and optional config).
  public convenience init(tokenizerJSON: [UInt8], config: TokenizerConfig = TokenizerConfig())
    throws
  {
    try self.init(
      json: try TokenizerJSON.parse(tokenizerJSON, path: "tokenizer.json"), config: config)
  }

  init(json: JSON, config: TokenizerConfig) throws {
    let root = try JSONFields(json, path: "")
    for key in ["truncation", "padding"] {
      if let value = root.value[key], !value.isNull {
        throw TokenizerError.unsupportedComponent(field: key, type: "non-null \(key)")
      }
    }
    guard let modelJSON = root.value["model"], !modelJSON.isNull else {
      throw TokenizerError.invalidField(field: "model", reason: "missing")
    }
    model = try BPEModel(json: modelJSON, path: "model")
    normalizer = try Tokenizer.component(root, "normalizer", Normalizer.init)
    preTokenizer = try Tokenizer.component(root, "pre_tokenizer", PreTokenizer.init)
    postProcessor = try Tokenizer.component(root, "post_processor", PostProcessor.init)
    decoder = try Tokenizer.component(root, "decoder", Decoder.init)
    let added = root.value["added_tokens"].flatMap { $0.isNull ? nil : $0 }
    guard case .array(let addedList) = added ?? .array([]) else {
      throw TokenizerError.invalidField(field: "added_tokens", reason: "expected an array")
    }
    addedVocabulary = try AddedVocabulary(json: addedList, model: model, normalizer: normalizer)
    self.config = config
  }

  private static func component<T>(
    _ root: JSONFields, _ key: String, _ make: (JSON, String) throws -> T
  ) throws -> T? {
    guard let value = root.value[key], !value.isNull else { return nil }
    return try make(value, key)
  }

  /// The ids of `text`; with `addSpecialTokens` the post-processor's template tokens (such as
  /// BOS) are added. Special tokens written in the text are matched either way.
  public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
    encode(scalars: Array(text.unicodeScalars), addSpecialTokens: addSpecialTokens)
  }

  /// The ids of UTF-8 `bytes`; invalid UTF-8 is an error naming the first bad byte.
  public func encode(utf8 bytes: [UInt8], addSpecialTokens: Bool = true) throws -> [Int] {
    guard let text = String(validating: bytes, as: UTF8.self) else {
      var iterator = bytes.makeIterator()
      var decoder = UTF8()
      var offset = 0
      while case .scalarValue(let scalar) = decoder.decode(&iterator) {
        offset += UTF8.width(scalar)
      }
      throw TokenizerError.invalidUTF8(offset: offset)
    }
    return try encode(text, addSpecialTokens: addSpecialTokens)
  }

  func encode(scalars: [Unicode.Scalar], addSpecialTokens: Bool) -> [Int] {
    var ids: [Int] = []
    ids.reserveCapacity(scalars.count / 3 + 4)
    for segment in addedVocabulary.extract(scalars, normalizer: normalizer) {
      switch segment {
      case .token(let id):
        ids.append(id)
      case .text(let piece):
        for word in preTokenizer?.apply([piece]) ?? [piece] {
          model.tokenize(word.scalars, into: &ids)
        }
      }
    }
    return postProcessor?.apply(ids, addSpecialTokens: addSpecialTokens) ?? ids
  }

  /// The text of `ids`, through the configured decoder; with `skipSpecialTokens` special added
  /// tokens are left out. Ids outside the vocabulary are an error.
  public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
    scalarString(try decodeScalars(ids, skipSpecialTokens: skipSpecialTokens))
  }

  func decodeScalars(_ ids: [Int], skipSpecialTokens: Bool) throws -> [Unicode.Scalar] {
    var tokens: [[Unicode.Scalar]] = []
    tokens.reserveCapacity(ids.count)
    for id in ids {
      guard let piece = tokenScalars(id) else { throw TokenizerError.unknownID(id) }
      if skipSpecialTokens && addedVocabulary.specialContents.contains(piece) { continue }
      tokens.append(piece)
    }
    var text: [Unicode.Scalar]
    if let decoder {
      text = Array(decoder.decodeChain(tokens).joined())
    } else {
      text = Array(tokens.joined(separator: [" "]))
    }
    if config.cleanUpTokenizationSpaces { text = cleanUpTokenizationSpaces(text) }
    return text
  }

  private func tokenScalars(_ id: Int) -> [Unicode.Scalar]? {
    if let token = addedVocabulary.tokensByID[id] {
      return addedVocabulary.decodedForm[id].map { Array($0.unicodeScalars) } ?? token.content
    }
    return model.pieces[id].map { Array($0.unicodeScalars) }
  }

  /// The vocabulary entry of `id` (an added token's content or the model's token), for display.
  public func token(for id: Int) -> String? {
    if let token = addedVocabulary.tokensByID[id] { return scalarString(token.content) }
    return model.pieces[id]
  }

  /// The id of a vocabulary entry or added token, compared scalar by scalar.
  public func id(for token: String) -> Int? {
    let scalars = Array(token.unicodeScalars)
    if let added = addedVocabulary.tokensByID.values.first(where: { $0.content == scalars }) {
      return added.id
    }
    return model.vocabulary[scalars]
  }

  /// One more than the largest id of the model or the added tokens: the number of rows an
  /// embedding table needs.
  public var vocabularySize: Int {
    max(model.pieces.keys.max() ?? -1, addedVocabulary.tokensByID.keys.max() ?? -1) + 1
  }

  /// The beginning-of-sequence id: `bos_token` of tokenizer_config.json, else the first token
  /// the post-processor puts before the text.
  public var bosTokenID: Int? {
    if let name = config.bosToken { return id(for: name) }
    return postProcessor?.templateIDs.leading.first
  }

  /// The end-of-sequence id: `eos_token` of tokenizer_config.json, else the last token the
  /// post-processor puts after the text, else a well-known end token of the vocabulary.
  public var eosTokenID: Int? {
    if let name = config.eosToken { return id(for: name) }
    if let last = postProcessor?.templateIDs.trailing.last { return last }
    for name in ["</s>", "<|endoftext|>", "<|end_of_text|>", "<|im_end|>"] {
      if let id = id(for: name) { return id }
    }
    return nil
  }

  /// Whether `id` is a special added token.
  public func isSpecial(_ id: Int) -> Bool {
    addedVocabulary.tokensByID[id]?.special ?? false
  }
}
