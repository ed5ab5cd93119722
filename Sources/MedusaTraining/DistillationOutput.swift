import Foundation
import Medusa
import MedusaFormats

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// The output folder of `medusa distill`: `sequences.jsonl` (``DistilledSequence``, one line per
/// prompt, appended one `write` and `fsync` at a time) and `distill.json`
/// (``DistillationRecord``). A run continues the sequences already there only when they were
/// made the same way; an interrupted write (a last line without its newline) is cut off.
public enum DistillationOutput {
  /// Where a run starts.
  public struct Resume: Equatable, Sendable {
    /// Complete sequences already in the file: the run continues with the prompt after them.
    public var sequences: Int
    /// Bytes of a partial last line that were cut off (0 when the file ended with a newline).
    public var droppedBytes: Int
  }

  /// Makes `folder` ready for a run described by `record` and says where it starts:
  /// - with `force`, or no complete sequence yet: from the first prompt, `distill.json`
  ///   (re)written, `sequences.jsonl` emptied (with `force`) or cut to its complete lines;
  /// - else after the complete sequences, when `distill.json` agrees with `record` (a partial
  ///   last line is cut off); otherwise an error naming the first differing field, or saying
  ///   that the sequences have no record, and `--force`.
  /// The order of the writes keeps the pair consistent at any interrupt: sequences are emptied
  /// before a new record is written.
  public static func prepare(_ folder: URL, record: DistillationRecord, force: Bool)
    throws(TrainingError) -> Resume
  {
    let file = folder.appendingPathComponent(DistilledSequence.fileName)
    let recordURL = folder.appendingPathComponent(DistillationRecord.fileName)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw .invalidData(file: folder.path, reason: "cannot create the output folder: \(error)")
    }
    let data = FileManager.default.contents(atPath: file.path) ?? Data()
    let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
    let complete =
      force ? 0 : data.prefix(keep).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    if complete > 0 {
      guard FileManager.default.fileExists(atPath: recordURL.path) else {
        throw .invalidData(
          file: file.path,
          reason:
            "holds \(complete) sequences but no \(DistillationRecord.fileName) says how they were made; give --force to start over"
        )
      }
      let stored = try read(recordURL)
      if let difference = stored.firstDifference(from: record) {
        throw .invalidData(
          file: recordURL.path,
          reason:
            "the sequences there were made with \(difference.field) \(difference.value), this run has \(difference.other); rerun with the same settings to continue them, or give --force to start over"
        )
      }
    }
    let cut = force ? data.count : data.count - keep
    if cut > 0 {
      guard truncate(file.path, off_t(data.count - cut)) == 0 else {
        throw .invalidData(
          file: file.path, reason: "cannot cut the file: \(String(cString: strerror(errno)))")
      }
    }
    if complete == 0 { try write(record, to: recordURL) }
    return Resume(sequences: complete, droppedBytes: force ? 0 : cut)
  }

  /// The record stored at `url`.
  static func read(_ url: URL) throws(TrainingError) -> DistillationRecord {
    do {
      return try JSONDecoder().decode(DistillationRecord.self, from: Data(contentsOf: url))
    } catch {
      throw .invalidData(
        file: url.path, reason: "not a distillation record (\(error)); give --force to start over")
    }
  }

  /// Writes `record` to `url` as sorted, indented JSON, atomically.
  static func write(_ record: DistillationRecord, to url: URL) throws(TrainingError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
      try AtomicFile.replace([Array(try encoder.encode(record)) + [UInt8(ascii: "\n")]], to: url)
    } catch {
      throw .invalidData(file: url.path, reason: "cannot write: \(error)")
    }
  }
}
