/// The pre-tokenizer regular expressions of the supported families, written as hand-made
/// scanners over Unicode scalars with Oniguruma's leftmost-first alternation semantics.
///
/// Each case documents its pattern; `matchEnd(in:from:)` returns where the match that starts
/// at `start` ends. Every scalar is covered by some alternative of these patterns, so a match
/// always starts where the previous one ended and is never empty.
enum RegexScanner: Sendable {
  /// GPT-2 (the ByteLevel pre-tokenizer's built-in pattern):
  /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
  case gpt2
  /// Llama-3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|`
  /// ` ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
  case llama3
  /// Qwen2: the Llama-3 pattern with `\p{N}` (one digit) in place of `\p{N}{1,3}`.
  case qwen2

  /// The exact pattern strings found in tokenizer.json files, and their scanners.
  static let known: [(pattern: String, scanner: RegexScanner)] = [
    (#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#, .gpt2),
    (
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
      .llama3
    ),
    (
      #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
      .qwen2
    ),
  ]

  /// The scanner for `pattern`, compared scalar by scalar, or nil when it is not a known one.
  static func named(_ pattern: String) -> RegexScanner? {
    let wanted = Array(pattern.unicodeScalars)
    return known.first { $0.pattern.unicodeScalars.elementsEqual(wanted) }?.scanner
  }

  /// The (start, end) ranges of all matches in `text`, which tile it completely.
  func matches(in text: [Unicode.Scalar]) -> [Range<Int>] {
    var ranges: [Range<Int>] = []
    var start = 0
    while start < text.count {
      let end = max(matchEnd(in: text, from: start), start + 1)
      ranges.append(start..<end)
      start = end
    }
    return ranges
  }

  /// The end of the match starting at `start` (which is < `text.count`).
  func matchEnd(in text: [Unicode.Scalar], from start: Int) -> Int {
    if let end = contraction(in: text, from: start) { return end }
    let first = text[start]
    let hasNext = start + 1 < text.count
    switch self {
    case .gpt2:
      let body = first == " " && hasNext ? start + 1 : start
      if CharacterClasses.isLetter(text[body]) {
        return run(text, from: body, CharacterClasses.isLetter)
      }
      if CharacterClasses.isNumber(text[body]) {
        return run(text, from: body, CharacterClasses.isNumber)
      }
      if CharacterClasses.isOther(text[body]) {
        return run(text, from: body, CharacterClasses.isOther)
      }
    case .llama3, .qwen2:
      if CharacterClasses.isLetter(first) {
        return run(text, from: start, CharacterClasses.isLetter)
      }
      if hasNext, !CharacterClasses.isNewline(first), !CharacterClasses.isNumber(first),
        CharacterClasses.isLetter(text[start + 1])
      {
        return run(text, from: start + 1, CharacterClasses.isLetter)
      }
      if CharacterClasses.isNumber(first) {
        let limit = self == .llama3 ? 3 : 1
        return run(text, from: start, CharacterClasses.isNumber, limit: limit)
      }
      let body = first == " " && hasNext ? start + 1 : start
      if CharacterClasses.isOther(text[body]) {
        let end = run(text, from: body, CharacterClasses.isOther)
        return run(text, from: end, CharacterClasses.isNewline)
      }
      let spaceEnd = run(text, from: start, CharacterClasses.isSpace)
      if let lastNewline = text[start..<spaceEnd].lastIndex(where: CharacterClasses.isNewline) {
        return lastNewline + 1
      }
    }
    // `\s+(?!\S)` gives back one space before a non-space; a single space falls to `\s+`.
    let spaceEnd = run(text, from: start, CharacterClasses.isSpace)
    if spaceEnd == text.count || spaceEnd - start == 1 { return spaceEnd }
    return spaceEnd - 1
  }

  /// `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitive for Llama-3 and Qwen2 (with Unicode simple
  /// case folding, under which U+017F LATIN SMALL LETTER LONG S matches `s`).
  private func contraction(in text: [Unicode.Scalar], from start: Int) -> Int? {
    guard text[start] == "'", start + 1 < text.count else { return nil }
    let fold = self != .gpt2
    func letter(_ offset: Int) -> Unicode.Scalar? {
      guard start + offset < text.count else { return nil }
      let scalar = text[start + offset]
      guard fold else { return scalar }
      if scalar == "\u{17F}" { return "s" }
      if (0x41...0x5A).contains(scalar.value) { return Unicode.Scalar(scalar.value + 32) }
      return scalar
    }
    switch letter(1) {
    case "s", "t", "m", "d": return start + 2
    case "r": return letter(2) == "e" ? start + 3 : nil
    case "v": return letter(2) == "e" ? start + 3 : nil
    case "l": return letter(2) == "l" ? start + 3 : nil
    default: return nil
    }
  }

  /// The end of the run of scalars satisfying `test` from `start`, at most `limit` long.
  private func run(
    _ text: [Unicode.Scalar], from start: Int, _ test: (Unicode.Scalar) -> Bool,
    limit: Int = .max
  ) -> Int {
    var end = start
    while end < text.count, end - start < limit, test(text[end]) { end += 1 }
    return end
  }
}
