import Foundation
import MedusaFormats
import MedusaKernels

/// The weights of one decoder layer, as views into the memory-mapped checkpoint.
struct LayerWeights: @unchecked Sendable {
  var queryProjection: WeightMatrix
  var keyProjection: WeightMatrix
  var valueProjection: WeightMatrix
  var outputProjection: WeightMatrix
  var queryBias: FloatBuffer?
  var keyBias: FloatBuffer?
  var valueBias: FloatBuffer?
  var outputBias: FloatBuffer?
  var gateProjection: WeightMatrix
  var upProjection: WeightMatrix
  var downProjection: WeightMatrix
  var gateBias: FloatBuffer?
  var upBias: FloatBuffer?
  var downBias: FloatBuffer?
  var inputNorm: FloatBuffer
  var postAttentionNorm: FloatBuffer
}

/// All weights of a Llama-family model, checked against the config.
///
/// Matrices stay in their stored type inside the memory-mapped checkpoint (the kernels widen
/// or dequantize them in registers); small vectors (norms, biases) are widened to Float once at
/// load. Every tensor the architecture needs must be present with the configured shape, and
/// every tensor present must be used (each source says what else it allows).
public final class LlamaWeights: @unchecked Sendable {
  let embedding: WeightMatrix
  let layers: [LayerWeights]
  let finalNorm: FloatBuffer
  let languageModelHead: WeightMatrix
  /// Keeps the checkpoint and its memory maps alive.
  private let source: AnyObject

  /// Loads and validates the weights of `config` from a safetensors `store`; `source` names it
  /// in errors. Tensors under `ignoredPrefixes` (e.g. `medusa_head.` in a Medusa-2 checkpoint)
  /// and the stale `rotary_emb.inv_freq` buffers old exports carry are allowed.
  public convenience init(
    store: any TensorSource, config: LlamaConfig, source: String, ignoredPrefixes: [String]
  ) throws(LlamaError) {
    let tensors = SafetensorsBackbone(
      loader: WeightLoader(source: store, origin: source), ignoredPrefixes: ignoredPrefixes)
    try self.init(tensors: tensors, config: config)
  }

  /// Loads and validates the weights of `config` from `tensors`.
  init(tensors: any BackboneTensorSource, config: LlamaConfig) throws(LlamaError) {
    source = tensors
    let hidden = config.hiddenSize
    let queryWidth = config.headCount * config.headDimension
    let keyValueWidth = config.keyValueHeadCount * config.headDimension
    let intermediate = config.intermediateSize
    embedding = try tensors.matrix(.embedding, [config.vocabularySize, hidden])
    var layers: [LayerWeights] = []
    for index in 0..<config.layerCount {
      func matrix(_ tensor: BackboneTensor.LayerTensor, _ shape: [Int]) throws(LlamaError)
        -> WeightMatrix
      {
        try tensors.matrix(.layer(index, tensor), shape)
      }
      func vector(_ tensor: BackboneTensor.LayerTensor, _ count: Int, if present: Bool = true)
        throws(LlamaError) -> FloatBuffer?
      {
        present ? try tensors.vector(.layer(index, tensor), count) : nil
      }
      layers.append(
        LayerWeights(
          queryProjection: try matrix(.queryWeight, [queryWidth, hidden]),
          keyProjection: try matrix(.keyWeight, [keyValueWidth, hidden]),
          valueProjection: try matrix(.valueWeight, [keyValueWidth, hidden]),
          outputProjection: try matrix(.outputWeight, [hidden, queryWidth]),
          queryBias: try vector(.queryBias, queryWidth, if: config.qkvBias),
          keyBias: try vector(.keyBias, keyValueWidth, if: config.qkvBias),
          valueBias: try vector(.valueBias, keyValueWidth, if: config.qkvBias),
          outputBias: try vector(.outputBias, hidden, if: config.outputBias),
          gateProjection: try matrix(.gateWeight, [intermediate, hidden]),
          upProjection: try matrix(.upWeight, [intermediate, hidden]),
          downProjection: try matrix(.downWeight, [hidden, intermediate]),
          gateBias: try vector(.gateBias, intermediate, if: config.mlpBias),
          upBias: try vector(.upBias, intermediate, if: config.mlpBias),
          downBias: try vector(.downBias, hidden, if: config.mlpBias),
          inputNorm: try tensors.vector(.layer(index, .inputNorm), hidden),
          postAttentionNorm: try tensors.vector(.layer(index, .postAttentionNorm), hidden)
        ))
    }
    self.layers = layers
    finalNorm = try tensors.vector(.finalNorm, hidden)
    if config.tieWordEmbeddings {
      languageModelHead = embedding
      tensors.markTiedHead()
    } else {
      languageModelHead = try tensors.matrix(
        .languageModelHead, [config.vocabularySize, hidden])
    }
    try tensors.rejectUnused()
  }
}
