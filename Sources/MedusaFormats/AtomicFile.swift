import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// Whole-file writes that never leave a half-written file at the destination.
public enum AtomicFile {
  /// Writes `chunks` to a temporary file beside `url` (`.NAME.UUID.tmp`), flushes it and renames
  /// it over `url`; on failure the temporary file is removed.
  public static func replace(_ chunks: [[UInt8]], to url: URL) throws(FormatError) {
    let path = url.path
    let temporary = url.deletingLastPathComponent()
      .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard fd >= 0 else { throw .unwritable(file: path, reason: MappedFile.lastError()) }
    var failure: String?
    chunkLoop: for chunk in chunks {
      var written = 0
      while written < chunk.count {
        let n = chunk.withUnsafeBytes {
          write(fd, $0.baseAddress.map { $0 + written }, chunk.count - written)
        }
        guard n > 0 else {
          failure = MappedFile.lastError()
          break chunkLoop
        }
        written += n
      }
    }
    if failure == nil, fsync(fd) != 0 { failure = MappedFile.lastError() }
    if close(fd) != 0, failure == nil { failure = MappedFile.lastError() }
    if failure == nil, rename(temporary, path) != 0 { failure = MappedFile.lastError() }
    if let failure {
      unlink(temporary)
      throw .unwritable(file: path, reason: failure)
    }
  }

  /// Flushes the entries of the folder `url` (renames and new names in it) to disk.
  public static func syncDirectory(_ url: URL) throws(FormatError) {
    let fd = open(url.path, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { throw .unwritable(file: url.path, reason: MappedFile.lastError()) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw .unwritable(file: url.path, reason: MappedFile.lastError()) }
  }
}
