import Foundation
import MedusaFormats

/// The `--out FILE` of the commands that write one file (`tree`, `conformance emit`): an existing
/// file is replaced only with `--force`, and the file is written through a temporary file in the
/// same folder, flushed and renamed into place (``AtomicFile``), so that an interrupt never leaves
/// a half-written file under the final name.
enum OutputFile {
  /// Throws, naming `path` and `--force`, when `path` exists and `force` is false. Called before
  /// the work that produces the file.
  static func refuseToReplace(_ path: String, force: Bool) throws {
    guard !force, FileManager.default.fileExists(atPath: path) else { return }
    throw UsageError("\(path) exists; give --force to replace it")
  }

  /// Writes `data` to `path` atomically.
  static func write(_ data: Data, to path: String) throws {
    try AtomicFile.replace([Array(data)], to: URL(fileURLWithPath: path))
  }
}
