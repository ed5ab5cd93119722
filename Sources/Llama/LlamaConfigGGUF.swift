import MedusaFormats

extension LlamaConfig {
  /// Reads the architecture from a GGUF file's metadata: `general.architecture` (`llama`, or
  /// `qwen2` with q/k/v biases) and its `ARCH.*` keys, as llama.cpp writes them and
  /// transformers maps them (`embedding_length` -> hidden_size, `block_count` ->
  /// num_hidden_layers, `feed_forward_length`, `attention.head_count(_kv)`,
  /// `attention.layer_norm_rms_epsilon`, `rope.freq_base`, `context_length`). The LM head is
  /// tied when the file has no `output.weight`. Stop and start tokens come from
  /// `tokenizer.ggml.eos_token_id` / `bos_token_id`. RoPE scaling (`ARCH.rope.scaling.type`
  /// other than `none`, or a `rope_freqs` tensor) and partial rotary dimensions are rejected
  /// by name.
  public init(gguf: GGUFFile) throws(LlamaError) {
    let fields = GGUFFields(file: gguf)
    let path = gguf.url.path
    guard let architecture = try fields.string("general.architecture") else {
      throw .invalidConfig(file: path, field: "general.architecture", reason: "missing")
    }
    switch architecture {
    case "llama": family = .llama
    case "qwen2": family = .qwen2
    default: throw .unsupportedModelType(file: path, modelType: architecture)
    }
    let key = { (name: String) in "\(architecture).\(name)" }
    let big = 1...(1 << 30)
    hiddenSize = try fields.int(key("embedding_length"), in: big)
    intermediateSize = try fields.int(key("feed_forward_length"), in: big)
    layerCount = try fields.int(key("block_count"), in: 1...4096)
    headCount = try fields.int(key("attention.head_count"), in: 1...4096)
    keyValueHeadCount = try fields.int(
      key("attention.head_count_kv"), default: headCount, in: 1...headCount)
    guard headCount % keyValueHeadCount == 0 else {
      throw .invalidConfig(
        file: path, field: key("attention.head_count_kv"),
        reason: "\(keyValueHeadCount) does not divide the head count \(headCount)")
    }
    headDimension = try fields.int(
      key("attention.key_length"), default: hiddenSize / headCount, in: 2...65536)
    let valueLength = try fields.int(
      key("attention.value_length"), default: headDimension, in: 2...65536)
    guard valueLength == headDimension, headDimension % 2 == 0 else {
      throw .unsupportedFeature(
        file: path, feature: "key length \(headDimension) with value length \(valueLength)")
    }
    let rotary = try fields.int(key("rope.dimension_count"), default: headDimension, in: 1...65536)
    guard rotary == headDimension else {
      throw .unsupportedFeature(
        file: path, feature: "partial rotary: \(rotary) of \(headDimension) dimensions")
    }
    if let scaling = try fields.string(key("rope.scaling.type")), scaling != "none" {
      throw .unsupportedFeature(file: path, feature: "rope scaling type '\(scaling)'")
    }
    if gguf.tensorNames.contains("rope_freqs.weight") {
      throw .unsupportedFeature(file: path, feature: "rope frequency factors (rope_freqs.weight)")
    }
    rmsNormEpsilon = Float(
      try fields.positive(key("attention.layer_norm_rms_epsilon"), default: 1e-5))
    rope = RopeParameters(
      theta: try fields.positive(key("rope.freq_base"), default: 10000),
      headDimension: headDimension)
    maxPositionEmbeddings = try fields.int(key("context_length"), default: 2048, in: big)
    let tokens = gguf.value("tokenizer.ggml.tokens")?.strings?.count
    vocabularySize = try fields.int(key("vocab_size"), default: tokens ?? 0, in: big)
    let names = Set(gguf.tensorNames)
    tieWordEmbeddings = !names.contains(BackboneTensor.languageModelHead.ggufName)
    let queryBias = names.contains(BackboneTensor.layer(0, .queryBias).ggufName)
    qkvBias = family == .qwen2 || queryBias
    outputBias = names.contains(BackboneTensor.layer(0, .outputBias).ggufName)
    mlpBias = names.contains(BackboneTensor.layer(0, .gateBias).ggufName)
    slidingWindow = nil
    bosTokenID = try fields.tokenID("tokenizer.ggml.bos_token_id", vocabularySize: vocabularySize)
    eosTokenIDs = []
    if let eos = try fields.tokenID("tokenizer.ggml.eos_token_id", vocabularySize: vocabularySize) {
      eosTokenIDs.append(eos)
    }
  }
}

extension RopeParameters {
  /// Plain RoPE with base `theta` (no frequency scaling).
  init(theta: Double, headDimension: Int) {
    self.theta = theta
    self.headDimension = headDimension
    self.llama3 = nil
  }
}
