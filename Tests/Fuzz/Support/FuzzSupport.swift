import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Shared by every fuzz target (compiled into each by .ci/fuzz.sh): the readers take files, so
/// each input is written to a scratch file of this process first (in /dev/shm when there is
/// one), which also exercises the file checks (empty files, sizes) as a user's file would.
enum FuzzInput {
  /// A folder of this process, created once.
  static let directory: URL = {
    let base =
      FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: base).appendingPathComponent("medusa-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(at: FuzzInput.directory) }
    return url
  }()

  /// Writes `bytes` to `name` in `directory` (replacing what was there) and returns its URL.
  static func file(_ bytes: UnsafeRawBufferPointer, name: String) -> URL {
    let url = directory.appendingPathComponent(name)
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { fatalError("fuzz harness: cannot write \(url.path)") }
    var written = 0
    while written < bytes.count, let base = bytes.baseAddress {
      let n = write(fd, base + written, bytes.count - written)
      guard n > 0 else { fatalError("fuzz harness: write failed") }
      written += n
    }
    close(fd)
    return url
  }

  /// The input as `[UInt8]`.
  static func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: count)
  }
}
