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
/// Matrices stay in their file dtype inside the memory-mapped checkpoint (the kernels widen
/// them in registers); small vectors (norms, biases) are widened to Float once at load.
/// Every tensor the architecture needs must be present with the configured shape, and every
/// tensor present must be used, except those under `ignoredPrefixes` (e.g. `medusa_head.` in
/// a Medusa-2 checkpoint) and the stale `rotary_emb.inv_freq` buffers old exports carry.
public final class LlamaWeights: @unchecked Sendable {
  let embedding: WeightMatrix
  let layers: [LayerWeights]
  let finalNorm: FloatBuffer
  let languageModelHead: WeightMatrix
  /// Keeps the checkpoint and its memory maps alive.
  private let loader: WeightLoader

  /// Loads and validates the weights of `config` from `store`; `source` names it in errors.
  public init(
    store: any TensorSource, config: LlamaConfig, source: String, ignoredPrefixes: [String]
  ) throws(LlamaError) {
    let loader = WeightLoader(source: store, origin: source)
    self.loader = loader
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
    try loader.rejectUnused { name in
      name.hasSuffix("rotary_emb.inv_freq") || ignoredPrefixes.contains { name.hasPrefix($0) }
    }
  }
}
