import Foundation

/// Writes safetensors files atomically (a temporary file in the same folder, then rename), in
/// the layout the Python library writes: header padded with spaces to a multiple of 8 bytes,
/// tensors packed in the order given.
public enum SafetensorsWriter {
  /// Writes `tensors` and `metadata` to `url`, replacing any file there. Each tensor's byte
  /// count must match its shape and dtype, and names must be unique and not `__metadata__`.
  public static func write(
    _ tensors: [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])],
    metadata: [String: String], to url: URL
  ) throws(FormatError) {
    let path = url.path
    var seen = Set<String>()
    var entries: [String] = []
    if !metadata.isEmpty {
      let fields = metadata.sorted { $0.key < $1.key }.map {
        "\(JSONText.quoted($0.key)):\(JSONText.quoted($0.value))"
      }
      entries.append("\"__metadata__\":{\(fields.joined(separator: ","))}")
    }
    var offset = 0
    for tensor in tensors {
      guard tensor.name != "__metadata__", seen.insert(tensor.name).inserted else {
        throw .invalidTensorForWriting(
          file: path, tensor: tensor.name, reason: "duplicate or reserved name")
      }
      guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
        throw .invalidTensorForWriting(
          file: path, tensor: tensor.name, reason: "negative dimension in \(tensor.shape)")
      }
      let size = try SafetensorsHeader.byteCount(
        shape: tensor.shape, dtype: tensor.dtype, tensor: tensor.name, file: path)
      guard size == tensor.bytes.count else {
        throw .invalidTensorForWriting(
          file: path, tensor: tensor.name,
          reason: "\(tensor.bytes.count) bytes given, shape needs \(size)")
      }
      let shape = tensor.shape.map(String.init).joined(separator: ",")
      entries.append(
        "\(JSONText.quoted(tensor.name)):{\"dtype\":\"\(tensor.dtype.rawValue)\",\"shape\":[\(shape)],"
          + "\"data_offsets\":[\(offset),\(offset + size)]}")
      offset += size
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
    var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
    prefix.append(contentsOf: header)
    try AtomicFile.replace([prefix] + tensors.map(\.bytes), to: url)
  }
}
