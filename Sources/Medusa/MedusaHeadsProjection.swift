import Foundation

/// Where the vocabulary projection of every Medusa head comes from (paper §2.1.1:
/// `p_k = softmax(W2_k · ResBlock_k^L(h))`).
///
/// - ``own``: each head has its own `W2_k` `[V][H]`, stored as `{k}.{L}.weight` — the original
///   layout (FasterDecoding/Medusa's `medusa_lm_head`, initialised from the backbone's `lm_head`
///   and trained).
/// - ``baseLanguageModelHead``: every head projects through the backbone's *own, frozen* LM head,
///   `p_k = softmax(LMHead(ResBlock_k^L(h)))`, so a head is only its ResBlocks. The file is the
///   original layout minus the `{k}.{L}.weight` tensors, and the heads' `config.json` says so
///   explicitly: `"medusa_head_projection": "base_lm_head"`. With a vocabulary of 49,152 and a
///   hidden size of 576 (SmolLM2-135M) an own projection is 28M parameters per head; the shared
///   one costs nothing to store, and one step multiplies the K head states by a single matrix
///   that the kernels decode once for all heads.
///
/// Without the marker, a missing projection is an error (the original layout is expected); with
/// it, a projection tensor in the file is an error.
public enum HeadProjection: String, Sendable, Equatable, CaseIterable {
  /// Each head has its own vocabulary projection (the original layout).
  case own = "own"
  /// Every head uses the backbone's frozen LM head (the file holds ResBlocks only).
  case baseLanguageModelHead = "base_lm_head"

  /// The key of the heads' `config.json` that marks the shared layout.
  public static let configKey = "medusa_head_projection"

  /// The projection a `config.json` object declares: ``baseLanguageModelHead`` for
  /// `"medusa_head_projection": "base_lm_head"`, ``own`` when the key is absent (every published
  /// config) or `"own"`; any other value is an error naming the file and the key.
  static func declared(in object: [String: Any], file: String) throws(MedusaError)
    -> HeadProjection
  {
    guard let value = object[configKey] else { return .own }
    guard let name = value as? String, let projection = HeadProjection(rawValue: name) else {
      throw .malformedHeads(
        origin: file,
        reason:
          "\(configKey) is \(value), expected \"\(HeadProjection.baseLanguageModelHead.rawValue)\" (or absent: own projections)"
      )
    }
    return projection
  }
}

/// The fields of a heads folder's `config.json` that loading checks.
struct HeadsConfig {
  /// `medusa_num_heads`.
  var heads: Int?
  /// `medusa_num_layers`.
  var layers: Int?
  /// `medusa_head_projection` (``HeadProjection/own`` when absent).
  var projection: HeadProjection = .own

  /// The folder's config.json, or the defaults when there is none.
  init(directory: URL) throws(MedusaError) {
    let url = directory.appendingPathComponent("config.json")
    guard let data = try? Data(contentsOf: url) else { return }
    guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw .malformedHeads(origin: url.path, reason: "config.json is not a JSON object")
    }
    heads = (object["medusa_num_heads"] as? NSNumber)?.intValue
    layers = (object["medusa_num_layers"] as? NSNumber)?.intValue
    projection = try HeadProjection.declared(in: object, file: url.path)
  }
}
