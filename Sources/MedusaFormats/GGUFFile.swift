import Foundation

/// A memory-mapped GGUF file (versions 2 and 3, little-endian), fully validated on open:
/// metadata, tensor infos and the layout of the data section (see `GGUFHeader` and
/// Docs/GGUF.md). Tensors are handed out in place, in their file type (quantized blocks
/// included), and keep the mapping alive.
public final class GGUFFile: @unchecked Sendable {
  /// The file.
  public let url: URL
  /// The format version (2 or 3).
  public let version: Int
  /// The data alignment: `general.alignment`, or 32.
  public let alignment: Int
  /// The byte offset of the data section (tensor offsets are relative to it).
  public let dataOffset: Int
  /// The metadata keys in file order.
  public let metadataKeys: [String]
  /// The tensor infos in file order.
  public let tensorInfos: [GGUFTensorInfo]

  private let mapping: MappedFile
  private let values: [[UInt8]: GGUFValue]
  private let infoIndex: [[UInt8]: Int]

  /// Maps and validates the file at `url`; every inconsistency is a `FormatError` naming the
  /// file and the key, tensor or byte offset at fault.
  public init(url: URL) throws(FormatError) {
    let mapping = try MappedFile(url: url)
    let header = try GGUFHeader(bytes: mapping.bytes, file: url.path)
    self.url = url
    self.mapping = mapping
    version = header.version
    alignment = header.alignment
    dataOffset = header.dataOffset
    metadataKeys = header.metadata.map(\.key)
    // Keyed by UTF-8 bytes: Swift `String` equality would equate canonically equivalent names.
    values = Dictionary(
      header.metadata.map { (Array($0.key.utf8), $0.value) }, uniquingKeysWith: { a, _ in a })
    tensorInfos = header.tensors
    infoIndex = Dictionary(
      header.tensors.enumerated().map { (Array($0.element.name.utf8), $0.offset) },
      uniquingKeysWith: { a, _ in a })
  }

  /// The value of metadata key `key` (compared byte for byte), or nil.
  public func value(_ key: String) -> GGUFValue? { values[Array(key.utf8)] }

  /// The tensor names in file order.
  public var tensorNames: [String] { tensorInfos.map(\.name) }

  /// The info of the tensor called `name`, or nil.
  public func tensorInfo(_ name: String) -> GGUFTensorInfo? {
    infoIndex[Array(name.utf8)].map { tensorInfos[$0] }
  }

  /// The tensor called `name`; throws `tensorNotFound` naming this file if there is none.
  public func tensor(_ name: String) throws(FormatError) -> GGUFTensor {
    guard let info = tensorInfo(name) else {
      throw .tensorNotFound(name: name, searched: [url.path])
    }
    let start = dataOffset + info.offset
    guard let bytes = mapping.bytes.slice(start..<start + info.byteCount) else {
      // Unreachable: the header checked that every tensor lies inside the file.
      throw .ggufTensorOutOfBounds(
        file: url.path, tensor: name, offset: UInt64(info.offset), byteCount: info.byteCount,
        dataSize: mapping.bytes.count - dataOffset)
    }
    return GGUFTensor(info: info, bytes: bytes, file: url, owner: mapping)
  }
}
