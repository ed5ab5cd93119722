import Foundation

/// The public entry points of the strict JSON parser: every JSON file or line the package reads
/// goes through these, so there is one grammar, one integer rule (`JSONValue.integerValue`) and
/// one error style (`FormatError.invalidJSON`: the file, the byte offset and the reason, on one
/// line).
extension JSONValue {
  /// Parses `bytes` as one JSON value; `file` names the source in errors (a path, or something
  /// like `stdin line 3`).
  public static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(FormatError)
    -> JSONValue
  {
    do throws(JSONError) {
      return try JSONParser.parse(bytes)
    } catch {
      throw FormatError(error, file: file)
    }
  }

  /// Parses the bytes of `bytes` as one JSON value; `file` names the source in errors.
  public static func parse(_ bytes: [UInt8], file: String) throws(FormatError) -> JSONValue {
    do {
      return try bytes.withUnsafeBytes { buffer throws(FormatError) in
        try parse(buffer, file: file)
      }
    } catch let error as FormatError {
      throw error
    } catch {
      throw .invalidJSON(file: file, reason: "\(error)", offset: 0)
    }
  }

  /// Parses `data` as one JSON value; `file` names the source in errors.
  public static func parse(_ data: Data, file: String) throws(FormatError) -> JSONValue {
    try parse([UInt8](data), file: file)
  }

  /// Reads and parses the file at `url` (a regular file: FIFOs, devices and folders are
  /// refused before they are opened for reading).
  public static func read(_ url: URL) throws(FormatError) -> JSONValue {
    let mapping = try MappedFile(url: url)
    return try parse(mapping.bytes, file: url.path)
  }
}

extension FormatError {
  /// The public error of a parser error in `file`.
  init(_ error: JSONError, file: String) {
    switch error {
    case .notUTF8(let offset):
      self = .invalidJSON(file: file, reason: "invalid UTF-8", offset: offset)
    case .syntax(let reason, let offset):
      self = .invalidJSON(file: file, reason: reason, offset: offset)
    case .duplicateKey(let key, let offset):
      self = .invalidJSON(
        file: file, reason: "key \(JSONText.quoted(key)) appears twice in one object",
        offset: offset)
    }
  }
}
