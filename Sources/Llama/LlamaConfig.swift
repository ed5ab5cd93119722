import Foundation

/// The architecture hyper-parameters of a Llama-family model, read from a Hugging Face
/// `config.json` (and `generation_config.json` for stop tokens).
///
/// Llama, Mistral (without a sliding window that could bite) and Qwen2 (q/k/v biases) share
/// one decoder; anything else is rejected by name.
public struct LlamaConfig: Sendable, Equatable {
  /// The architecture family, which decides bias defaults.
  public enum Family: String, Sendable {
    /// `model_type: "llama"`.
    case llama
    /// `model_type: "mistral"`.
    case mistral
    /// `model_type: "qwen2"`: q/k/v projections carry a bias, o_proj does not.
    case qwen2
  }

  /// Architecture family.
  public var family: Family
  /// Vocabulary size: rows of the embedding and of the LM head.
  public var vocabularySize: Int
  /// Width of the residual stream.
  public var hiddenSize: Int
  /// Width of the SwiGLU MLP.
  public var intermediateSize: Int
  /// Number of decoder layers.
  public var layerCount: Int
  /// Query heads.
  public var headCount: Int
  /// Key/value heads (grouped-query attention when fewer than `headCount`).
  public var keyValueHeadCount: Int
  /// Width of one head.
  public var headDimension: Int
  /// RMSNorm epsilon.
  public var rmsNormEpsilon: Float
  /// Rotary embedding parameters.
  public var rope: RopeParameters
  /// Largest position the model was trained for (informational; the cache size decides).
  public var maxPositionEmbeddings: Int
  /// Whether the LM head reuses the embedding matrix.
  public var tieWordEmbeddings: Bool
  /// Whether q/k/v projections have a bias.
  public var qkvBias: Bool
  /// Whether o_proj has a bias.
  public var outputBias: Bool
  /// Whether gate/up/down projections have a bias.
  public var mlpBias: Bool
  /// Mistral's sliding window, if any: contexts longer than it are refused.
  public var slidingWindow: Int?
  /// Beginning-of-sequence token, if the config names one.
  public var bosTokenID: Int?
  /// Tokens that end generation (config.json and generation_config.json together).
  public var eosTokenIDs: [Int]

  /// Reads `config.json` (and `generation_config.json` if present) from a model folder.
  public init(directory: URL) throws(LlamaError) {
    let configURL = directory.appendingPathComponent("config.json")
    try self.init(fields: JSONFields(url: configURL))
    let generationURL = directory.appendingPathComponent("generation_config.json")
    if FileManager.default.fileExists(atPath: generationURL.path) {
      let generation = try JSONFields(url: generationURL)
      for id in try generation.intList("eos_token_id") where !eosTokenIDs.contains(id) {
        eosTokenIDs.append(id)
      }
      if bosTokenID == nil, generation.has("bos_token_id") {
        bosTokenID = try generation.int("bos_token_id", in: 0...Int(Int32.max))
      }
    }
  }

  /// Parses the fields of a config.json object.
  init(fields: JSONFields) throws(LlamaError) {
    let modelType = try fields.string("model_type") ?? "llama"
    guard let family = Family(rawValue: modelType) else {
      throw .unsupportedModelType(file: fields.file, modelType: modelType)
    }
    let activation = try fields.string("hidden_act") ?? "silu"
    guard activation == "silu" else {
      throw .unsupportedFeature(file: fields.file, feature: "hidden_act '\(activation)'")
    }
    self.family = family
    let big = 1...(1 << 30)
    vocabularySize = try fields.int("vocab_size", in: big)
    hiddenSize = try fields.int("hidden_size", in: big)
    intermediateSize = try fields.int("intermediate_size", in: big)
    layerCount = try fields.int("num_hidden_layers", in: 1...4096)
    headCount = try fields.int("num_attention_heads", in: 1...4096)
    keyValueHeadCount = try fields.int(
      "num_key_value_heads", default: headCount, in: 1...headCount)
    guard headCount % keyValueHeadCount == 0 else {
      throw .invalidConfig(
        file: fields.file, field: "num_key_value_heads",
        reason: "\(keyValueHeadCount) does not divide num_attention_heads \(headCount)")
    }
    let defaultHeadDimension = hiddenSize / headCount
    headDimension = try fields.int("head_dim", default: defaultHeadDimension, in: 2...65536)
    guard headDimension % 2 == 0 else {
      throw .invalidConfig(file: fields.file, field: "head_dim", reason: "must be even for RoPE")
    }
    let epsilon = try fields.double("rms_norm_eps", default: 1e-6)
    guard epsilon > 0, epsilon <= 1 else {
      throw .invalidConfig(
        file: fields.file, field: "rms_norm_eps", reason: "\(epsilon) is not in (0, 1]")
    }
    rmsNormEpsilon = Float(epsilon)
    maxPositionEmbeddings = try fields.int("max_position_embeddings", default: 2048, in: big)
    rope = try RopeParameters(fields: fields, headDimension: headDimension)
    tieWordEmbeddings = try fields.bool("tie_word_embeddings", default: false)
    let attentionBias = try fields.bool("attention_bias", default: false)
    qkvBias = family == .qwen2 ? true : attentionBias
    outputBias = family == .qwen2 ? false : attentionBias
    mlpBias = try fields.bool("mlp_bias", default: false)
    slidingWindow = nil
    if family == .mistral || family == .qwen2, fields.has("sliding_window") {
      let useWindow =
        family == .qwen2 ? try fields.bool("use_sliding_window", default: false) : true
      if useWindow { slidingWindow = try fields.int("sliding_window", in: 1...Int(Int32.max)) }
    }
    bosTokenID =
      fields.has("bos_token_id") ? try fields.int("bos_token_id", in: 0...Int(Int32.max)) : nil
    eosTokenIDs = try fields.intList("eos_token_id")
  }
}
