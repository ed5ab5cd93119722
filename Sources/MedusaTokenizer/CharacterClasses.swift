/// The character classes of the pre-tokenizer regular expressions, as Oniguruma (the regex
/// engine of the tokenizers library) defines them for UTF-8 text:
///
/// - `\s`: the Unicode White_Space property;
/// - `\p{L}`: general categories Lu, Ll, Lt, Lm, Lo;
/// - `\p{N}`: general categories Nd, Nl, No.
///
/// The Unicode versions of Oniguruma and of the Swift standard library could differ;
/// `Golden/tokenizers/unicode_classes.json` (exported from the library) is compared with these
/// functions for every scalar value in the tests.
enum CharacterClasses {
  /// `\s`.
  @inline(__always)
  static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    if value < 0x80 { return value == 0x20 || (0x09...0x0D).contains(value) }
    return scalar.properties.isWhitespace
  }

  /// `\p{L}`.
  @inline(__always)
  static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    if value < 0x80 {
      return (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
    }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
      return !isNewerThanOniguruma(scalar)
    default:
      return false
    }
  }

  /// `\p{N}`.
  @inline(__always)
  static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
    let value = scalar.value
    if value < 0x80 { return (0x30...0x39).contains(value) }
    switch scalar.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber:
      return !isNewerThanOniguruma(scalar)
    default:
      return false
    }
  }

  /// `\r` or `\n`.
  @inline(__always)
  static func isNewline(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value == 0x0A || scalar.value == 0x0D
  }

  /// Characters that are neither `\s`, `\p{L}` nor `\p{N}` (`[^\s\p{L}\p{N}]`).
  @inline(__always)
  static func isOther(_ scalar: Unicode.Scalar) -> Bool {
    !isSpace(scalar) && !isLetter(scalar) && !isNumber(scalar)
  }

  /// Scalars assigned after Unicode 16.0 (the tables of the tokenizers library's Oniguruma),
  /// which that engine leaves unassigned and so outside every class.
  @inline(__always)
  static func isNewerThanOniguruma(_ scalar: Unicode.Scalar) -> Bool {
    guard scalar.value >= 0x0800, let age = scalar.properties.age else { return false }
    return age.major > 16
  }
}
