import Llama
import Medusa
import MedusaKernels

/// The backbone's trainable `f32` master weights for Medusa-2 (paper §2.2.2), packed in one
/// buffer in the order of ``Llama/LlamaModel/backboneTensors`` (each tensor row-major, its
/// Hugging Face shape), so that clipping and the optimizer run over one array. A tied LM head
/// is the embedding itself: one tensor, whose gradient sums both uses.
public struct BackboneLayout: Sendable {
  /// The model's configuration.
  public let config: LlamaConfig
  /// Every tensor with its offset and shape, in packing order.
  public let tensors: [(tensor: BackboneTensor, offset: Int, shape: [Int])]
  /// Floats in all tensors.
  public let parameterCount: Int
  private let offsets: [BackboneTensor: Int]
  private let shapes: [BackboneTensor: [Int]]

  /// The layout of `model`'s tensors.
  public init(model: LlamaModel) {
    config = model.config
    var tensors: [(tensor: BackboneTensor, offset: Int, shape: [Int])] = []
    var offsets: [BackboneTensor: Int] = [:]
    var shapes: [BackboneTensor: [Int]] = [:]
    var next = 0
    for tensor in model.backboneTensors {
      let shape = model.shape(of: tensor)
      tensors.append((tensor, next, shape))
      offsets[tensor] = next
      shapes[tensor] = shape
      next += shape.reduce(1, *)
    }
    self.tensors = tensors
    self.offsets = offsets
    self.shapes = shapes
    parameterCount = next
  }

  /// Offset of `tensor`, nil when the model does not have it (a bias, an untied head).
  public func offset(_ tensor: BackboneTensor) -> Int? { offsets[tensor] }

  /// The shape of a tensor of the layout (`[]` for one it does not have).
  public func shape(_ tensor: BackboneTensor) -> [Int] { shapes[tensor] ?? [] }

  /// Offset of a tensor every Llama has.
  func required(_ tensor: BackboneTensor) -> Int {
    guard let offset = offsets[tensor] else { preconditionFailure("no \(tensor) in the layout") }
    return offset
  }

  /// Offset of the LM head's `[V][H]` matrix: its own, or the embedding when tied.
  var languageModelHeadOffset: Int {
    offsets[.languageModelHead] ?? required(.embedding)
  }

  /// The model's weights, widened exactly to `f32`, in this layout.
  public func values(of model: LlamaModel) -> TrainingBuffer {
    let buffer = TrainingBuffer(parameterCount)
    for entry in tensors { model.copyValues(of: entry.tensor, into: buffer.base + entry.offset) }
    return buffer
  }
}
