import Foundation
import Llama
import MedusaFormats

extension MedusaHeads {
  /// The file names of the published head-only layouts, in the order they are tried.
  public static let fileNames = ["medusa_lm_head.safetensors", "medusa_lm_head.pt"]
  /// The tensor-name prefix of heads inside a full Medusa-2 checkpoint.
  public static let fullCheckpointPrefix = "medusa_head."

  /// Loads heads from a folder in any published layout: `medusa_lm_head.safetensors`,
  /// `medusa_lm_head.pt` (a PyTorch zip read by a restricted unpickler), or a full Medusa-2
  /// checkpoint whose safetensors hold `medusa_head.*` tensors beside the backbone's. A
  /// `config.json` there, if it has `medusa_num_heads`/`medusa_num_layers`, is checked
  /// against the tensors.
  public static func load(directory: URL, backbone: LlamaConfig) throws(MedusaError)
    -> MedusaHeads
  {
    let configured = try configuredShape(directory)
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
      return try MedusaHeads(
        source: source, prefix: "", origin: url.path, backbone: backbone,
        configuredHeads: configured.heads, configuredLayers: configured.layers)
    }
    if let store = try? TensorStore(directory: directory),
      store.names.contains(where: { $0.hasPrefix(fullCheckpointPrefix) })
    {
      return try MedusaHeads(
        source: store, prefix: fullCheckpointPrefix, origin: directory.path, backbone: backbone,
        configuredHeads: configured.heads, configuredLayers: configured.layers)
    }
    throw .noHeads(directory: directory.path)
  }

  /// `medusa_num_heads` and `medusa_num_layers` from the folder's config.json, if present.
  private static func configuredShape(_ directory: URL) throws(MedusaError) -> (
    heads: Int?, layers: Int?
  ) {
    let url = directory.appendingPathComponent("config.json")
    guard let data = try? Data(contentsOf: url) else { return (nil, nil) }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw .malformedHeads(origin: url.path, reason: "config.json is not a JSON object")
    }
    return (
      (object["medusa_num_heads"] as? NSNumber)?.intValue,
      (object["medusa_num_layers"] as? NSNumber)?.intValue
    )
  }
}
