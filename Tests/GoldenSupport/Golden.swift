import Foundation

/// Paths into the repository's Golden/ folder and helpers to read its JSON.
public enum Golden {
  /// The repository root (three levels above this file).
  public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

  /// The tiny reference models made by Golden/tools/make_models.py.
  public static let modelNames = ["tiny-mha-f32", "tiny-gqa-f16", "tiny-bf16-bias"]

  /// The folder of a Golden model.
  public static func model(_ name: String) -> URL {
    root.appendingPathComponent("Golden/models/\(name)")
  }

  /// A Golden JSON file parsed as an object.
  public static func json(_ relativePath: String) throws -> [String: Any] {
    let data = try Data(contentsOf: root.appendingPathComponent(relativePath))
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw NSError(domain: "Golden", code: 1)
    }
    return object
  }

  /// A JSON array of numbers as Floats.
  public static func floats(_ value: Any?) -> [Float] {
    (value as? [NSNumber])?.map { $0.floatValue } ?? []
  }

  /// A JSON array of integers.
  public static func ints(_ value: Any?) -> [Int] {
    (value as? [NSNumber])?.map { $0.intValue } ?? []
  }
}

/// Bit patterns, so that tests compare floats exactly (no -0 == +0, NaN-safe).
public func bits(_ values: UnsafeBufferPointer<Float>) -> [UInt32] {
  values.map { $0.bitPattern }
}

/// A fresh temporary folder, removed by the caller.
public func temporaryDirectory() throws -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent(
    "swift-medusa-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// The two checksums of Golden/cases/quant/smollm2-tensors.json over float32 bit patterns
/// `values`, continuing the element count from `start` (so a tensor can be fed row by row):
/// `plain += bits[i]`, `weighted += bits[i] * (start + i + 1)`, both modulo 2^64.
public func accumulateChecksums(
  _ values: UnsafeBufferPointer<Float>, start: Int, plain: inout UInt64, weighted: inout UInt64
) {
  var p = plain
  var w = weighted
  var index = UInt64(start)
  for value in values {
    index &+= 1
    let b = UInt64(value.bitPattern)
    p &+= b
    w &+= b &* index
  }
  plain = p
  weighted = w
}
