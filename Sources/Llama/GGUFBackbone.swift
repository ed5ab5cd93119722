import MedusaFormats
import MedusaKernels

/// The GGUF side of ``BackboneTensorSource``: llama.cpp tensor names, ggml dimension order
/// (`ne[0]` is the contiguous one, so a linear weight `[out][in]` has `ne = [in, out]`),
/// quantized blocks used in place.
///
/// llama.cpp's converter (`convert_hf_to_gguf.py`, `LlamaModel.permute`) stores the rows of
/// `attn_q` and `attn_k` of a `llama` model permuted for its interleaved rotary layout: within
/// each head of width `d`, Hugging Face row `s * d/2 + i` (`s` in 0...1, `i < d/2`) is stored as
/// row `2 * i + s`. transformers undoes it when it loads a GGUF; here the matrices get a row
/// order that reads them in Hugging Face order, so RoPE (rotate-half) applies unchanged.
final class GGUFBackbone: BackboneTensorSource {
  let file: GGUFFile
  let config: LlamaConfig
  private var used: Set<String> = []
  private var rowOrders: [UnsafeMutablePointer<Int32>] = []

  init(file: GGUFFile, config: LlamaConfig) {
    self.file = file
    self.config = config
  }

  deinit {
    for order in rowOrders { order.deallocate() }
  }

  func matrix(_ tensor: BackboneTensor, _ shape: [Int]) throws(LlamaError) -> WeightMatrix {
    let found = try fetch(tensor, [shape[1], shape[0]])
    let type = try Self.weightType(found.info)
    guard let base = found.bytes.baseAddress else {
      throw .shapeMismatch(tensor: found.info.name, expected: shape, found: [])
    }
    var order: UnsafePointer<Int32>? = nil
    if config.family == .llama, case .layer(_, let part) = tensor {
      if part == .queryWeight { order = permutation(rows: shape[0], heads: config.headCount) }
      if part == .keyWeight {
        order = permutation(rows: shape[0], heads: config.keyValueHeadCount)
      }
    }
    return WeightMatrix(
      rows: shape[0], columns: shape[1], type: type, base: base, rowOrder: order)
  }

  func vector(_ tensor: BackboneTensor, _ count: Int) throws(LlamaError) -> FloatBuffer {
    let found = try fetch(tensor, [count])
    let type = try Self.weightType(found.info)
    guard type.blockElements == 1, let base = found.bytes.baseAddress else {
      throw .unsupportedDType(tensor: found.info.name, dtype: found.info.type.name)
    }
    let buffer = FloatBuffer(count)
    WeightMatrix(rows: 1, columns: count, type: type, base: base).widenRow(0, into: buffer.base)
    if config.family == .llama, case .layer(_, let part) = tensor {
      let heads = part == .queryBias ? config.headCount : config.keyValueHeadCount
      if part == .queryBias || part == .keyBias {
        let stored = [Float](UnsafeBufferPointer(start: buffer.base, count: count))
        let order = permutation(rows: count, heads: heads)
        for row in 0..<count { buffer.base[row] = stored[Int(order[row])] }
      }
    }
    return buffer
  }

  func markTiedHead() {}

  func rejectUnused() throws(LlamaError) {
    let unused = file.tensorNames.filter { !used.contains($0) }
    guard unused.isEmpty else {
      throw .unexpectedTensors(names: unused, directory: file.url.path)
    }
  }

  /// The stored row of each Hugging Face row of a permuted `attn_q` / `attn_k`.
  private func permutation(rows: Int, heads: Int) -> UnsafePointer<Int32> {
    let order = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
    rowOrders.append(order)
    let d = rows / heads
    for h in 0..<heads {
      for s in 0..<2 {
        for i in 0..<(d / 2) {
          order[h * d + s * (d / 2) + i] = Int32(h * d + 2 * i + s)
        }
      }
    }
    return UnsafePointer(order)
  }

  /// The tensor for `tensor`, whose ggml dimensions must be `dimensions`.
  private func fetch(_ tensor: BackboneTensor, _ dimensions: [Int]) throws(LlamaError)
    -> GGUFTensor
  {
    let name = tensor.ggufName
    guard file.tensorNames.contains(name) else {
      throw .missingTensor(name: name, directory: file.url.path)
    }
    let found: GGUFTensor
    do {
      found = try file.tensor(name)
    } catch {
      throw .checkpoint(error.description)
    }
    guard found.info.dimensions == dimensions else {
      throw .shapeMismatch(
        tensor: name, expected: dimensions.reversed(), found: found.info.dimensions.reversed())
    }
    used.insert(name)
    return found
  }

  /// The kernels' type for a ggml type, or an error naming the tensor and type.
  static func weightType(_ info: GGUFTensorInfo) throws(LlamaError) -> WeightType {
    switch info.type {
    case .f32: return .f32
    case .f16: return .f16
    case .bf16: return .bf16
    case .q8_0: return .q8_0
    case .q4_0: return .q4_0
    case .q4_1: return .q4_1
    case .q5_0: return .q5_0
    case .q5_1: return .q5_1
    case .q2_K: return .q2_K
    case .q3_K: return .q3_K
    case .q4_K: return .q4_K
    case .q5_K: return .q5_K
    case .q6_K: return .q6_K
    default: throw .unsupportedDType(tensor: info.name, dtype: info.type.name)
    }
  }
}
