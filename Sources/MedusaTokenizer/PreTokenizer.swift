/// When Metaspace puts its replacement character in front of a piece.
enum PrependScheme: String {
  /// Every piece that does not already start with the replacement.
  case always
  /// Only the piece at the start of the original text.
  case first
  /// Never.
  case never
}

/// How a Split pre-tokenizer finds its matches.
enum SplitPattern {
  /// A literal string.
  case literal([Unicode.Scalar])
  /// One of the family regular expressions.
  case regex(RegexScanner)

  /// The tiling of `text` into matches and non-matches.
  func tiling(_ text: [Unicode.Scalar]) -> [(range: Range<Int>, isMatch: Bool)] {
    switch self {
    case .literal(let literal): return Tiling.literal(text, literal)
    case .regex(let scanner): return Tiling.scanner(text, scanner)
    }
  }
}

/// A pre-tokenizer of tokenizer.json (`"pre_tokenizer"`): cuts normalized text into the
/// pieces ("words") that the model tokenizes one by one.
indirect enum PreTokenizer {
  /// Runs the pre-tokenizers in order, each on every piece of the previous one.
  case sequence([PreTokenizer])
  /// GPT-2 byte-level: optional prefix space, optional split with the GPT-2 regex, then every
  /// UTF-8 byte replaced by its printable stand-in.
  case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
  /// Splits on a pattern.
  case split(SplitPattern, behavior: SplitBehavior, invert: Bool)
  /// SentencePiece-style: spaces become `replacement`, which is prepended per `prependScheme`;
  /// with `split`, each replacement starts a new piece.
  case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
  /// Isolates digits (`\p{N}`): each one alone, or runs of them.
  case digits(individual: Bool)

  /// Reads the pre-tokenizer at `path`.
  init(json: JSON, path: String) throws {
    let fields = try JSONFields(json, path: path)
    let type = try fields.type()
    switch type {
    case "Sequence":
      let parts = try fields.array("pretokenizers")
      self = .sequence(
        try parts.enumerated().map {
          try PreTokenizer(json: $0.element, path: fields.field("pretokenizers.\($0.offset)"))
        })
    case "ByteLevel":
      self = .byteLevel(
        addPrefixSpace: try fields.bool("add_prefix_space", default: true),
        useRegex: try fields.bool("use_regex", default: true))
    case "Split":
      let patternFields = try fields.object("pattern")
      let pattern: SplitPattern
      if let regex = try patternFields.optionalString("Regex") {
        guard let scanner = RegexScanner.named(regex) else {
          throw TokenizerError.unsupportedRegex(field: patternFields.field("Regex"), pattern: regex)
        }
        pattern = .regex(scanner)
      } else {
        pattern = .literal(try StringPattern.literal(patternFields))
      }
      let name = try fields.string("behavior")
      guard let behavior = SplitBehavior(rawValue: name) else {
        throw TokenizerError.unsupportedComponent(field: fields.field("behavior"), type: name)
      }
      self = .split(pattern, behavior: behavior, invert: try fields.bool("invert", default: false))
    case "Metaspace":
      let replacement = Array(try fields.string("replacement").unicodeScalars)
      guard replacement.count == 1, let scalar = replacement.first else {
        throw TokenizerError.invalidField(
          field: fields.field("replacement"), reason: "expected one character")
      }
      self = .metaspace(
        replacement: scalar, prependScheme: try PreTokenizer.prependScheme(fields),
        split: try fields.bool("split", default: true))
    case "Digits":
      self = .digits(individual: try fields.bool("individual_digits", default: false))
    default:
      throw TokenizerError.unsupportedComponent(field: path, type: type)
    }
  }

  /// `prepend_scheme`, or the older `add_prefix_space` flag (true: always, false: never).
  static func prependScheme(_ fields: JSONFields) throws -> PrependScheme {
    if let name = try fields.optionalString("prepend_scheme") {
      guard let scheme = PrependScheme(rawValue: name) else {
        throw TokenizerError.unsupportedComponent(field: fields.field("prepend_scheme"), type: name)
      }
      return scheme
    }
    return try fields.bool("add_prefix_space", default: true) ? .always : .never
  }

  /// Cuts every piece; empty pieces are dropped.
  func apply(_ pieces: [Piece]) -> [Piece] {
    switch self {
    case .sequence(let parts):
      return parts.reduce(pieces) { $1.apply($0) }
    case .byteLevel(let addPrefixSpace, let useRegex):
      return pieces.flatMap { piece -> [Piece] in
        var piece = piece
        if addPrefixSpace && piece.scalars.first != " " { piece.scalars.insert(" ", at: 0) }
        let parts =
          useRegex
          ? SplitBehavior.isolated.apply(Tiling.scanner(piece.scalars, .gpt2), to: piece)
          : [piece]
        return parts.map {
          Piece(scalars: ByteLevelAlphabet.encode($0.scalars), atStart: $0.atStart)
        }
      }
    case .split(let pattern, let behavior, let invert):
      return pieces.flatMap { piece in
        var tiling = pattern.tiling(piece.scalars)
        if invert { tiling = tiling.map { ($0.range, !$0.isMatch) } }
        return behavior.apply(tiling, to: piece)
      }
    case .metaspace(let replacement, let prependScheme, let split):
      return pieces.flatMap { piece -> [Piece] in
        var piece = piece
        piece.scalars = piece.scalars.map { $0 == " " ? replacement : $0 }
        let prepend: Bool
        switch prependScheme {
        case .always: prepend = piece.scalars.first != replacement
        case .first: prepend = piece.scalars.first != replacement && piece.atStart
        case .never: prepend = false
        }
        if prepend { piece.scalars.insert(replacement, at: 0) }
        guard split else { return [piece] }
        let tiling = Tiling.characters(piece.scalars) { $0 == replacement }
        return SplitBehavior.mergedWithNext.apply(tiling, to: piece)
      }
    case .digits(let individual):
      return pieces.flatMap { piece in
        let tiling = Tiling.characters(piece.scalars, CharacterClasses.isNumber)
        return (individual ? SplitBehavior.isolated : .contiguous).apply(tiling, to: piece)
      }
    }
  }
}
