import Foundation

/// A memory-mapped .safetensors file, fully validated on open.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the data
/// section, which the header's tensors must cover exactly (see `SafetensorsHeader`).
public final class SafetensorsFile: @unchecked Sendable {
  /// The largest header the reference implementation accepts (100 MB).
  public static let maxHeaderLength = 100_000_000

  /// The file.
  public let url: URL
  /// The `__metadata__` map of the header (empty when absent).
  public let metadata: [String: String]
  /// The tensor names in data-offset order.
  public let names: [String]

  private let mapping: MappedFile
  private let entries: [String: SafetensorsHeader.Entry]
  private let dataStart: Int

  /// Maps and validates the file at `url`; every inconsistency is a `FormatError`.
  public init(url: URL) throws(FormatError) {
    let mapping = try MappedFile(url: url)
    let bytes = mapping.bytes
    let path = url.path
    guard bytes.count >= 8 else { throw .fileTooSmall(file: path, size: bytes.count) }
    let length = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    guard length <= UInt64(Self.maxHeaderLength) else {
      throw .headerTooLarge(file: path, headerLength: length, limit: Self.maxHeaderLength)
    }
    let headerLength = Int(length)
    guard headerLength <= bytes.count - 8 else {
      throw .headerTruncated(file: path, headerLength: length, fileSize: bytes.count)
    }
    let header = try SafetensorsHeader(
      header: UnsafeRawBufferPointer(rebasing: bytes[8..<8 + headerLength]),
      dataSize: bytes.count - 8 - headerLength, file: path)
    self.url = url
    self.mapping = mapping
    self.metadata = header.metadata
    self.names = header.entries.map(\.name)
    self.entries = Dictionary(header.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
    self.dataStart = 8 + headerLength
  }

  /// The tensor called `name`; throws `tensorNotFound` naming this file if there is none.
  public func tensor(_ name: String) throws(FormatError) -> Tensor {
    guard let entry = entries[name] else {
      throw .tensorNotFound(name: name, searched: [url.path])
    }
    return Tensor(
      name: name, dtype: entry.dtype, shape: entry.shape,
      bytes: UnsafeRawBufferPointer(
        rebasing: mapping.bytes[dataStart + entry.begin..<dataStart + entry.end]),
      file: url, owner: mapping)
  }
}
