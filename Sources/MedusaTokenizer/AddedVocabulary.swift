/// One entry of `added_tokens` in tokenizer.json.
struct AddedToken {
  /// The token id.
  var id: Int
  /// The text that is matched in the input.
  var content: [Unicode.Scalar]
  /// Special tokens are dropped by `decode(skipSpecialTokens: true)`.
  var special: Bool
  /// Also swallow the whitespace just before a match.
  var lstrip: Bool
  /// Also swallow the whitespace just after a match.
  var rstrip: Bool
  /// Only match when not inside a word (no `\w` character just before or after).
  var singleWord: Bool
  /// Match in the normalized text (with normalized content) instead of the raw text.
  var normalized: Bool
}

/// A part of the input after added-token extraction: an added token, or text for the model.
enum Segment {
  /// An added token matched in the text.
  case token(Int)
  /// Text between added tokens.
  case text(Piece)
}

/// The added tokens, and the extraction of their occurrences from input text before the model
/// runs (the tokenizers library's `AddedVocabulary::extract_and_normalize`): first the tokens
/// with `normalized: false` in the raw text, then the others in each normalized remainder.
/// Both passes match leftmost-longest, without overlaps.
struct AddedVocabulary {
  /// Added tokens by id.
  let tokensByID: [Int: AddedToken]
  /// The text `decode` shows for an added token (its normalized content, if that differs).
  let decodedForm: [Int: String]
  /// The contents of special tokens, which `skipSpecialTokens` drops.
  let specialContents: Set<[Unicode.Scalar]>
  private let rawMatcher: TokenTrie
  private let normalizedMatcher: TokenTrie

  /// Builds the vocabulary from the `added_tokens` array, assigning ids as the library does:
  /// a content already in the model keeps the model's id; a new one gets the next free id.
  init(json: [JSON], model: BPEModel, normalizer: Normalizer?) throws {
    var byID: [Int: AddedToken] = [:]
    var idByContent: [[Unicode.Scalar]: Int] = [:]
    var decodedForm: [Int: String] = [:]
    var specials = Set<[Unicode.Scalar]>()
    var nextID = model.vocabulary.count
    for (index, entry) in json.enumerated() {
      let fields = try JSONFields(entry, path: "added_tokens.\(index)")
      let text = try fields.string("content")
      let content = Array(text.unicodeScalars)
      if content.isEmpty { continue }
      let id: Int
      if let known = idByContent[content] ?? model.vocabulary[content] {
        id = known
      } else {
        id = nextID
        nextID += 1
      }
      let token = AddedToken(
        id: id, content: content, special: try fields.bool("special", default: false),
        lstrip: try fields.bool("lstrip", default: false),
        rstrip: try fields.bool("rstrip", default: false),
        singleWord: try fields.bool("single_word", default: false),
        normalized: try fields.bool("normalized", default: true))
      if token.normalized, let normalizer {
        var form = content
        normalizer.apply(&form)
        if form != content { decodedForm[id] = scalarString(form) }
      }
      idByContent[content] = id
      byID[id] = token
      if token.special { specials.insert(content) }
    }
    tokensByID = byID
    self.decodedForm = decodedForm
    specialContents = specials
    var raw = TokenTrie()
    var normalized = TokenTrie()
    for token in byID.values {
      if token.normalized {
        let form = decodedForm[token.id].map { Array($0.unicodeScalars) } ?? token.content
        normalized.insert(form, id: token.id)
      } else {
        raw.insert(token.content, id: token.id)
      }
    }
    rawMatcher = raw
    normalizedMatcher = normalized
  }

  /// Splits `text` into added tokens and normalized text pieces; empty pieces are dropped.
  func extract(_ text: [Unicode.Scalar], normalizer: Normalizer?) -> [Segment] {
    var segments: [Segment] = []
    for first in split(text, matcher: rawMatcher, atStart: true) {
      guard case .text(var piece) = first else {
        segments.append(first)
        continue
      }
      normalizer?.apply(&piece.scalars)
      segments += split(piece.scalars, matcher: normalizedMatcher, atStart: piece.atStart)
    }
    return segments
  }

  private func split(_ text: [Unicode.Scalar], matcher: TokenTrie, atStart: Bool) -> [Segment] {
    var segments: [Segment] = []
    var consumed = 0
    var position = 0
    func emitText(_ range: Range<Int>) {
      if !range.isEmpty {
        segments.append(
          .text(Piece(scalars: Array(text[range]), atStart: atStart && range.lowerBound == 0)))
      }
    }
    while position < text.count {
      guard let (id, length) = matcher.longestMatch(in: text, at: position),
        let token = tokensByID[id]
      else {
        position += 1
        continue
      }
      var start = position
      var stop = position + length
      if token.singleWord {
        let before = start > 0 && isWordCharacter(text[start - 1])
        let after = stop < text.count && isWordCharacter(text[stop])
        if before || after {
          position = stop
          continue
        }
      }
      if token.lstrip {
        var newStart = start
        while newStart > 0, CharacterClasses.isSpace(text[newStart - 1]) { newStart -= 1 }
        start = max(newStart, consumed)
      }
      if token.rstrip {
        while stop < text.count, CharacterClasses.isSpace(text[stop]) { stop += 1 }
      }
      emitText(consumed..<start)
      segments.append(.token(id))
      consumed = stop
      position = stop
    }
    emitText(consumed..<text.count)
    return segments
  }

  /// Rust regex `\w`: Alphabetic, marks, decimal numbers, connector punctuation, Join_Control.
  private func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    let properties = scalar.properties
    if properties.isAlphabetic || properties.isJoinControl { return true }
    switch properties.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
      return true
    default:
      return false
    }
  }
}

/// A trie over Unicode scalars for leftmost-longest matching of added tokens.
struct TokenTrie {
  private var children: [[Unicode.Scalar: Int]] = [[:]]
  private var ids: [Int?] = [nil]
  /// Whether some token starts with a scalar of each `value % 4096`: skips the hashed lookup
  /// at almost every position of ordinary text.
  private var mayStart = [Bool](repeating: false, count: 4096)

  /// Adds `content` with `id`.
  mutating func insert(_ content: [Unicode.Scalar], id: Int) {
    if let first = content.first { mayStart[Int(first.value & 4095)] = true }
    var node = 0
    for scalar in content {
      if let child = children[node][scalar] {
        node = child
      } else {
        children.append([:])
        ids.append(nil)
        children[node][scalar] = children.count - 1
        node = children.count - 1
      }
    }
    ids[node] = id
  }

  /// The id and length of the longest token that starts at `position`.
  func longestMatch(in text: [Unicode.Scalar], at position: Int) -> (Int, Int)? {
    guard mayStart[Int(text[position].value & 4095)] else { return nil }
    var node = 0
    var best: (Int, Int)?
    var index = position
    while index < text.count, let child = children[node][text[index]] {
      node = child
      index += 1
      if let id = ids[node] { best = (id, index - position) }
    }
    return best
  }
}

/// A `String` made of exactly these scalars.
func scalarString<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
  var view = String.UnicodeScalarView()
  view.append(contentsOf: scalars)
  return String(view)
}
