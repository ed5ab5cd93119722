import Foundation
import MedusaFormats
import MedusaKernels

/// The weights of one decoder layer, as views into the memory-mapped checkpoint.
struct LayerWeights: @unchecked Sendable {
  var queryProjection: WeightMatrix
  var keyProjection: WeightMatrix
  var valueProjection: WeightMatrix
  var outputProjection: WeightMatrix
  var queryBias: Buffer?
  var keyBias: Buffer?
  var valueBias: Buffer?
  var outputBias: Buffer?
  var gateProjection: WeightMatrix
  var upProjection: WeightMatrix
  var downProjection: WeightMatrix
  var gateBias: Buffer?
  var upBias: Buffer?
  var downBias: Buffer?
  var inputNorm: Buffer
  var postAttentionNorm: Buffer
}

/// All weights of a Llama-family model, checked against the config.
///
/// Matrices stay in their file dtype inside the memory-mapped checkpoint (the kernels widen
/// them in registers); small vectors (norms, biases) are widened to Float once at load.
/// Every tensor the architecture needs must be present with the configured shape, and every
/// tensor present must be used, except those under `ignoredPrefixes` (e.g. `medusa_head.` in
/// a Medusa-2 checkpoint) and the stale `rotary_emb.inv_freq` buffers old exports carry.
public final class LlamaWeights: @unchecked Sendable {
  let embedding: WeightMatrix
  let layers: [LayerWeights]
  let finalNorm: Buffer
  let languageModelHead: WeightMatrix
  /// Keeps the memory maps and any realigned copies alive.
  private let store: TensorStore
  private var realigned: [UnsafeMutableRawPointer] = []

  /// Loads and validates the weights of `config` from `store`; `source` names it in errors.
  public init(store: TensorStore, config: LlamaConfig, source: String, ignoredPrefixes: [String])
    throws(LlamaError)
  {
    self.store = store
    var loader = TensorLoader(store: store, source: source)
    let hidden = config.hiddenSize
    let queryWidth = config.headCount * config.headDimension
    let keyValueWidth = config.keyValueHeadCount * config.headDimension
    let intermediate = config.intermediateSize
    embedding = try loader.matrix("model.embed_tokens.weight", [config.vocabularySize, hidden])
    var layers: [LayerWeights] = []
    for index in 0..<config.layerCount {
      let prefix = "model.layers.\(index)."
      let attention = prefix + "self_attn."
      let mlp = prefix + "mlp."
      layers.append(
        LayerWeights(
          queryProjection: try loader.matrix(attention + "q_proj.weight", [queryWidth, hidden]),
          keyProjection: try loader.matrix(attention + "k_proj.weight", [keyValueWidth, hidden]),
          valueProjection: try loader.matrix(attention + "v_proj.weight", [keyValueWidth, hidden]),
          outputProjection: try loader.matrix(attention + "o_proj.weight", [hidden, queryWidth]),
          queryBias: try loader.vector(attention + "q_proj.bias", queryWidth, if: config.qkvBias),
          keyBias: try loader.vector(attention + "k_proj.bias", keyValueWidth, if: config.qkvBias),
          valueBias: try loader.vector(
            attention + "v_proj.bias", keyValueWidth, if: config.qkvBias),
          outputBias: try loader.vector(attention + "o_proj.bias", hidden, if: config.outputBias),
          gateProjection: try loader.matrix(mlp + "gate_proj.weight", [intermediate, hidden]),
          upProjection: try loader.matrix(mlp + "up_proj.weight", [intermediate, hidden]),
          downProjection: try loader.matrix(mlp + "down_proj.weight", [hidden, intermediate]),
          gateBias: try loader.vector(mlp + "gate_proj.bias", intermediate, if: config.mlpBias),
          upBias: try loader.vector(mlp + "up_proj.bias", intermediate, if: config.mlpBias),
          downBias: try loader.vector(mlp + "down_proj.bias", hidden, if: config.mlpBias),
          inputNorm: try loader.vector(prefix + "input_layernorm.weight", hidden),
          postAttentionNorm: try loader.vector(prefix + "post_attention_layernorm.weight", hidden)
        ))
    }
    self.layers = layers
    finalNorm = try loader.vector("model.norm.weight", hidden)
    if config.tieWordEmbeddings {
      languageModelHead = embedding
      loader.markUsed("lm_head.weight")
    } else {
      languageModelHead = try loader.matrix("lm_head.weight", [config.vocabularySize, hidden])
    }
    let unused = store.names.filter { name in
      !loader.used.contains(name) && !name.hasSuffix("rotary_emb.inv_freq")
        && !ignoredPrefixes.contains { name.hasPrefix($0) }
    }
    guard unused.isEmpty else { throw .unexpectedTensors(names: unused, directory: source) }
    realigned = loader.realigned
  }

  deinit {
    for pointer in realigned { pointer.deallocate() }
  }
}

/// Looks tensors up by name, checks shape and dtype, and records what was used.
struct TensorLoader {
  let store: TensorStore
  let source: String
  private(set) var used: Set<String> = []
  private(set) var realigned: [UnsafeMutableRawPointer] = []

  init(store: TensorStore, source: String) {
    self.store = store
    self.source = source
  }

  /// Marks a tensor as accounted for without loading it (a tied head's duplicate copy).
  mutating func markUsed(_ name: String) { used.insert(name) }

  /// A 2-D weight as a matrix view in its file dtype.
  mutating func matrix(_ name: String, _ shape: [Int]) throws(LlamaError) -> WeightMatrix {
    let tensor = try fetch(name, shape)
    let type: WeightType
    switch tensor.dtype {
    case .f32: type = .f32
    case .f16: type = .f16
    case .bf16: type = .bf16
    default: throw .unsupportedDType(tensor: name, dtype: tensor.dtype.rawValue)
    }
    guard var base = tensor.bytes.baseAddress, tensor.bytes.count > 0 else {
      throw .shapeMismatch(tensor: name, expected: shape, found: tensor.shape)
    }
    if Int(bitPattern: base) % type.byteWidth != 0 {
      let copy = UnsafeMutableRawPointer.allocate(byteCount: tensor.bytes.count, alignment: 64)
      copy.copyMemory(from: base, byteCount: tensor.bytes.count)
      realigned.append(copy)
      base = UnsafeRawPointer(copy)
    }
    return WeightMatrix(rows: shape[0], columns: shape[1], type: type, base: base)
  }

  /// A 1-D weight widened to Float.
  mutating func vector(_ name: String, _ count: Int) throws(LlamaError) -> Buffer {
    let tensor = try fetch(name, [count])
    do {
      return Buffer(copying: try tensor.floats())
    } catch {
      throw .unsupportedDType(tensor: name, dtype: tensor.dtype.rawValue)
    }
  }

  /// A 1-D weight that exists only when `present` (biases).
  mutating func vector(_ name: String, _ count: Int, if present: Bool) throws(LlamaError)
    -> Buffer?
  {
    present ? try vector(name, count) : nil
  }

  private mutating func fetch(_ name: String, _ shape: [Int]) throws(LlamaError) -> Tensor {
    guard store.contains(name) else { throw .missingTensor(name: name, directory: source) }
    let tensor: Tensor
    do {
      tensor = try store.tensor(name)
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
