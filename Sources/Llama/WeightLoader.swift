import MedusaFormats
import MedusaKernels

/// Looks tensors up by name in a checkpoint, checks shape and dtype against what the
/// architecture expects, and records which tensors were used so that leftovers can be
/// rejected. It keeps the checkpoint (and so its memory maps) alive, so it must live as long as
/// the matrices it returned.
public final class WeightLoader: @unchecked Sendable {
  /// The checkpoint.
  public let source: any TensorSource
  /// The checkpoint's folder or file, for error messages.
  public let origin: String
  /// Names handed out or marked so far.
  public private(set) var used: Set<String> = []
  /// Every tensor name of the source.
  public let available: Set<String>

  /// A loader over `source`; `origin` names it in errors.
  public init(source: any TensorSource, origin: String) {
    self.source = source
    self.origin = origin
    available = Set(source.names)
  }

  /// Marks a tensor as accounted for without loading it (a tied head's duplicate copy).
  public func markUsed(_ name: String) { used.insert(name) }

  /// A 2-D weight `[rows][columns]` as a matrix view in its file dtype, in place in the
  /// memory map (the kernels load without alignment requirements, so nothing is copied).
  public func matrix(_ name: String, _ shape: [Int]) throws(LlamaError) -> WeightMatrix {
    let tensor = try fetch(name, shape)
    let type: WeightType
    switch tensor.dtype {
    case .f32: type = .f32
    case .f16: type = .f16
    case .bf16: type = .bf16
    default: throw .unsupportedDType(tensor: name, dtype: tensor.dtype.rawValue)
    }
    guard let base = tensor.bytes.baseAddress, tensor.bytes.count > 0, shape.count == 2 else {
      throw .shapeMismatch(tensor: name, expected: shape, found: tensor.shape)
    }
    return WeightMatrix(rows: shape[0], columns: shape[1], type: type, base: base)
  }

  /// A 1-D weight widened to Float.
  public func vector(_ name: String, _ count: Int) throws(LlamaError) -> FloatBuffer {
    let tensor = try fetch(name, [count])
    do {
      return FloatBuffer(copying: try tensor.floats())
    } catch {
      throw .unsupportedDType(tensor: name, dtype: tensor.dtype.rawValue)
    }
  }

  /// A 1-D weight that exists only when `present` (biases).
  public func vector(_ name: String, _ count: Int, if present: Bool) throws(LlamaError)
    -> FloatBuffer?
  {
    present ? try vector(name, count) : nil
  }

  /// Throws ``LlamaError/unexpectedTensors(names:directory:)`` for every tensor neither used
  /// nor `allowed`.
  public func rejectUnused(allowing allowed: (String) -> Bool) throws(LlamaError) {
    let unused = source.names.filter { !used.contains($0) && !allowed($0) }
    guard unused.isEmpty else { throw .unexpectedTensors(names: unused, directory: origin) }
  }

  private func fetch(_ name: String, _ shape: [Int]) throws(LlamaError) -> Tensor {
    guard available.contains(name) else { throw .missingTensor(name: name, directory: origin) }
    let tensor: Tensor
    do {
      tensor = try source.tensor(name)
    } catch {
      throw .checkpoint(error.description)
    }
    guard tensor.shape == shape else {
      throw .shapeMismatch(tensor: name, expected: shape, found: tensor.shape)
    }
    used.insert(name)
    return tensor
  }
}
