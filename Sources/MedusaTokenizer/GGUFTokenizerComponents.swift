/// The added tokens, pre-tokenizer, decoder and post-processor of a converted GGUF tokenizer
/// (see `GGUFTokenizerConversion`).
extension GGUFTokenizerConversion {
  /// One added token: all are matched in the raw text (`normalized: false`), none strips
  /// whitespace.
  struct AddedEntry {
    /// The token id.
    let id: Int
    /// The text matched.
    let content: String
    /// Whether `decode(skipSpecialTokens: true)` leaves it out.
    var special: Bool

    /// The `added_tokens` entry.
    var json: JSON {
      .object([
        member("id", .integer(id)), member("content", .string(content)),
        member("special", .bool(special)), member("normalized", .bool(false)),
      ])
    }
  }

  /// The added tokens in the order transformers adds them, with the ids the tokenizers library
  /// gives them (a content of the vocabulary keeps its id; a new one gets the next id after
  /// the vocabulary):
  ///
  /// 1. the defaults of the builder class, as special tokens: `<|endoftext|>` (GPT2Tokenizer's
  ///    BOS, EOS and unknown token) or `<s>`, `</s>`, `<unk>` (LlamaTokenizer's);
  /// 2. the tokens of type control, as special tokens (for byte-level files only those spelled in
  ///    the byte-level alphabet: others are llama.cpp mislabels);
  /// 3. the tokens of type user-defined whose file spelling is in the vocabulary, not special;
  /// 4. the file's BOS, EOS, unknown and padding tokens, as special tokens, unless already added.
  ///
  /// The library keeps one entry per content, and a content ever added as special stays in its
  /// set of special tokens (which `decode` consults), even when a later non-special addition of
  /// the same content replaces the entry. So a content is special here when any of steps 1-3
  /// added it as special; step 4 skips contents already added, as transformers does.
  static func addedTokens(
    _ metadata: GGUFTokenizerMetadata, kind: Kind, vocabulary: Vocabulary
  ) -> [AddedEntry] {
    var entries: [AddedEntry] = []
    var position: [[Unicode.Scalar]: Int] = [:]
    var nextID = vocabulary.spelled.count
    func add(_ content: String, special: Bool, onlyIfNew: Bool = false) {
      let scalars = Array(content.unicodeScalars)
      guard !scalars.isEmpty else { return }
      if let index = position[scalars] {
        if special && !onlyIfNew { entries[index].special = true }
        return
      }
      let id: Int
      if let known = vocabulary.ids[scalars] {
        id = known
      } else {
        id = nextID
        nextID += 1
      }
      position[scalars] = entries.count
      entries.append(AddedEntry(id: id, content: content, special: special))
    }
    let defaults = kind == .byteLevel ? ["<|endoftext|>"] : ["<s>", "</s>", "<unk>"]
    for token in defaults { add(token, special: true) }
    for (id, token) in metadata.tokens.enumerated() where metadata.type(of: id) == .control {
      if kind != .byteLevel || isByteLevel(Array(token.unicodeScalars)) {
        add(token, special: true)
      }
    }
    for (id, token) in metadata.tokens.enumerated() where metadata.type(of: id) == .userDefined {
      let scalars = Array(token.unicodeScalars)
      if vocabulary.ids[scalars] != nil || position[scalars] != nil { add(token, special: false) }
    }
    for id in [metadata.bosID, metadata.eosID, metadata.unknownID, metadata.paddingID] {
      if let id { add(metadata.tokens[id], special: true, onlyIfNew: true) }
    }
    return entries
  }

  /// None, except for phi3: Prepend("▁") + Replace(" " -> "▁"), as transformers'
  /// `phi3_tokenizer` sets it.
  static func normalizer(_ kind: Kind) -> JSON {
    guard kind == .phi3 else { return .null }
    let replace = component(
      "Replace",
      [
        member("pattern", .object([member("String", .string(" "))])),
        member("content", .string("▁")),
      ])
    return component(
      "Sequence",
      [
        member(
          "normalizers",
          .array([component("Prepend", [member("prepend", .string("▁"))]), replace]))
      ])
  }

  /// Byte-level or Metaspace (or none, for phi3), unless `tokenizer.ggml.pre` names a split.
  static func preTokenizer(_ metadata: GGUFTokenizerMetadata, kind: Kind) throws -> JSON {
    let pre = metadata.pre ?? ""
    let regex: String
    if llama3Splits.contains(pre) {
      regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    } else if qwen2Splits.contains(pre) {
      regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    } else if unsupportedSplits.contains(pre) {
      throw TokenizerError.unsupportedComponent(
        field: "tokenizer.ggml.pre", type: "\(pre) (a split regex without a scanner here)")
    } else {
      switch kind {
      case .byteLevel:
        return component(
          "ByteLevel", [member("add_prefix_space", .bool(false)), member("use_regex", .bool(true))])
      case .sentencePiece:
        return component(
          "Metaspace",
          [
            member("replacement", .string("▁")), member("prepend_scheme", .string("first")),
            member("split", .bool(false)),
          ])
      case .phi3:
        return .null
      }
    }
    return component(
      "Sequence",
      [
        member(
          "pretokenizers",
          .array([
            component(
              "Split",
              [
                member("pattern", .object([member("Regex", .string(regex))])),
                member("behavior", .string("Isolated")), member("invert", .bool(false)),
              ]),
            component(
              "ByteLevel",
              [member("add_prefix_space", .bool(false)), member("use_regex", .bool(false))]),
          ]))
      ])
  }

  /// ByteLevel, or LlamaTokenizer's Replace + ByteFallback + Fuse + Strip.
  static func decoder(_ kind: Kind) -> JSON {
    guard kind != .byteLevel else { return component("ByteLevel") }
    return component(
      "Sequence",
      [
        member(
          "decoders",
          .array([
            component(
              "Replace",
              [
                member("pattern", .object([member("String", .string("▁"))])),
                member("content", .string(" ")),
              ]),
            component("ByteFallback"), component("Fuse"),
            component(
              "Strip",
              [
                member("content", .string(" ")), member("start", .integer(1)),
                member("stop", .integer(0)),
              ]),
          ]))
      ])
  }

  /// `[BOS] $A [EOS]` as transformers' `update_post_processor` writes it: BOS when
  /// `add_bos_token` (default true for SentencePiece files) and the file names a BOS token, EOS
  /// likewise (default false).
  ///
  /// transformers writes the template as a string such as `"<s>:0 $A:0"`, which the tokenizers
  /// library splits at whitespace and `:` and reads `$...` as a sequence: a BOS or EOS token with
  /// whitespace or `:` in it, or starting with `$`, fails there (or panics), so it is rejected.
  static func postProcessor(
    _ metadata: GGUFTokenizerMetadata, kind: Kind, added: [AddedEntry]
  ) throws -> JSON {
    func specialID(_ id: Int) -> Int {
      let content = Array(metadata.tokens[id].unicodeScalars)
      return added.first { Array($0.content.unicodeScalars) == content }?.id ?? id
    }
    let addBOS = metadata.addBOS ?? (kind != .byteLevel)
    let addEOS = metadata.addEOS ?? false
    var single: [JSON] = []
    var specials: [JSONMember] = []
    func special(_ id: Int, _ name: String) throws {
      let token = metadata.tokens[id]
      let scalars = Array(token.unicodeScalars)
      if scalars.contains(where: { $0.properties.isWhitespace || $0 == ":" })
        || scalars.first == "$"
      {
        throw TokenizerError.invalidField(
          field: "tokenizer.ggml.\(name)_token_id",
          reason: "transformers cannot add \(debugQuoted(token)) in its post-processor template "
            + "(whitespace, ':' or a leading '$')")
      }
      single.append(.object([member("SpecialToken", .object([member("id", .string(name))]))]))
      specials.append(
        member(
          name,
          .object([
            member("id", .string(token)), member("ids", .array([.integer(specialID(id))])),
          ])))
    }
    if addBOS, let id = metadata.bosID { try special(id, "bos") }
    single.append(.object([member("Sequence", .object([member("id", .string("A"))]))]))
    if addEOS, let id = metadata.eosID { try special(id, "eos") }
    return component(
      "TemplateProcessing",
      [member("single", .array(single)), member("special_tokens", .object(specials))])
  }

  /// A JSON object member.
  static func member(_ key: String, _ value: JSON) -> JSONMember {
    (key, value)
  }

  /// A component object `{"type": type, ...members}`.
  static func component(_ type: String, _ members: [JSONMember] = []) -> JSON {
    .object([member("type", .string(type))] + members)
  }
}
