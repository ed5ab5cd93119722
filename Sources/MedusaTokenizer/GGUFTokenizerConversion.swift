/// The tokenizer.json that transformers (5.24, `integrations/gguf/gguf_tokenizer_mapping.py`)
/// builds from a GGUF file's tokenizer metadata, as it stands after
/// `AutoTokenizer.from_pretrained(folder, gguf_file=...)`, written as the `JSON` tree that
/// `Tokenizer(json:config:)` reads. Building the same components through the same reader
/// keeps one implementation of every component; the tree is exactly equivalent (see
/// `addedTokens` for the one subtlety, and Docs/TOKENIZER.md, "GGUF").
///
/// - `gpt2` (byte-level BPE, transformers' `GPT2Tokenizer`): vocabulary from
///   `tokenizer.ggml.tokens`, a token with a scalar outside the byte-level alphabet respelled
///   byte by byte; merges from `tokenizer.ggml.merges`; BPE without unknown token; ByteLevel
///   pre-tokenizer (GPT-2 regex, no prefix space) and decoder.
/// - `llama` (SentencePiece-style BPE, `LlamaTokenizer`): merges from the file, or rebuilt from
///   `tokenizer.ggml.scores`; BPE with byte fallback and fused unknowns (but no unknown token);
///   Metaspace (prepend "first", no split); decoders Replace("▁", " "), ByteFallback, Fuse,
///   Strip(1, 0). `tokenizer.ggml.add_space_prefix` is not read by transformers, nor here.
///   Architecture `phi3`: a Prepend("▁") + Replace(" ", "▁") normalizer and no pre-tokenizer.
/// - `tokenizer.ggml.pre` naming a Llama-3 or Qwen2 split replaces the pre-tokenizer (of either
///   model) with Split(regex, Isolated) + ByteLevel(no regex), as `set_split_regex` does.
/// - The post-processor puts the BOS token first when `add_bos_token` (default: true for
///   `llama`, false for `gpt2`) and the EOS token last when `add_eos_token` (default false).
enum GGUFTokenizerConversion {
  /// The `tokenizer.ggml.pre` names transformers maps to the Llama-3 split regex.
  static let llama3Splits: Set<String> = [
    "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2",
    "jina-v5-nano", "dbrx", "smaug-bpe",
  ]
  /// The names transformers maps to the Qwen2 split regex.
  static let qwen2Splits: Set<String> = ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"]
  /// Names transformers maps to split regexes this implementation has no scanner for.
  static let unsupportedSplits: Set<String> = [
    "tekken", "qwen35", "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2",
  ]

  /// The tokenizer.json tree of `metadata`.
  static func tokenizerJSON(_ metadata: GGUFTokenizerMetadata) throws -> JSON {
    let kind = try Kind(metadata)
    let vocabulary = try spelledVocabulary(metadata, byteLevel: kind == .byteLevel)
    let merges = try validatedMerges(metadata, vocabulary: vocabulary)
    let added = addedTokens(metadata, kind: kind, vocabulary: vocabulary)
    var model: [JSONMember] = [
      member("type", .string("BPE")),
      member(
        "vocab",
        .object(
          vocabulary.spelled.enumerated().map { member($0.element, .integer($0.offset)) })),
      member("merges", .array(merges.map { .array([.string($0.0), .string($0.1)]) })),
    ]
    if kind != .byteLevel {
      model += [member("byte_fallback", .bool(true)), member("fuse_unk", .bool(true))]
    }
    return .object([
      member("model", .object(model)),
      member("added_tokens", .array(added.map(\.json))),
      member("normalizer", normalizer(kind)),
      member("pre_tokenizer", try preTokenizer(metadata, kind: kind)),
      member("decoder", decoder(kind)),
      member("post_processor", try postProcessor(metadata, kind: kind, added: added)),
    ])
  }

  /// The settings transformers takes from the file: BOS and EOS token strings, the chat template.
  static func config(_ metadata: GGUFTokenizerMetadata) -> TokenizerConfig {
    TokenizerConfig(
      bosToken: metadata.bosID.map { metadata.tokens[$0] },
      eosToken: metadata.eosID.map { metadata.tokens[$0] },
      chatTemplate: metadata.chatTemplate, cleanUpTokenizationSpaces: false)
  }

  /// Which transformers builder applies.
  enum Kind {
    /// `tokenizer.ggml.model` "gpt2": byte-level BPE.
    case byteLevel
    /// "llama": SentencePiece-style BPE.
    case sentencePiece
    /// "llama" in a `phi3` file.
    case phi3

    init(_ metadata: GGUFTokenizerMetadata) throws {
      switch metadata.model {
      case "gpt2":
        self = .byteLevel
      case "llama":
        switch metadata.architecture ?? "" {
        case "phi3": self = .phi3
        case "gemma", "gemma2", "gemma3":
          throw TokenizerError.unsupportedComponent(
            field: "general.architecture",
            type: "\(metadata.architecture ?? "") (transformers' Gemma tokenizer)")
        default: self = .sentencePiece
        }
      default:
        throw TokenizerError.unsupportedComponent(
          field: "tokenizer.ggml.model", type: metadata.model)
      }
    }
  }

  /// The vocabulary as transformers spells it, by id, and each token's id.
  struct Vocabulary {
    /// The token of each id in the BPE vocabulary.
    let spelled: [String]
    /// Id of each spelled token (keyed by scalars, as Python compares strings).
    let ids: [[Unicode.Scalar]: Int]
  }

  /// The vocabulary: for byte-level files a token with a scalar outside the byte-level
  /// alphabet is respelled byte by byte. Two ids with one spelling are rejected (Python's dict
  /// would keep the later one and leave the earlier id without a token).
  static func spelledVocabulary(_ metadata: GGUFTokenizerMetadata, byteLevel: Bool) throws
    -> Vocabulary
  {
    var spelled: [String] = []
    spelled.reserveCapacity(metadata.tokens.count)
    var ids: [[Unicode.Scalar]: Int] = [:]
    ids.reserveCapacity(metadata.tokens.count)
    for (id, token) in metadata.tokens.enumerated() {
      var scalars = Array(token.unicodeScalars)
      if byteLevel && !isByteLevel(scalars) { scalars = ByteLevelAlphabet.encode(scalars) }
      if let first = ids[scalars] {
        throw TokenizerError.invalidField(
          field: "tokenizer.ggml.tokens.\(id)",
          reason: "token \(debugQuoted(scalarString(scalars))) is also token \(first)")
      }
      ids[scalars] = id
      spelled.append(scalarString(scalars))
    }
    return Vocabulary(spelled: spelled, ids: ids)
  }

  /// Whether every scalar is one of the 256 of the byte-level alphabet.
  static func isByteLevel(_ scalars: [Unicode.Scalar]) -> Bool {
    scalars.allSatisfy { ByteLevelAlphabet.byte(for: $0) != nil }
  }

  /// The merges of the file (each exactly two tokens), or the ones rebuilt from the scores;
  /// both parts and their concatenation must be tokens (the tokenizers library requires it).
  static func validatedMerges(_ metadata: GGUFTokenizerMetadata, vocabulary: Vocabulary) throws
    -> [(String, String)]
  {
    let key = "tokenizer.ggml.merges"
    var merges: [(String, String)] = []
    if let lines = metadata.merges {
      merges.reserveCapacity(lines.count)
      for (index, line) in lines.enumerated() {
        // Split on the scalar: as a `Character`, a space followed by a combining mark is one.
        let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw TokenizerError.invalidField(
            field: "\(key).\(index)", reason: "\(debugQuoted(line)) is not two tokens")
        }
        merges.append((scalarString(parts[0]), scalarString(parts[1])))
      }
    } else {
      guard let scores = metadata.scores else {
        throw TokenizerError.invalidField(
          field: key, reason: "missing, and no tokenizer.ggml.scores to rebuild them from")
      }
      merges = GGUFMergeGeneration.merges(tokens: metadata.tokens, scores: scores)
    }
    for (index, merge) in merges.enumerated() {
      let left = Array(merge.0.unicodeScalars)
      let right = Array(merge.1.unicodeScalars)
      for part in [left, right, left + right] where vocabulary.ids[part] == nil {
        let source = metadata.merges == nil ? "rebuilt merge" : "merge"
        throw TokenizerError.invalidField(
          field: "\(key).\(index)",
          reason: "\(source) \(debugQuoted(merge.0 + " " + merge.1)) needs "
            + "\(debugQuoted(scalarString(part))), which is not a token")
      }
    }
    return merges
  }
}
