import Foundation
import MedusaFormats
import MedusaKernels

/// A Llama-family decoder-only transformer loaded from a Hugging Face model folder or a GGUF
/// file.
///
/// The model is immutable: weights and config. All mutable data of a generation (KV cache,
/// activations, logits) lives in an ``InferenceState`` made by ``makeState(capacity:maxBatch:parallelism:)``,
/// so one model can serve several independent sequences.
public final class LlamaModel: @unchecked Sendable {
  /// The architecture.
  public let config: LlamaConfig
  /// The folder the model was loaded from (for a GGUF file: the folder holding it), where
  /// its Medusa heads and tokenizer are looked for.
  public let directory: URL
  /// The GGUF file, when the model came from one.
  public private(set) var ggufFile: URL? = nil
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

  /// Loads a GGUF file: the config from its metadata (``LlamaConfig/init(gguf:)``), the
  /// weights in place in the memory map, quantized blocks included.
  public init(gguf url: URL) throws(LlamaError) {
    let file: GGUFFile
    do {
      file = try GGUFFile(url: url)
    } catch {
      throw .checkpoint(error.description)
    }
    config = try LlamaConfig(gguf: file)
    directory = url.deletingLastPathComponent()
    ggufFile = url
    weights = try LlamaWeights(tensors: GGUFBackbone(file: file, config: config), config: config)
    inverseFrequencies = FloatBuffer(copying: config.rope.inverseFrequencies())
  }

  /// Loads whatever `path` names: a `.gguf` file, a Hugging Face folder (`config.json` +
  /// safetensors), or a folder without `config.json` that holds exactly one `.gguf` file.
  public convenience init(path: URL, ignoredPrefixes: [String] = []) throws(LlamaError) {
    if let gguf = try Self.ggufFile(at: path) {
      try self.init(gguf: gguf)
    } else {
      try self.init(directory: path, ignoredPrefixes: ignoredPrefixes)
    }
  }

  /// The GGUF file `path` stands for, or `nil` for a Hugging Face folder.
  public static func ggufFile(at path: URL) throws(LlamaError) -> URL? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
      throw .unreadableConfig(file: path.path, reason: "no such file or folder")
    }
    guard isDirectory.boolValue else { return path }
    if FileManager.default.fileExists(atPath: path.appendingPathComponent("config.json").path) {
      return nil
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? []
    let ggufs = names.filter { $0.hasSuffix(".gguf") }.sorted()
    switch ggufs.count {
    case 0: return nil
    case 1: return path.appendingPathComponent(ggufs[0])
    default:
      throw .unreadableConfig(
        file: path.path,
        reason: "holds \(ggufs.count) .gguf files (\(ggufs.joined(separator: ", "))); name one")
    }
  }

  /// The weight matrix of the LM head (the embedding when tied), for Medusa heads that start
  /// from it and for byte counts.
  public var languageModelHead: WeightMatrix { weights.languageModelHead }

  /// Throws ``LlamaError/contextTooLong(needed:limit:)`` when `positions` positions (a prompt
  /// plus the tokens to generate) do not fit the model's context.
  public func checkContext(_ positions: Int) throws(LlamaError) {
    guard positions <= config.maxPositionEmbeddings else {
      throw .contextTooLong(needed: positions, limit: config.maxPositionEmbeddings)
    }
  }

  /// Allocates the KV cache (at most `capacity` positions; memory grows with use) and work
  /// buffers for forward passes of up
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
    return try InferenceState(
      config: config, capacity: capacity, maxBatch: maxBatch, parallelism: parallelism)
  }
}
