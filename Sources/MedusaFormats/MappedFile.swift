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

  /// Maps `url`, which must be a regular file. Anything else (a FIFO, a device, a socket, a
  /// folder) is refused by name before it is opened for reading, so a FIFO cannot block the
  /// process; the file is opened with `O_NONBLOCK` and checked again, in case it was swapped
  /// between the two looks.
  init(url: URL) throws(FormatError) {
    self.url = url
    let path = url.path
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw .unreadable(file: path, reason: MappedFile.lastError())
    }
    try MappedFile.requireRegular(info, path: path)
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw .unreadable(file: path, reason: MappedFile.lastError()) }
    defer { close(fd) }
    guard fstat(fd, &info) == 0 else {
      throw .unreadable(file: path, reason: MappedFile.lastError())
    }
    try MappedFile.requireRegular(info, path: path)
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

  /// Throws unless `info` describes a regular file, naming what it is instead.
  private static func requireRegular(_ info: stat, path: String) throws(FormatError) {
    let kind: String
    switch info.st_mode & S_IFMT {
    case S_IFREG: return
    case S_IFIFO: kind = "a FIFO (named pipe), "
    case S_IFCHR: kind = "a character device, "
    case S_IFBLK: kind = "a block device, "
    case S_IFSOCK: kind = "a socket, "
    default: kind = ""
    }
    throw .unreadable(file: path, reason: kind + "not a regular file")
  }

  /// The current `errno` as text.
  static func lastError() -> String { String(cString: strerror(errno)) }
}
