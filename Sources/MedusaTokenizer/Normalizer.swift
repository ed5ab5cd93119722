import Foundation

/// A text normalizer of tokenizer.json (`"normalizer"`), applied to every piece of input text
/// that is not an added token matched before normalization.
///
/// Normalizers work on Unicode scalars, like the tokenizers library: never on Swift
/// `Character`s, whose grapheme clustering and canonical equivalence would change results.
indirect enum Normalizer {
  /// Runs the normalizers in order.
  case sequence([Normalizer])
  /// Puts `prefix` in front of non-empty text (SentencePiece's "dummy prefix").
  case prepend([Unicode.Scalar])
  /// Replaces every non-overlapping occurrence of `pattern`, left to right, with `content`.
  case replace(pattern: [Unicode.Scalar], content: [Unicode.Scalar])
  /// Unicode normalization form C.
  case nfc
  /// Unicode normalization form D.
  case nfd
  /// Unicode normalization form KC.
  case nfkc
  /// Unicode normalization form KD.
  case nfkd
  /// Full lowercase mapping of every scalar (no context, like Rust's `char::to_lowercase`).
  case lowercase
  /// Removes White_Space scalars at the start and/or end.
  case strip(left: Bool, right: Bool)

  /// Reads the normalizer at `path` (an object with a `type`).
  init(json: JSON, path: String) throws {
    let fields = try JSONFields(json, path: path)
    let type = try fields.type()
    switch type {
    case "Sequence":
      let parts = try fields.array("normalizers")
      self = .sequence(
        try parts.enumerated().map {
          try Normalizer(json: $0.element, path: fields.field("normalizers.\($0.offset)"))
        })
    case "Prepend":
      self = .prepend(Array(try fields.string("prepend").unicodeScalars))
    case "Replace":
      let pattern = try StringPattern.literal(fields.object("pattern"))
      self = .replace(pattern: pattern, content: Array(try fields.string("content").unicodeScalars))
    case "NFC": self = .nfc
    case "NFD": self = .nfd
    case "NFKC": self = .nfkc
    case "NFKD": self = .nfkd
    case "Lowercase": self = .lowercase
    case "Strip":
      self = .strip(
        left: try fields.bool("strip_left", default: true),
        right: try fields.bool("strip_right", default: true))
    default:
      throw TokenizerError.unsupportedComponent(field: path, type: type)
    }
  }

  /// Normalizes `text` in place.
  func apply(_ text: inout [Unicode.Scalar]) {
    switch self {
    case .sequence(let parts):
      for part in parts { part.apply(&text) }
    case .prepend(let prefix):
      if !text.isEmpty { text.insert(contentsOf: prefix, at: 0) }
    case .replace(let pattern, let content):
      text = replacingOccurrences(in: text, of: pattern, with: content)
    case .nfc:
      text = Normalizer.foundation(text) {
        $0.decomposedStringWithCanonicalMapping.precomposedStringWithCanonicalMapping
      }
    case .nfd:
      text = Normalizer.foundation(text) { $0.decomposedStringWithCanonicalMapping }
    case .nfkc:
      text = Normalizer.foundation(text) {
        $0.decomposedStringWithCompatibilityMapping.precomposedStringWithCanonicalMapping
      }
    case .nfkd:
      text = Normalizer.foundation(text) { $0.decomposedStringWithCompatibilityMapping }
    case .lowercase:
      if text.allSatisfy({ $0.value < 0x80 }) {
        text = text.map {
          (0x41...0x5A).contains($0.value) ? Unicode.Scalar($0.value + 32) ?? $0 : $0
        }
      } else {
        text = text.flatMap { Array($0.properties.lowercaseMapping.unicodeScalars) }
      }
    case .strip(let left, let right):
      var end = text.count
      if right {
        while end > 0, CharacterClasses.isSpace(text[end - 1]) { end -= 1 }
      }
      var start = 0
      if left {
        while start < end, CharacterClasses.isSpace(text[start]) { start += 1 }
      }
      if start != 0 || end != text.count { text = Array(text[start..<end]) }
    }
  }

  /// Applies a Foundation normalization to scalars, skipping pure ASCII (which every form
  /// leaves unchanged).
  ///
  /// The composing forms decompose first: Foundation's composition is exact on decomposed
  /// text, but given text that is already partly composed it leaves a composite starter next
  /// to a following starter it composes with — a Hangul LV syllable and a trailing jamo
  /// (U+D558 U+11AB stays two scalars instead of U+D55C), or U+0CCA U+0CD5 (instead of U+0CCB).
  /// `NormalizationGoldenTests` checks every code point and composition pair against Python's
  /// unicodedata.
  private static func foundation(
    _ text: [Unicode.Scalar], _ transform: (String) -> String
  ) -> [Unicode.Scalar] {
    if text.allSatisfy({ $0.value < 0x80 }) { return text }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: text)
    return Array(transform(String(view)).unicodeScalars)
  }
}

/// `text` with every non-overlapping occurrence of `pattern` (left to right) replaced.
func replacingOccurrences(
  in text: [Unicode.Scalar], of pattern: [Unicode.Scalar], with content: [Unicode.Scalar]
) -> [Unicode.Scalar] {
  guard let first = pattern.first, text.count >= pattern.count else { return text }
  var out: [Unicode.Scalar] = []
  out.reserveCapacity(text.count)
  var index = 0
  while index < text.count {
    if text[index] == first, index + pattern.count <= text.count,
      text[index..<(index + pattern.count)].elementsEqual(pattern)
    {
      out.append(contentsOf: content)
      index += pattern.count
    } else {
      out.append(text[index])
      index += 1
    }
  }
  return out
}

/// The `pattern` object of Replace and Split: `{"String": "..."}` or `{"Regex": "..."}`.
enum StringPattern {
  /// The literal of a `{"String": ...}` pattern; a `Regex` pattern is unsupported here.
  static func literal(_ fields: JSONFields) throws -> [Unicode.Scalar] {
    if let text = try fields.optionalString("String") { return Array(text.unicodeScalars) }
    if let regex = try fields.optionalString("Regex") {
      throw TokenizerError.unsupportedRegex(field: fields.path, pattern: regex)
    }
    throw TokenizerError.invalidField(field: fields.path, reason: "expected String or Regex")
  }
}
