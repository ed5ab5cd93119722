import Foundation
import Medusa
import MedusaFormats

extension TrainingExamples {
  /// Saves the rows as a safetensors file (`hidden` F32 `[rows][H]`, `targets` I32
  /// `[rows][K]`), atomically, with `fingerprint` (what the rows were computed from) in its
  /// metadata, so that a later run can skip the backbone passes.
  public func write(to url: URL, fingerprint: String) throws(TrainingError) {
    let hiddenBytes = Array(
      UnsafeRawBufferPointer(start: hidden.base, count: rows * hiddenSize * 4))
    let targetBytes = Array(UnsafeRawBufferPointer(start: targets, count: rows * heads * 4))
    do {
      try SafetensorsWriter.write(
        [
          ("hidden", .f32, [rows, hiddenSize], hiddenBytes),
          ("targets", .i32, [rows, heads], targetBytes),
        ], metadata: ["fingerprint": fingerprint], to: url)
    } catch {
      throw .invalidData(file: url.path, reason: "cannot write the cache: \(error)")
    }
  }

  /// The rows saved by ``write(to:fingerprint:)`` at `url`, or nil when there is no such file
  /// or it was made from something else (another fingerprint, head count or hidden size).
  public static func cached(
    at url: URL, fingerprint: String, heads: Int, hiddenSize: Int
  ) throws(TrainingError) -> TrainingExamples? {
    guard FileManager.default.fileExists(atPath: url.path) else { return nil }
    do {
      let file = try SafetensorsFile(url: url)
      guard file.metadata["fingerprint"] == fingerprint else { return nil }
      let store = try TensorStore(files: [url])
      let hidden = try store.tensor("hidden")
      let targets = try store.tensor("targets")
      guard hidden.dtype == .f32, targets.dtype == .i32, hidden.shape.count == 2,
        hidden.shape[1] == hiddenSize, targets.shape == [hidden.shape[0], heads]
      else { return nil }
      return try TrainingExamples(
        hidden: try hidden.floats(),
        targets: stride(from: 0, to: targets.bytes.count, by: 4).map { i in
          Int32(littleEndian: targets.bytes.loadUnaligned(fromByteOffset: i, as: Int32.self))
        }, heads: heads, hiddenSize: hiddenSize)
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .invalidData(file: url.path, reason: "unreadable cache: \(error)")
    }
  }
}
