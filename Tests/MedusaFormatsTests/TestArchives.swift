import Foundation

/// Builders of hand-made torch checkpoints for tests: a stored ZIP writer and a pickle
/// assembler producing what `torch.save` writes for a dict of tensors.
enum TestArchives {
  private static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
  }

  /// A ZIP of stored entries. With `zip64`, sizes and offsets in the central directory are
  /// saturated and given in ZIP64 extra fields, and the end record points to a ZIP64 record.
  static func zip(_ entries: [(name: String, data: [UInt8])], zip64: Bool = false) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for (name, data) in entries {
      let offset = out.count
      let nameBytes = Array(name.utf8)
      out +=
        le(UInt32(0x0403_4b50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
      out += le(UInt32(0)) + le(UInt32(data.count)) + le(UInt32(data.count))
      out += le(UInt16(nameBytes.count)) + le(UInt16(0)) + nameBytes + data
      let extra =
        zip64
        ? le(UInt16(1)) + le(UInt16(24)) + le(UInt64(data.count)) + le(UInt64(data.count))
          + le(UInt64(offset)) : []
      let saturated = UInt32(0xFFFF_FFFF)
      central +=
        le(UInt32(0x0201_4b50)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt16(0)) + le(UInt16(0))
      central += le(UInt32(0)) + le(UInt32(0))
      central +=
        zip64 ? le(saturated) + le(saturated) : le(UInt32(data.count)) + le(UInt32(data.count))
      central +=
        le(UInt16(nameBytes.count)) + le(UInt16(extra.count)) + le(UInt16(0)) + le(UInt16(0))
      central +=
        le(UInt16(0)) + le(UInt32(0)) + (zip64 ? le(saturated) : le(UInt32(offset))) + nameBytes
        + extra
    }
    let directoryOffset = out.count
    out += central
    if zip64 {
      let record = out.count
      out +=
        le(UInt32(0x0606_4b50)) + le(UInt64(44)) + le(UInt16(45)) + le(UInt16(45)) + le(UInt32(0))
        + le(UInt32(0))
      out +=
        le(UInt64(entries.count)) + le(UInt64(entries.count)) + le(UInt64(central.count))
        + le(UInt64(directoryOffset))
      out += le(UInt32(0x0706_4b50)) + le(UInt32(0)) + le(UInt64(record)) + le(UInt32(1))
      out +=
        le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0xFFFF))
        + le(UInt16(0xFFFF))
      out += le(UInt32(0xFFFF_FFFF)) + le(UInt32(0xFFFF_FFFF)) + le(UInt16(0))
    } else {
      out +=
        le(UInt32(0x0605_4b50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(entries.count))
        + le(UInt16(entries.count))
      out += le(UInt32(central.count)) + le(UInt32(directoryOffset)) + le(UInt16(0))
    }
    return out
  }

  /// BINUNICODE of `text`.
  static func string(_ text: String) -> [UInt8] {
    [0x58] + le(UInt32(text.utf8.count)) + Array(text.utf8)
  }

  /// BININT of `value`.
  static func int(_ value: Int32) -> [UInt8] { [0x4A] + le(value) }

  /// GLOBAL `module name`.
  static func global(_ module: String, _ name: String) -> [UInt8] {
    [0x63] + Array("\(module)\n\(name)\n".utf8)
  }

  /// The pickle of `_rebuild_tensor_v2` for one tensor (leaves the tensor on the stack).
  static func tensor(
    storageType: String = "FloatStorage", key: String = "0", count: Int32 = 4, offset: Int32 = 0,
    size: [Int32] = [2, 2], stride: [Int32] = [2, 1]
  ) -> [UInt8] {
    var out = global("torch._utils", "_rebuild_tensor_v2") + [0x28, 0x28]
    out +=
      string("storage") + global("torch", storageType) + string(key) + string("cpu") + int(count)
      + [0x74, 0x51]
    out += int(offset) + [0x28] + size.flatMap(int) + [0x74] + [0x28] + stride.flatMap(int) + [0x74]
    out += [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52]
    return out
  }

  /// A protocol-2 pickle of `{name: body}` for each item (bodies leave one value on the stack).
  static func dict(_ items: [(String, [UInt8])]) -> [UInt8] {
    [0x80, 0x02, 0x7D, 0x28] + items.flatMap { string($0.0) + $0.1 } + [0x75, 0x2E]
  }

  /// A checkpoint archive `archive/...` holding `pickle` and float blobs.
  static func checkpoint(
    pickle: [UInt8], blobs: [String: [Float]] = ["0": [1, 2, 3, 4]], zip64: Bool = false
  )
    -> [UInt8]
  {
    var entries: [(name: String, data: [UInt8])] = [
      ("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)),
    ]
    for (key, values) in blobs.sorted(by: { $0.key < $1.key }) {
      entries.append(("archive/data/\(key)", values.withUnsafeBytes { Array($0) }))
    }
    entries.append(("archive/version", Array("3\n".utf8)))
    return zip(entries, zip64: zip64)
  }
}
