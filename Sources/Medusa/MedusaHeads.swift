import Foundation
import Llama
import MedusaFormats
import MedusaKernels

/// The K Medusa heads (paper §2.1.1): head k maps the backbone's last hidden state h to
/// logits for the token k + 2 places ahead, `p_k = softmax(W2_k · ResBlock_k^L(h))` with
/// `ResBlock(x) = x + SiLU(W1 x + b1)`. (Head 0 guesses the token after the base model's
/// next token.) `W2_k` is either the head's own projection (the original layout) or the
/// backbone's frozen LM head, shared by every head (``HeadProjection``).
public final class MedusaHeads: @unchecked Sendable {
  /// One ResBlock: a square linear layer with bias.
  package struct ResBlock: Sendable {
    package var weight: WeightMatrix
    package var bias: FloatBuffer
  }

  /// One head: its ResBlocks in order (a shared block appears L times) and the projection (its
  /// own, or the backbone's LM head).
  package struct Head: Sendable {
    package var blocks: [ResBlock]
    package var projection: WeightMatrix
  }

  /// Number of heads (K).
  public let headCount: Int
  /// ResBlocks per head (L).
  public let layerCount: Int
  /// Whether the file stores one ResBlock per head applied L times (the original's
  /// `[ResBlock] * L`).
  public let sharedResBlock: Bool
  /// Whether the heads have their own projections or use the backbone's LM head.
  public let headProjection: HeadProjection
  /// Width of the hidden state.
  public let hiddenSize: Int
  /// Vocabulary size of the projections.
  public let vocabularySize: Int
  /// Where the heads came from.
  public let origin: String
  /// Disagreements between the heads' config.json and their tensors (the tensors win).
  public let notes: [String]
  package let heads: [Head]
  private let loader: WeightLoader
  /// The backbone whose LM head the shared layout reads (kept alive with its memory map).
  private let backbone: LlamaModel?

  /// Loads heads in the original layout (each head its own projection) from `source`, tensors
  /// named `{prefix}{k}.{l}...`, checked against the backbone. `configuredHeads`/
  /// `configuredLayers` (from config.json) are compared with what the tensor names say; a
  /// disagreement becomes a note, not an error, because published configs are known to disagree
  /// with their files. Heads that share the base LM head need the model itself:
  /// ``init(source:prefix:origin:model:projection:configuredHeads:configuredLayers:)``.
  public convenience init(
    source: any TensorSource, prefix: String, origin: String, backbone: LlamaConfig,
    configuredHeads: Int? = nil, configuredLayers: Int? = nil
  ) throws(MedusaError) {
    try self.init(
      source: source, prefix: prefix, origin: origin, config: backbone, projection: .own,
      model: nil, configuredHeads: configuredHeads, configuredLayers: configuredLayers)
  }

  /// Loads heads of either layout over `model`. With ``HeadProjection/baseLanguageModelHead``
  /// the heads read `model.languageModelHead` (any stored type, quantized included) and keep
  /// `model` alive as long as they live.
  public convenience init(
    source: any TensorSource, prefix: String, origin: String, model: LlamaModel,
    projection: HeadProjection, configuredHeads: Int? = nil, configuredLayers: Int? = nil
  ) throws(MedusaError) {
    try self.init(
      source: source, prefix: prefix, origin: origin, config: model.config,
      projection: projection, model: model, configuredHeads: configuredHeads,
      configuredLayers: configuredLayers)
  }

  private init(
    source: any TensorSource, prefix: String, origin: String, config: LlamaConfig,
    projection: HeadProjection, model: LlamaModel?, configuredHeads: Int?,
    configuredLayers: Int?
  ) throws(MedusaError) {
    let layout = try MedusaHeadsLayout(
      names: source.names, prefix: prefix, origin: origin, projection: projection,
      configuredLayers: configuredLayers)
    headCount = layout.headCount
    layerCount = layout.layerCount
    sharedResBlock = layout.sharedResBlock
    headProjection = projection
    hiddenSize = config.hiddenSize
    vocabularySize = config.vocabularySize
    self.origin = origin
    var notes: [String] = []
    if let configuredHeads, configuredHeads != headCount {
      notes.append(
        "config says medusa_num_heads \(configuredHeads), the tensors hold \(headCount) heads")
    }
    if let configuredLayers, configuredLayers != layerCount {
      notes.append(
        "config says medusa_num_layers \(configuredLayers), the tensors hold \(layerCount)")
    }
    self.notes = notes
    let loader = WeightLoader(source: source, origin: origin)
    self.loader = loader
    backbone = projection == .baseLanguageModelHead ? model : nil
    var shared: WeightMatrix? = nil
    if projection == .baseLanguageModelHead {
      guard let model else {
        throw .malformedHeads(
          origin: origin,
          reason:
            "the heads use the base model's LM head (\(HeadProjection.configKey) \(projection.rawValue)); load them with the model, not only its config"
        )
      }
      shared = model.languageModelHead
    }
    var heads: [Head] = []
    do {
      for head in 0..<headCount {
        var blocks: [ResBlock] = []
        for layer in 0..<layerCount {
          var stored = "\(prefix)\(head).\(layer).linear."
          if !loader.available.contains(stored + "weight") { stored = "\(prefix)\(head).0.linear." }
          try Self.checkShape(source, stored + "weight", [hiddenSize, hiddenSize], origin)
          try Self.checkShape(source, stored + "bias", [hiddenSize], origin)
          blocks.append(
            ResBlock(
              weight: try loader.matrix(stored + "weight", [hiddenSize, hiddenSize]),
              bias: try loader.vector(stored + "bias", hiddenSize)))
        }
        if let shared {
          heads.append(Head(blocks: blocks, projection: shared))
          continue
        }
        let projectionName = "\(prefix)\(head).\(layerCount).weight"
        try Self.checkShape(source, projectionName, [vocabularySize, hiddenSize], origin)
        heads.append(
          Head(
            blocks: blocks,
            projection: try loader.matrix(projectionName, [vocabularySize, hiddenSize])))
      }
    } catch let error as MedusaError {
      throw error
    } catch {
      throw .malformedHeads(origin: origin, reason: "\(error)")
    }
    self.heads = heads
  }

  private static func checkShape(
    _ source: any TensorSource, _ name: String, _ expected: [Int], _ origin: String
  ) throws(MedusaError) {
    let tensor: Tensor
    do {
      tensor = try source.tensor(name)
    } catch {
      throw .malformedHeads(origin: origin, reason: error.description)
    }
    guard tensor.shape == expected else {
      let what =
        expected.count == 1
        ? "hidden size \(expected[0])"
        : expected[0] == expected[1]
          ? "hidden size \(expected[1])" : "vocabulary \(expected[0]), hidden size \(expected[1])"
      throw .headsMismatch(
        origin: origin,
        reason:
          "tensor '\(name)' has shape \(tensor.shape), the backbone needs \(expected) (\(what))"
      )
    }
  }

  /// Logits of every head for one hidden state: `into[k]` receives head k's
  /// `vocabularySize` logits. `work` holds `2 * hiddenSize` floats. The heads run one after
  /// the other; a decoding step uses the batched
  /// ``logits(hidden:heads:into:work:parallelism:)``, which gives the same bits.
  public func logits(
    hidden: UnsafePointer<Float>, into outputs: [UnsafeMutablePointer<Float>],
    work: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    let state = work
    let transformed = work + hiddenSize
    for (index, head) in heads.enumerated() where index < outputs.count {
      state.update(from: hidden, count: hiddenSize)
      Self.resBlocks(head, state: state, transformed: transformed, parallelism: parallelism)
      Kernels.linear(
        state, tokens: 1, weight: head.projection, bias: nil, into: outputs[index],
        parallelism: parallelism)
    }
  }

  /// `x ← x + SiLU(W1 x + b1)` for every ResBlock of `head`, in place on `state`.
  static func resBlocks(
    _ head: Head, state: UnsafeMutablePointer<Float>, transformed: UnsafeMutablePointer<Float>,
    parallelism: Parallelism
  ) {
    let width = head.projection.columns
    for block in head.blocks {
      Kernels.linear(
        state, tokens: 1, weight: block.weight, bias: block.bias.base, into: transformed,
        parallelism: parallelism)
      Kernels.silu(transformed, count: width, into: transformed)
      Kernels.add(state, transformed, count: width, into: state)
    }
  }
}
