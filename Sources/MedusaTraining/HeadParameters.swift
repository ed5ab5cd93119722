import Foundation
import Llama
import Medusa
import MedusaKernels

/// The trainable `f32` master weights of K Medusa heads (paper §2.1.1), packed in one buffer so
/// that clipping and the optimizer run over a single array. Head `k` holds, in order, for each
/// ResBlock `l`: `W1` `[H][H]` then `b1` `[H]`; then its projection `W2` `[V][H]` — unless the
/// heads share the backbone's frozen LM head (``HeadProjection/baseLanguageModelHead``), when a
/// head is only its ResBlocks and the projection is not a parameter.
///
/// Every ResBlock is its own tensor (`L` distinct blocks per head). The original builds
/// `[ResBlock(H)] * L`, one block object repeated; with the default `L = 1` the two agree.
public struct HeadShape: Sendable, Equatable {
  /// Number of heads (K).
  public let heads: Int
  /// ResBlocks per head (L).
  public let layers: Int
  /// Hidden size (H).
  public let hidden: Int
  /// Vocabulary size (V).
  public let vocabulary: Int
  /// Own projections (trained) or the backbone's LM head (frozen, not a parameter).
  public let projection: HeadProjection

  /// The shape of `heads` heads of `layers` ResBlocks over a `hidden`-wide state and a
  /// `vocabulary`-sized projection, each head's own (default) or the backbone's LM head.
  public init(
    heads: Int, layers: Int, hidden: Int, vocabulary: Int, projection: HeadProjection = .own
  ) {
    self.heads = heads
    self.layers = layers
    self.hidden = hidden
    self.vocabulary = vocabulary
    self.projection = projection
  }

  /// Floats in one ResBlock (weight and bias).
  var blockCount: Int { hidden * hidden + hidden }
  /// Floats of one head's own projection (0 when the LM head is shared).
  var projectionCount: Int { projection == .own ? vocabulary * hidden : 0 }
  /// Floats in one head.
  var headCount: Int { layers * blockCount + projectionCount }
  /// Floats in all heads.
  public var parameterCount: Int { heads * headCount }

  /// Offset of ResBlock `layer`'s weight in head `head`; its bias follows at `+ H·H`.
  func blockOffset(head: Int, layer: Int) -> Int { head * headCount + layer * blockCount }
  /// Offset of head `head`'s own projection.
  func projectionOffset(head: Int) -> Int { head * headCount + layers * blockCount }

  /// The tensors in the original `medusa_lm_head` naming, with their offsets and shapes, in
  /// the order they are packed: `{k}.{l}.linear.weight`, `{k}.{l}.linear.bias`, `{k}.{L}.weight`
  /// (the last only for own projections).
  public var tensors: [(name: String, offset: Int, shape: [Int])] {
    var out: [(name: String, offset: Int, shape: [Int])] = []
    for k in 0..<heads {
      for l in 0..<layers {
        let base = blockOffset(head: k, layer: l)
        out.append(("\(k).\(l).linear.weight", base, [hidden, hidden]))
        out.append(("\(k).\(l).linear.bias", base + hidden * hidden, [hidden]))
      }
      guard projection == .own else { continue }
      out.append(("\(k).\(layers).weight", projectionOffset(head: k), [vocabulary, hidden]))
    }
    return out
  }
}

/// Owned, zero-initialised `Float` storage that lives as long as the object (no copy on write).
public final class TrainingBuffer: @unchecked Sendable {
  /// The first element.
  public let base: UnsafeMutablePointer<Float>
  /// Number of elements.
  public let count: Int

  /// `count` zeros.
  public init(_ count: Int) {
    self.count = count
    base = .allocate(capacity: max(count, 1))
    base.initialize(repeating: 0, count: max(count, 1))
  }

  deinit { base.deallocate() }

  /// A copy of the elements.
  public var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

extension HeadShape {
  /// The original's initialisation (`MedusaModel.__init__`): every ResBlock linear zero (so the
  /// block is the identity, as `ResBlock` zero-initialises its weight and the original zeroes
  /// the bias too), every own projection a copy of the backbone's `lm_head` (widened to `f32`).
  /// With the shared LM head every head therefore starts as the base model's own prediction.
  public func initialParameters(languageModelHead: WeightMatrix) -> TrainingBuffer {
    let buffer = TrainingBuffer(parameterCount)
    guard projection == .own else { return buffer }
    for k in 0..<heads {
      let projection = buffer.base + projectionOffset(head: k)
      for row in 0..<vocabulary {
        languageModelHead.widenRow(row, into: projection + row * hidden)
      }
    }
    return buffer
  }
}
