import Foundation
import MedusaFormats
import MedusaKernels

/// A Llama-family decoder-only transformer loaded from a Hugging Face model folder.
///
/// The model is immutable: weights and config. All mutable data of a generation (KV cache,
/// activations, logits) lives in an ``InferenceState`` made by ``makeState(capacity:maxBatch:parallelism:)``,
/// so one model can serve several independent sequences.
public final class LlamaModel: @unchecked Sendable {
  /// The architecture.
  public let config: LlamaConfig
  /// Where the model was loaded from.
  public let directory: URL
  let weights: LlamaWeights
  let inverseFrequencies: FloatBuffer

  /// Loads config.json (+ generation_config.json) and the safetensors weights of `directory`.
  /// Tensors whose names start with one of `ignoredPrefixes` are allowed beside the
  /// backbone's (e.g. `medusa_head.` in a Medusa-2 checkpoint); any other extra tensor is an
  /// error.
  public convenience init(directory: URL, ignoredPrefixes: [String] = []) throws(LlamaError) {
    let config = try LlamaConfig(directory: directory)
    let store: TensorStore
    do {
      store = try TensorStore(directory: directory)
    } catch {
      throw .checkpoint(error.description)
    }
    try self.init(
      config: config, store: store, directory: directory, ignoredPrefixes: ignoredPrefixes)
  }

  /// Builds a model from an already opened checkpoint.
  public init(
    config: LlamaConfig, store: any TensorSource, directory: URL, ignoredPrefixes: [String] = []
  ) throws(LlamaError) {
    self.config = config
    self.directory = directory
    weights = try LlamaWeights(
      store: store, config: config, source: directory.path, ignoredPrefixes: ignoredPrefixes)
    inverseFrequencies = FloatBuffer(copying: config.rope.inverseFrequencies())
  }

  /// The weight matrix of the LM head (the embedding when tied), for Medusa heads that start
  /// from it and for byte counts.
  public var languageModelHead: WeightMatrix { weights.languageModelHead }

  /// Bytes of weights one forward pass reads (all matrices once; the embedding rows read are
  /// negligible and not counted, except when the head is tied to it).
  public var weightBytesPerForward: Int {
    var total =
      weights.languageModelHead.rows * weights.languageModelHead.columns
      * weights.languageModelHead.type.byteWidth
    for layer in weights.layers {
      for matrix in [
        layer.queryProjection, layer.keyProjection, layer.valueProjection,
        layer.outputProjection, layer.gateProjection, layer.upProjection, layer.downProjection,
      ] {
        total += matrix.rows * matrix.columns * matrix.type.byteWidth
      }
    }
    return total
  }

  /// Allocates the KV cache (`capacity` positions) and work buffers for forward passes of up
  /// to `maxBatch` tokens.
  public func makeState(capacity: Int, maxBatch: Int = 64, parallelism: Parallelism = .machine)
    throws(LlamaError) -> InferenceState
  {
    guard capacity >= 1, maxBatch >= 1 else {
      throw .invalidForward(reason: "capacity and maxBatch must be positive")
    }
    if let window = config.slidingWindow, capacity > window {
      throw .unsupportedFeature(
        file: directory.appendingPathComponent("config.json").path,
        feature: "a context of \(capacity) beyond sliding_window \(window)")
    }
    return InferenceState(
      config: config, capacity: capacity, maxBatch: maxBatch, parallelism: parallelism)
  }
}
