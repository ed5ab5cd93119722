import Foundation
import GoldenSupport
import Llama
import Medusa
import MedusaFormats
import MedusaKernels

/// Helpers for the tests of heads that share the base model's LM head
/// (`medusa_head_projection: base_lm_head`).
public enum SharedHeads {
  /// The committed shared-layout heads of the quantized tiny GGUF model.
  public static let ggufModel = Golden.root.appendingPathComponent(
    "Golden/models/gguf-tiny/tiny-gpt2-Q4_K_M.gguf")
  /// The committed shared-layout heads folder of ``ggufModel``.
  public static let ggufHeads = Golden.root.appendingPathComponent(
    "Golden/heads/tiny-gpt2-Q4_K_M-shared")

  /// Random ResBlock tensors `{k}.{l}.linear.weight|bias` (F32) for `heads` x `layers` blocks.
  public static func blockTensors(heads: Int, layers: Int, hidden: Int, seed: UInt64)
    -> [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])]
  {
    var random = SplitMix64(seed: seed)
    func bytes(_ count: Int, scale: Double) -> [UInt8] {
      let values = (0..<count).map { _ in Float((random.nextUnitDouble() * 2 - 1) * scale) }
      return values.withUnsafeBytes { Array($0) }
    }
    var tensors: [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])] = []
    for k in 0..<heads {
      for l in 0..<layers {
        tensors.append(
          ("\(k).\(l).linear.weight", .f32, [hidden, hidden], bytes(hidden * hidden, scale: 0.2)))
        tensors.append(("\(k).\(l).linear.bias", .f32, [hidden], bytes(hidden, scale: 0.2)))
      }
    }
    return tensors
  }

  /// A heads folder holding `tensors` and a config.json made of `config`.
  public static func folder(
    _ tensors: [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])],
    config: [String: Any]?
  ) throws -> URL {
    let folder = try temporaryDirectory()
    try SafetensorsWriter.write(
      tensors, metadata: [:], to: folder.appendingPathComponent("medusa_lm_head.safetensors"))
    if let config {
      try JSONSerialization.data(withJSONObject: config).write(
        to: folder.appendingPathComponent("config.json"))
    }
    return folder
  }

  /// The marker config.
  public static func marker(layers: Int? = nil) -> [String: Any] {
    var config: [String: Any] = ["medusa_head_projection": "base_lm_head"]
    if let layers { config["medusa_num_layers"] = layers }
    return config
  }

  /// Every head's logits, one head at a time (the unbatched API).
  public static func perHead(
    _ heads: MedusaHeads, hidden: [Float], parallelism: Parallelism = .serial
  ) -> [[Float]] {
    let outputs = (0..<heads.headCount).map { _ in FloatBuffer(heads.vocabularySize) }
    let work = FloatBuffer(2 * heads.hiddenSize)
    heads.logits(
      hidden: hidden, into: outputs.map(\.base), work: work.base, parallelism: parallelism)
    return outputs.map { Array(UnsafeBufferPointer(start: $0.base, count: heads.vocabularySize)) }
  }

  /// The first `count` heads' logits through the batched API.
  public static func batched(
    _ heads: MedusaHeads, hidden: [Float], count: Int, parallelism: Parallelism
  ) -> [[Float]] {
    let v = heads.vocabularySize
    let output = FloatBuffer(count * v)
    let work = FloatBuffer(heads.workCount(heads: count))
    heads.logits(
      hidden: hidden, heads: count, into: output.base, work: work.base, parallelism: parallelism)
    return (0..<count).map { Array(UnsafeBufferPointer(start: output.base + $0 * v, count: v)) }
  }

  /// A deterministic hidden state of width `hidden`.
  public static func hidden(_ width: Int, seed: Int = 0) -> [Float] {
    (0..<width).map { Float((($0 + seed) * 37) % 23) / 11 - 1 }
  }
}
