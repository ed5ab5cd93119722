import Foundation
import Llama
import MedusaFormats
import MedusaKernels

/// The K Medusa heads (paper §2.1.1): head k maps the backbone's last hidden state h to
/// logits for the token k + 2 places ahead, `p_k = softmax(W2_k · ResBlock_k^L(h))` with
/// `ResBlock(x) = x + SiLU(W1 x + b1)`. (Head 0 guesses the token after the base model's
/// next token.)
public final class MedusaHeads: @unchecked Sendable {
  /// One ResBlock: a square linear layer with bias.
  struct ResBlock {
    var weight: WeightMatrix
    var bias: FloatBuffer
  }

  /// One head: its ResBlocks in order (a shared block appears L times) and the projection.
  struct Head {
    var blocks: [ResBlock]
    var projection: WeightMatrix
  }

  /// Number of heads (K).
  public let headCount: Int
  /// ResBlocks per head (L).
  public let layerCount: Int
  /// Whether the file stores one ResBlock per head applied L times (the original's
  /// `[ResBlock] * L`).
  public let sharedResBlock: Bool
  /// Width of the hidden state.
  public let hiddenSize: Int
  /// Vocabulary size of the projections.
  public let vocabularySize: Int
  /// Where the heads came from.
  public let origin: String
  /// Disagreements between the heads' config.json and their tensors (the tensors win).
  public let notes: [String]
  let heads: [Head]
  private let loader: WeightLoader

  /// Loads heads from `source`, tensors named `{prefix}{k}.{l}...`, checked against the
  /// backbone. `configuredHeads`/`configuredLayers` (from config.json) are compared with what
  /// the tensor names say; a disagreement becomes a note, not an error, because published
  /// configs are known to disagree with their files.
  public init(
    source: any TensorSource, prefix: String, origin: String, backbone: LlamaConfig,
    configuredHeads: Int? = nil, configuredLayers: Int? = nil
  ) throws(MedusaError) {
    let layout = try MedusaHeadsLayout(names: source.names, prefix: prefix, origin: origin)
    headCount = layout.headCount
    layerCount = layout.layerCount
    sharedResBlock = layout.sharedResBlock
    hiddenSize = backbone.hiddenSize
    vocabularySize = backbone.vocabularySize
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
    var heads: [Head] = []
    do {
      for head in 0..<headCount {
        var blocks: [ResBlock] = []
        for layer in 0..<layerCount {
          var stored = "\(prefix)\(head).\(layer).linear."
          if !loader.available.contains(stored + "weight") { stored = "\(prefix)\(head).0.linear." }
          try Self.checkShape(source, stored + "weight", [hiddenSize, hiddenSize], origin)
          blocks.append(
            ResBlock(
              weight: try loader.matrix(stored + "weight", [hiddenSize, hiddenSize]),
              bias: try loader.vector(stored + "bias", hiddenSize)))
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
      throw .backbone("\(error)")
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
      throw .headsMismatch(
        origin: origin,
        reason:
          "tensor '\(name)' has shape \(tensor.shape), the backbone needs \(expected) (hidden size \(expected[1]))"
      )
    }
  }

  /// Logits of every head for one hidden state: `into[k]` receives head k's
  /// `vocabularySize` logits. `work` holds `2 * hiddenSize` floats.
  public func logits(
    hidden: UnsafePointer<Float>, into outputs: [UnsafeMutablePointer<Float>],
    work: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    let state = work
    let transformed = work + hiddenSize
    for (index, head) in heads.enumerated() where index < outputs.count {
      state.update(from: hidden, count: hiddenSize)
      for block in head.blocks {
        Kernels.linear(
          state, tokens: 1, weight: block.weight, bias: block.bias.base, into: transformed,
          parallelism: parallelism)
        Kernels.silu(transformed, count: hiddenSize, into: transformed)
        Kernels.add(state, transformed, count: hiddenSize, into: state)
      }
      Kernels.linear(
        state, tokens: 1, weight: head.projection, bias: nil, into: outputs[index],
        parallelism: parallelism)
    }
  }
}
