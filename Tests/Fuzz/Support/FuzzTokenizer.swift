import MedusaTokenizer

/// What the tokenizer fuzz targets do with a tokenizer that loads: encode a few texts that
/// reach every component (spaces, digits, contractions, non-ASCII, special-looking tokens),
/// decode every id and some id runs, and stream them.
enum FuzzTokenizer {
  static let texts = [
    "", " ", "Hello world", "  two  spaces\n\ttab", "don't 123 4567 ²½", "é e\u{301} 한 \u{FEFF}x",
    "<s>a</s><|endoftext|>", "😀👍🏽 ∑ ©", "\u{0}\u{7F}\u{85}\u{2028}",
  ]

  static func exercise(_ tokenizer: Tokenizer) {
    for text in texts {
      guard let ids = try? tokenizer.encode(text) else { continue }
      _ = try? tokenizer.decode(ids)
      _ = try? tokenizer.decode(ids, skipSpecialTokens: true)
      _ = try? tokenizer.encode(text, addSpecialTokens: false)
    }
    let size = min(tokenizer.vocabularySize, 512)
    let all = Array(0..<size)
    for id in all { _ = tokenizer.token(for: id) }
    _ = try? tokenizer.decode(all)
    var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
    for id in all.prefix(64) { _ = try? stream.push(id) }
    _ = try? stream.finish()
    _ = (tokenizer.bosTokenID, tokenizer.eosTokenID)
  }
}
