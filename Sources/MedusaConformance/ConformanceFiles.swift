import Foundation
import Medusa
import MedusaFormats

/// Why a conformance file could not be read, written or produced.
public enum ConformanceError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file could not be read or written.
  case io(path: String, reason: String)
  /// The file is not valid JSON of the expected shape; `reason` names the field.
  case malformed(path: String, reason: String)
  /// `format` or `format_version` is not what this code reads.
  case wrongFormat(path: String, found: String)
  /// The reference could not be produced (a decoder error, or Medusa differing from AR).
  case emit(String)

  /// A one-line message naming the file or the case.
  public var description: String {
    switch self {
    case .io(let path, let reason): return "\(path): \(reason)"
    case .malformed(let path, let reason): return "\(path): \(reason)"
    case .wrongFormat(let path, let found): return "\(path): unsupported format \(found)"
    case .emit(let reason): return "conformance emit: \(reason)"
    }
  }
}

/// Reading and writing conformance files as JSON (sorted keys, so files diff well).
public enum ConformanceFiles {
  /// Reads a reference file and checks its format and version.
  public static func readReference(path: String) throws(ConformanceError) -> ConformanceReference {
    let reference: ConformanceReference = try read(path: path)
    guard reference.format == ConformanceReference.formatName,
      reference.formatVersion == ConformanceReference.currentVersion
    else {
      throw .wrongFormat(path: path, found: "\(reference.format) v\(reference.formatVersion)")
    }
    var seen = Set<String>()
    for item in reference.cases where !seen.insert(item.id).inserted {
      throw .malformed(path: path, reason: "cases: the id \"\(item.id)\" occurs more than once")
    }
    return reference
  }

  /// Reads a candidate file. `format` and `format_version` are optional; when present they must
  /// be ``ConformanceCandidate/formatName`` and ``ConformanceReference/currentVersion``.
  public static func readCandidate(path: String) throws(ConformanceError) -> ConformanceCandidate {
    let candidate: ConformanceCandidate = try read(path: path)
    if let format = candidate.format, format != ConformanceCandidate.formatName {
      throw .wrongFormat(path: path, found: format)
    }
    if let version = candidate.formatVersion, version != ConformanceReference.currentVersion {
      throw .wrongFormat(path: path, found: "\(candidate.format ?? "candidate") v\(version)")
    }
    return candidate
  }

  /// The JSON bytes of a reference or candidate (sorted keys, one trailing newline).
  public static func encode<Value: Encodable>(_ value: Value) throws(ConformanceError) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    do {
      return try encoder.encode(value) + Data("\n".utf8)
    } catch {
      throw .emit("cannot encode JSON: \(error)")
    }
  }

  /// Writes a reference or candidate to `path`, replacing it atomically (a temporary file in the
  /// same folder, flushed, then renamed: ``AtomicFile``).
  public static func write<Value: Encodable>(_ value: Value, path: String) throws(ConformanceError)
  {
    let data = try encode(value)
    do {
      try AtomicFile.replace([Array(data)], to: URL(fileURLWithPath: path))
    } catch {
      throw .io(path: path, reason: error.description)
    }
  }

  private static func read<Value: Decodable>(path: String) throws(ConformanceError) -> Value {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .io(path: path, reason: error.localizedDescription)
    }
    do {
      return try JSONDecoder().decode(Value.self, from: data)
    } catch let error as DecodingError {
      throw .malformed(path: path, reason: describe(error))
    } catch {
      throw .malformed(path: path, reason: "\(error)")
    }
  }

  /// A decoding error as `field.path: problem`.
  private static func describe(_ error: DecodingError) -> String {
    func location(_ path: [any CodingKey]) -> String {
      let text = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
      return text.isEmpty ? "top level" : String(text.drop(while: { $0 == "." }))
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "\(location(context.codingPath + [key])): missing"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(location(context.codingPath)): \(context.debugDescription)"
    case .dataCorrupted(let context):
      return "\(location(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }
}
