import Foundation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

#if _endian(big)
  #error(
    "MedusaFormats reads little-endian checkpoint bytes in place; big-endian hosts are unsupported")
#endif

/// A whole file mapped read-only (PROT_READ, MAP_PRIVATE); unmapped when the last reference
/// goes. Tensors keep their file alive by holding this object.
///
/// The bytes are only valid while the file is not truncated by another process (the kernel
/// delivers SIGBUS for pages past a shrunken end); checkpoints are treated as immutable.
final class MappedFile: @unchecked Sendable {
  /// The mapped file.
  let url: URL
  /// All bytes of the file (an empty buffer for an empty file, which is not mapped).
  let bytes: UnsafeRawBufferPointer

  /// Maps `url`, which must be a regular file.
  init(url: URL) throws(FormatError) {
    self.url = url
    let path = url.path
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw .unreadable(file: path, reason: MappedFile.lastError()) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw .unreadable(file: path, reason: MappedFile.lastError())
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw .unreadable(file: path, reason: "not a regular file")
    }
    let size = Int(info.st_size)
    guard size > 0 else {
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    guard let address, address != MAP_FAILED else {
      throw .unreadable(file: path, reason: "mmap: " + MappedFile.lastError())
    }
    bytes = UnsafeRawBufferPointer(start: address, count: size)
  }

  deinit {
    if let base = bytes.baseAddress {
      munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
    }
  }

  /// The current `errno` as text.
  static func lastError() -> String { String(cString: strerror(errno)) }
}
