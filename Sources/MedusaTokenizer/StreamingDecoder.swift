/// Incremental detokenizer for streaming: feed ids one at a time, get only complete, final text.
///
/// Every chunk returned is a continuation of the previous ones, and the concatenation of all
/// chunks (including `finish()`) equals `tokenizer.decode(allIDs, skipSpecialTokens:)`.
/// Text is held back while it may still change:
/// - a trailing run of byte-fallback tokens (`<0xAB>`), because the ByteFallback decoder turns
///   the whole run into U+FFFD per byte if it ends up invalid UTF-8;
/// - trailing U+FFFD, which may be an incomplete UTF-8 sequence of byte-level tokens;
/// - with `clean_up_tokenization_spaces`, a trailing start of a clean-up pattern (" ", " n'"...).
///
/// Each push decodes the ids so far: O(n) per token, which is small next to a model step.
public struct StreamingDecoder {
  private let tokenizer: Tokenizer
  private let skipSpecialTokens: Bool
  private let holdsByteRuns: Bool
  private var ids: [Int] = []
  private var emitted: [Unicode.Scalar] = []
  /// The end of the context's text that `finalText` held back (a trailing byte-fallback run
  /// such as the two bytes of "é", a possible clean-up start): the caller has shown the
  /// context, so this text is not returned again when it becomes final.
  private var contextTail: [Unicode.Scalar] = []

  /// A decoder for the text of `tokenizer`'s ids, dropping special tokens if asked.
  public init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
    self.tokenizer = tokenizer
    self.skipSpecialTokens = skipSpecialTokens
    holdsByteRuns = tokenizer.decoder?.containsByteFallback ?? false
  }

  /// A decoder that continues after `context` (e.g. the prompt): its text counts as already
  /// returned, so the chunks are exactly what the new ids add to the decode of the whole
  /// sequence. (Decoding new ids alone would be wrong: SentencePiece-style decoders strip the
  /// leading space of the first token of a text.)
  public init(tokenizer: Tokenizer, skipSpecialTokens: Bool, context: [Int]) throws {
    self.init(tokenizer: tokenizer, skipSpecialTokens: skipSpecialTokens)
    ids = context
    emitted = try finalText()
    let whole = try tokenizer.decodeScalars(context, skipSpecialTokens: skipSpecialTokens)
    if whole.starts(with: emitted) { contextTail = Array(whole[emitted.count...]) }
  }

  /// Adds one id; returns the text that became final (possibly empty).
  public mutating func push(_ id: Int) throws -> String {
    guard tokenizer.token(for: id) != nil else { throw TokenizerError.unknownID(id) }
    ids.append(id)
    let text = try finalText()
    guard text.count > emitted.count, text.starts(with: emitted) else { return "" }
    let chunk = text[emitted.count...]
    emitted = text
    return scalarString(droppingContextTail(chunk))
  }

  /// Ends the stream: returns all text not yet returned, and starts over empty.
  public mutating func finish() throws -> String {
    let text = try tokenizer.decodeScalars(ids, skipSpecialTokens: skipSpecialTokens)
    let rest = text.starts(with: emitted) ? text[emitted.count...] : text[...]
    let chunk = droppingContextTail(rest)
    ids.removeAll()
    emitted.removeAll()
    contextTail.removeAll()
    return scalarString(chunk)
  }

  /// `chunk` without the part of the context's held-back tail it starts with. When the new
  /// text rewrote that tail instead (a clean-up rule removing a space), the tail is dropped
  /// and what differs is returned.
  private mutating func droppingContextTail(_ chunk: ArraySlice<Unicode.Scalar>)
    -> ArraySlice<Unicode.Scalar>
  {
    guard !contextTail.isEmpty else { return chunk }
    let common = zip(chunk, contextTail).prefix(while: { $0 == $1 }).count
    if common < contextTail.count && common == chunk.count {
      contextTail.removeFirst(common)
    } else {
      contextTail.removeAll()
    }
    return chunk.dropFirst(common)
  }

  /// The decode of the ids so far without the tail that may still change.
  private func finalText() throws -> [Unicode.Scalar] {
    var end = ids.count
    if holdsByteRuns {
      while end > 0, isByteToken(ids[end - 1]) { end -= 1 }
    }
    guard end > 0 else { return [] }
    var text = try tokenizer.decodeScalars(Array(ids[..<end]), skipSpecialTokens: skipSpecialTokens)
    while text.last == "\u{FFFD}" { text.removeLast() }
    if tokenizer.config.cleanUpTokenizationSpaces { text.removeLast(cleanUpHold(text)) }
    return text
  }

  private func isByteToken(_ id: Int) -> Bool {
    guard let token = tokenizer.token(for: id) else { return false }
    return Decoder.byteFallbackValue(Array(token.unicodeScalars)) != nil
  }

  /// How many trailing scalars could still be rewritten by the clean-up rules.
  private func cleanUpHold(_ text: [Unicode.Scalar]) -> Int {
    let starts = [" n'", " 'r", " 'v", " n", " '", " "]
    for start in starts where text.count >= start.unicodeScalars.count {
      if text.suffix(start.unicodeScalars.count).elementsEqual(start.unicodeScalars) {
        return start.unicodeScalars.count
      }
    }
    return 0
  }
}

extension Decoder {
  /// Whether the chain contains the ByteFallback decoder.
  var containsByteFallback: Bool {
    switch self {
    case .sequence(let parts): return parts.contains { $0.containsByteFallback }
    case .byteFallback: return true
    default: return false
    }
  }
}
