/// A stretch of text between the added-token matcher and the model: its scalars, and whether
/// it begins at the very start of the original input (Metaspace's `prepend_scheme: "first"`
/// only prepends there).
struct Piece {
  /// The (normalized, possibly byte-mapped) scalars.
  var scalars: [Unicode.Scalar]
  /// Whether the piece starts at offset 0 of the original text.
  var atStart: Bool
}

/// What a Split does with the matches of its pattern (`"behavior"` in tokenizer.json).
enum SplitBehavior: String {
  /// Matches are dropped.
  case removed = "Removed"
  /// Matches become pieces of their own.
  case isolated = "Isolated"
  /// A match joins the piece before it.
  case mergedWithPrevious = "MergedWithPrevious"
  /// A match joins the piece after it.
  case mergedWithNext = "MergedWithNext"
  /// Consecutive matches (and consecutive non-matches) form one piece.
  case contiguous = "Contiguous"

  /// Cuts `piece` given its tiling into (range, isMatch); empty pieces are dropped, like the
  /// tokenizers library's `PreTokenizedString::split`.
  func apply(_ tiling: [(range: Range<Int>, isMatch: Bool)], to piece: Piece) -> [Piece] {
    var ranges: [Range<Int>] = []
    switch self {
    case .isolated:
      ranges = tiling.map(\.range)
    case .removed:
      ranges = tiling.filter { !$0.isMatch }.map(\.range)
    case .contiguous:
      var previous = false
      for (range, isMatch) in tiling {
        if isMatch == previous, let last = ranges.last {
          ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
        } else {
          ranges.append(range)
        }
        previous = isMatch
      }
    case .mergedWithPrevious:
      var previous = false
      for (range, isMatch) in tiling {
        if isMatch && !previous, let last = ranges.last {
          ranges[ranges.count - 1] = last.lowerBound..<range.upperBound
        } else {
          ranges.append(range)
        }
        previous = isMatch
      }
    case .mergedWithNext:
      var previous = false
      for (range, isMatch) in tiling.reversed() {
        if isMatch && !previous, let last = ranges.last {
          ranges[ranges.count - 1] = range.lowerBound..<last.upperBound
        } else {
          ranges.append(range)
        }
        previous = isMatch
      }
      ranges.reverse()
    }
    return ranges.compactMap { range in
      guard !range.isEmpty else { return nil }
      return Piece(
        scalars: Array(piece.scalars[range]), atStart: piece.atStart && range.lowerBound == 0)
    }
  }
}

/// Tilings of text into (range, isMatch), as the tokenizers library's `Pattern`s produce them.
enum Tiling {
  /// Every scalar satisfying `test` is a match of its own; the runs between are non-matches.
  static func characters(
    _ text: [Unicode.Scalar], _ test: (Unicode.Scalar) -> Bool
  ) -> [(range: Range<Int>, isMatch: Bool)] {
    var tiling: [(range: Range<Int>, isMatch: Bool)] = []
    var last = 0
    for (index, scalar) in text.enumerated() where test(scalar) {
      if last < index { tiling.append((last..<index, false)) }
      tiling.append((index..<(index + 1), true))
      last = index + 1
    }
    if last < text.count { tiling.append((last..<text.count, false)) }
    return tiling
  }

  /// Non-overlapping occurrences of `literal`, left to right; an empty literal never matches.
  static func literal(
    _ text: [Unicode.Scalar], _ literal: [Unicode.Scalar]
  ) -> [(range: Range<Int>, isMatch: Bool)] {
    guard !literal.isEmpty else { return text.isEmpty ? [] : [(0..<text.count, false)] }
    var tiling: [(range: Range<Int>, isMatch: Bool)] = []
    var last = 0
    var index = 0
    while index + literal.count <= text.count {
      if text[index..<(index + literal.count)].elementsEqual(literal) {
        if last < index { tiling.append((last..<index, false)) }
        tiling.append((index..<(index + literal.count), true))
        index += literal.count
        last = index
      } else {
        index += 1
      }
    }
    if last < text.count { tiling.append((last..<text.count, false)) }
    return tiling
  }

  /// The matches of a scanner, which tile the text.
  static func scanner(
    _ text: [Unicode.Scalar], _ scanner: RegexScanner
  ) -> [(range: Range<Int>, isMatch: Bool)] {
    scanner.matches(in: text).map { ($0, true) }
  }
}
