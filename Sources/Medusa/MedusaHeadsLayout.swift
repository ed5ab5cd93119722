import Foundation
import MedusaFormats

/// The shape of a heads checkpoint, read from its tensor names (Medusa §2.1.1 heads:
/// `medusa_num_layers` ResBlocks then a vocabulary projection per head).
///
/// Every published layout names tensors `{prefix}{k}.{l}.linear.weight|bias` for ResBlock `l`
/// of head `k` and `{prefix}{k}.{L}.weight` for its projection, where `L` is the number of
/// ResBlocks (`nn.Sequential(*[ResBlock] * L, nn.Linear)` in the original). The original
/// builds that list by repeating ONE ResBlock object, so with `L > 1` all layers of a head
/// share their weights; a safetensors export then keeps only layer 0. Both forms load: a head
/// with every layer present applies each; a head with only layer 0 present applies it `L`
/// times, faithfully to the original.
///
/// In the shared layout (``HeadProjection/baseLanguageModelHead``) there is no `{k}.{L}.weight`
/// and any tensor named like one is an error; `L` is then the number of ResBlocks stored, or the
/// configured `medusa_num_layers` when only layer 0 is stored (the shared-block form).
struct MedusaHeadsLayout: Equatable {
  /// Number of heads (K).
  var headCount: Int
  /// ResBlocks per head (L).
  var layerCount: Int
  /// Whether the checkpoint stores only layer 0, shared by all `layerCount` layers.
  var sharedResBlock: Bool

  /// Reads the layout of the tensors under `prefix` in `names`; `projection` says whether the
  /// heads have their own projections, `configuredLayers` is `medusa_num_layers` if known.
  init(
    names: [String], prefix: String, origin: String, projection: HeadProjection = .own,
    configuredLayers: Int? = nil
  ) throws(MedusaError) {
    var projectionLayer: [Int: Int] = [:]
    var blockLayers: [Int: Set<Int>] = [:]
    var biasLayers: [Int: Set<Int>] = [:]
    for name in names where name.hasPrefix(prefix) {
      let parts = name.dropFirst(prefix.count).split(
        separator: ".", omittingEmptySubsequences: false)
      guard parts.count >= 3, let head = Int(parts[0]), let layer = Int(parts[1]), head >= 0,
        layer >= 0, head < 1024, layer < 1024
      else {
        throw .malformedHeads(
          origin: origin, reason: "tensor '\(name)' is not a Medusa head tensor")
      }
      switch parts.dropFirst(2).joined(separator: ".") {
      case "weight":
        guard projection == .own else {
          throw .malformedHeads(
            origin: origin,
            reason:
              "tensor '\(name)' is a vocabulary projection, but config.json declares \(HeadProjection.configKey) \(projection.rawValue) (the heads use the base model's LM head)"
          )
        }
        guard projectionLayer[head] == nil else {
          throw .malformedHeads(origin: origin, reason: "head \(head) has two projections")
        }
        projectionLayer[head] = layer
      case "linear.weight": blockLayers[head, default: []].insert(layer)
      case "linear.bias": biasLayers[head, default: []].insert(layer)
      default:
        throw .malformedHeads(
          origin: origin, reason: "tensor '\(name)' is not a Medusa head tensor")
      }
    }
    if projection == .baseLanguageModelHead {
      (headCount, layerCount, sharedResBlock) = try Self.sharedProjectionShape(
        blockLayers: blockLayers, biasLayers: biasLayers, origin: origin,
        configuredLayers: configuredLayers)
      return
    }
    headCount = projectionLayer.count
    guard headCount > 0 else {
      throw .malformedHeads(origin: origin, reason: "no head projections")
    }
    guard Set(projectionLayer.keys) == Set(0..<headCount),
      Set(blockLayers.keys).isSubset(of: 0..<headCount)
    else {
      throw .malformedHeads(
        origin: origin, reason: "head indices are not 0..<\(headCount) for every tensor")
    }
    layerCount = projectionLayer[0] ?? 0
    sharedResBlock = false
    for head in 0..<headCount {
      guard projectionLayer[head] == layerCount else {
        throw .malformedHeads(
          origin: origin, reason: "head \(head) has a different number of ResBlocks than head 0")
      }
      let blocks = blockLayers[head] ?? []
      guard biasLayers[head] ?? [] == blocks else {
        throw .malformedHeads(
          origin: origin, reason: "head \(head): ResBlock weights and biases differ")
      }
      if blocks == Set(0..<layerCount) { continue }
      guard layerCount > 1, blocks == [0] else {
        throw .malformedHeads(
          origin: origin,
          reason: "head \(head): ResBlocks \(blocks.sorted()) for \(layerCount) layers")
      }
      sharedResBlock = true
    }
  }

  /// Heads, layers and the shared-block flag of a file without projections: heads `0..<K`, each
  /// with ResBlocks `0..<L` (weights and biases), or only block 0 with `configuredLayers > 1`.
  private static func sharedProjectionShape(
    blockLayers: [Int: Set<Int>], biasLayers: [Int: Set<Int>], origin: String,
    configuredLayers: Int?
  ) throws(MedusaError) -> (Int, Int, Bool) {
    let heads = blockLayers.count
    guard heads > 0 else {
      throw .malformedHeads(
        origin: origin,
        reason:
          "no ResBlock tensors ({k}.{l}.linear.weight); heads that share the base LM head need at least one"
      )
    }
    guard Set(blockLayers.keys) == Set(0..<heads), Set(biasLayers.keys).isSubset(of: 0..<heads)
    else {
      throw .malformedHeads(
        origin: origin, reason: "head indices are not 0..<\(heads) for every tensor")
    }
    let stored = blockLayers[0] ?? []
    for head in 0..<heads {
      let blocks = blockLayers[head] ?? []
      guard biasLayers[head] ?? [] == blocks else {
        throw .malformedHeads(
          origin: origin, reason: "head \(head): ResBlock weights and biases differ")
      }
      guard blocks == stored, blocks == Set(0..<blocks.count) else {
        throw .malformedHeads(
          origin: origin,
          reason: "head \(head): ResBlocks \(blocks.sorted()), head 0 has \(stored.sorted())")
      }
    }
    if stored.count == 1, let configuredLayers, configuredLayers > 1 {
      return (heads, configuredLayers, true)
    }
    return (heads, stored.count, false)
  }
}
