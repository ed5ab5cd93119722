/// Everything that can go wrong when loading a tokenizer or encoding and decoding with it.
///
/// Each case names what was wrong (the file, the JSON field, the component, the token or the
/// byte offset), so that a message is useful without a debugger.
public enum TokenizerError: Error, CustomStringConvertible, Sendable {
  /// A file could not be read.
  case unreadableFile(path: String, reason: String)
  /// The bytes of a JSON file are not valid JSON; `offset` is the byte where parsing failed.
  case invalidJSON(path: String, offset: Int, reason: String)
  /// A field is missing or has the wrong type; `field` is a dotted path such as `model.vocab`.
  case invalidField(field: String, reason: String)
  /// A component type (normalizer, pre-tokenizer, model, decoder, post-processor) or an option
  /// of one that this implementation does not support.
  case unsupportedComponent(field: String, type: String)
  /// A Split pattern whose regular expression is not one of the supported family patterns.
  case unsupportedRegex(field: String, pattern: String)
  /// A merge rule that names a token missing from the vocabulary.
  case unknownMergeToken(rank: Int, token: String)
  /// A token named by the configuration (unk token, template token) is not in the vocabulary.
  case unknownToken(field: String, token: String)
  /// Input text that is not valid UTF-8; `offset` is the first bad byte.
  case invalidUTF8(offset: Int)
  /// A token id outside the vocabulary (and outside the added tokens).
  case unknownID(Int)
  /// A Jinja chat template that is none of the `ChatTemplate`s (`firstLine`: its first line).
  case unsupportedChatTemplate(firstLine: String)
  /// An error about the contents of the file at `path` (a field, component or token in it).
  indirect case inFile(path: String, TokenizerError)

  /// A one-line, human-readable message.
  public var description: String {
    switch self {
    case .unreadableFile(let path, let reason):
      return "cannot read \(path): \(reason)"
    case .invalidJSON(let path, let offset, let reason):
      return "\(path): invalid JSON at byte \(offset): \(reason)"
    case .invalidField(let field, let reason):
      return "tokenizer field '\(field)': \(reason)"
    case .unsupportedComponent(let field, let type):
      return "tokenizer field '\(field)': unsupported component '\(type)'"
    case .unsupportedRegex(let field, let pattern):
      return "tokenizer field '\(field)': unsupported regex pattern \(debugQuoted(pattern))"
    case .unknownMergeToken(let rank, let token):
      return "merge rule \(rank) names \(debugQuoted(token)), which is not in the vocabulary"
    case .unknownToken(let field, let token):
      return "tokenizer field '\(field)': token \(debugQuoted(token)) is not in the vocabulary"
    case .invalidUTF8(let offset):
      return "input text is not valid UTF-8 (byte \(offset))"
    case .unknownID(let id):
      return "token id \(id) is not in the vocabulary"
    case .unsupportedChatTemplate(let firstLine):
      let names = ChatTemplate.allCases.map(\.rawValue).joined(separator: ", ")
      return "chat template \(debugQuoted(firstLine)) is not one of \(names); choose one by name"
    case .inFile(let path, let error):
      return "\(path): \(error.description)"
    }
  }

  /// The error as thrown while reading the file at `path`: field, component and token errors
  /// get the path (errors that already name a file are returned as they are).
  func naming(_ path: String) -> TokenizerError {
    switch self {
    case .unreadableFile, .invalidJSON, .inFile: self
    default: .inFile(path: path, self)
    }
  }
}

/// `text` in double quotes with control characters escaped, for error messages.
func debugQuoted(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    out += scalar.escaped(asASCII: false)
  }
  return out + "\""
}
