import Foundation
import Llama
import MedusaFormats

extension MedusaHeads {
  /// The file names of the published head-only layouts, in the order they are tried.
  public static let fileNames = ["medusa_lm_head.safetensors", "medusa_lm_head.pt"]
  /// The tensor-name prefix of heads inside a full Medusa-2 checkpoint.
  public static let fullCheckpointPrefix = "medusa_head."
  /// The link by which a training checkpoint folder (MedusaTraining's `CheckpointFolder`) names
  /// the folder of its current step.
  package static let checkpointPointer = "current"

  /// The folder to read heads from when `directory` is given as heads: a training checkpoint's
  /// current step (the target of its ``checkpointPointer`` link), else `directory` itself.
  package static func currentStep(of directory: URL) -> URL {
    guard
      let target = try? FileManager.default.destinationOfSymbolicLink(
        atPath: directory.appendingPathComponent(checkpointPointer).path)
    else { return directory }
    return target.hasPrefix("/")
      ? URL(fileURLWithPath: target) : directory.appendingPathComponent(target)
  }

  /// Loads heads in the original layout (own projections) from a folder in any published
  /// layout: `medusa_lm_head.safetensors`, `medusa_lm_head.pt` (a PyTorch zip read by a
  /// restricted unpickler), or a full Medusa-2 checkpoint whose safetensors hold `medusa_head.*`
  /// tensors beside the backbone's. A `config.json` there, if it has
  /// `medusa_num_heads`/`medusa_num_layers`, is checked against the tensors. A folder whose
  /// config.json declares `medusa_head_projection: base_lm_head` needs the backbone's LM head:
  /// ``load(directory:model:)``. A training checkpoint folder (``currentStep(of:)``) is read
  /// through its `current` link, once, so that every file comes from the same step.
  public static func load(directory: URL, backbone: LlamaConfig) throws(MedusaError)
    -> MedusaHeads
  {
    try load(directory: directory, config: backbone, model: nil)
  }

  /// Loads heads of either layout from a folder (see ``load(directory:backbone:)`` for the
  /// files): the original layout, or — when the folder's config.json says
  /// `"medusa_head_projection": "base_lm_head"` — ResBlocks only, projected through
  /// `model.languageModelHead`. The heads keep `model` alive.
  public static func load(directory: URL, model: LlamaModel) throws(MedusaError) -> MedusaHeads {
    try load(directory: directory, config: model.config, model: model)
  }

  private static func load(directory given: URL, config: LlamaConfig, model: LlamaModel?)
    throws(MedusaError) -> MedusaHeads
  {
    let directory = currentStep(of: given)
    let configured = try HeadsConfig(directory: directory)
    func make(_ source: any TensorSource, prefix: String, origin: String) throws(MedusaError)
      -> MedusaHeads
    {
      if let model {
        return try MedusaHeads(
          source: source, prefix: prefix, origin: origin, model: model,
          projection: configured.projection, configuredHeads: configured.heads,
          configuredLayers: configured.layers)
      }
      guard configured.projection == .own else {
        throw .malformedHeads(
          origin: directory.appendingPathComponent("config.json").path,
          reason:
            "the heads use the base model's LM head (\(HeadProjection.configKey) \(configured.projection.rawValue)); load them with MedusaHeads.load(directory:model:)"
        )
      }
      return try MedusaHeads(
        source: source, prefix: prefix, origin: origin, backbone: config,
        configuredHeads: configured.heads, configuredLayers: configured.layers)
    }
    for name in fileNames {
      let url = directory.appendingPathComponent(name)
      guard FileManager.default.fileExists(atPath: url.path) else { continue }
      let source: any TensorSource
      do {
        source =
          name.hasSuffix(".pt")
          ? try PyTorchCheckpoint(url: url) : try TensorStore(files: [url])
      } catch {
        throw .malformedHeads(origin: url.path, reason: error.description)
      }
      return try make(source, prefix: "", origin: url.path)
    }
    if let store = try? TensorStore(directory: directory),
      store.names.contains(where: { $0.hasPrefix(fullCheckpointPrefix) })
    {
      return try make(store, prefix: fullCheckpointPrefix, origin: directory.path)
    }
    throw .noHeads(directory: directory.path)
  }
}
