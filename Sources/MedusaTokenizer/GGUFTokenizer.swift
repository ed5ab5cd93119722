import Foundation
import MedusaFormats

extension Tokenizer {
  /// The tokenizer of a GGUF file, exactly as transformers builds it from the file's
  /// `tokenizer.ggml.*` metadata (`AutoTokenizer.from_pretrained(folder, gguf_file=...)`) and
  /// the tokenizers library runs it: `tokenizer.ggml.model` "gpt2" (byte-level BPE) or "llama"
  /// (SentencePiece-style BPE), special and added tokens from the token types, BOS/EOS from the
  /// token ids and `add_bos_token`/`add_eos_token`. `config` carries the BOS and EOS tokens and
  /// `tokenizer.chat_template` (see `ChatFormat`).
  ///
  /// Bad metadata (a missing or mistyped key, a merge that names no token, a count that does not
  /// match the tokens, an unknown token type, an id outside the vocabulary) is a
  /// `TokenizerError` whose field is the GGUF key. Docs/TOKENIZER.md, "GGUF", says what is read
  /// and where llama.cpp's own tokenizer differs.
  public convenience init(gguf: GGUFFile) throws {
    let metadata = try GGUFTokenizerMetadata(file: gguf)
    try self.init(
      json: try GGUFTokenizerConversion.tokenizerJSON(metadata),
      config: GGUFTokenizerConversion.config(metadata))
  }

  /// Opens the GGUF file at `url` (a `FormatError` when it is not a valid one) and builds its
  /// tokenizer.
  convenience init(ggufURL url: URL) throws {
    try self.init(gguf: try GGUFFile(url: url))
  }

  /// Whether `url` names a GGUF file (by its extension).
  static func isGGUF(_ url: URL) -> Bool { url.pathExtension.lowercased() == "gguf" }
}
