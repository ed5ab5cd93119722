/// Anything that hands out named tensors: one safetensors file, a checkpoint folder, or a
/// `torch.save`d state dict. Lets callers (e.g. a Medusa heads loader) accept any of them.
public protocol TensorSource: Sendable {
  /// All tensor names.
  var names: [String] { get }
  /// The tensor called `name`, or a `FormatError` naming it and where it was looked for.
  func tensor(_ name: String) throws(FormatError) -> Tensor
}

extension SafetensorsFile: TensorSource {}
extension TensorStore: TensorSource {}
extension PyTorchCheckpoint: TensorSource {}
