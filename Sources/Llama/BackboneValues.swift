import MedusaKernels

extension LlamaModel {
  /// The tensors this model has, in the order Medusa-2 training packs them: the embedding;
  /// per layer the input norm, q/k/v/o (each followed by its bias where the config has biases),
  /// the post-attention norm, gate/up/down (each followed by its bias where the MLP has
  /// biases); the final norm; and the LM head unless it is tied to the embedding.
  public var backboneTensors: [BackboneTensor] {
    var tensors: [BackboneTensor] = [.embedding]
    for index in 0..<config.layerCount {
      var roles: [BackboneTensor.LayerTensor] = [.inputNorm]
      for (weight, bias) in [
        (BackboneTensor.LayerTensor.queryWeight, BackboneTensor.LayerTensor.queryBias),
        (.keyWeight, .keyBias), (.valueWeight, .valueBias),
      ] {
        roles.append(weight)
        if config.qkvBias { roles.append(bias) }
      }
      roles.append(.outputWeight)
      if config.outputBias { roles.append(.outputBias) }
      roles.append(.postAttentionNorm)
      for (weight, bias) in [
        (BackboneTensor.LayerTensor.gateWeight, BackboneTensor.LayerTensor.gateBias),
        (.upWeight, .upBias), (.downWeight, .downBias),
      ] {
        roles.append(weight)
        if config.mlpBias { roles.append(bias) }
      }
      tensors += roles.map { .layer(index, $0) }
    }
    tensors.append(.finalNorm)
    if !config.tieWordEmbeddings { tensors.append(.languageModelHead) }
    return tensors
  }

  /// The shape of `tensor` in this model (`[rows, columns]` or `[count]`).
  public func shape(of tensor: BackboneTensor) -> [Int] {
    let hidden = config.hiddenSize
    let queries = config.headCount * config.headDimension
    let keyValues = config.keyValueHeadCount * config.headDimension
    let inner = config.intermediateSize
    switch tensor {
    case .embedding, .languageModelHead: return [config.vocabularySize, hidden]
    case .finalNorm: return [hidden]
    case .layer(_, let role):
      switch role {
      case .queryWeight: return [queries, hidden]
      case .keyWeight, .valueWeight: return [keyValues, hidden]
      case .outputWeight: return [hidden, queries]
      case .gateWeight, .upWeight: return [inner, hidden]
      case .downWeight: return [hidden, inner]
      case .queryBias: return [queries]
      case .keyBias, .valueBias: return [keyValues]
      case .gateBias, .upBias: return [inner]
      case .outputBias, .downBias, .inputNorm, .postAttentionNorm: return [hidden]
      }
    }
  }

  /// Writes the values of `tensor` as `Float` (widened or dequantized exactly; GGUF rows in
  /// the Hugging Face order) into `into`, which holds `shape(of:)`'s element count. A tensor the
  /// model does not have (a bias it lacks, the LM head when tied) writes nothing and returns
  /// false.
  @discardableResult
  public func copyValues(of tensor: BackboneTensor, into: UnsafeMutablePointer<Float>) -> Bool {
    func matrix(_ m: WeightMatrix) -> Bool {
      for row in 0..<m.rows { m.widenRow(row, into: into + row * m.columns) }
      return true
    }
    func vector(_ v: FloatBuffer?, _ count: Int) -> Bool {
      guard let v else { return false }
      into.update(from: v.base, count: count)
      return true
    }
    let count = shape(of: tensor).reduce(1, *)
    switch tensor {
    case .embedding: return matrix(weights.embedding)
    case .finalNorm: return vector(weights.finalNorm, count)
    case .languageModelHead:
      return config.tieWordEmbeddings ? false : matrix(weights.languageModelHead)
    case .layer(let index, let role):
      let layer = weights.layers[index]
      switch role {
      case .queryWeight: return matrix(layer.queryProjection)
      case .keyWeight: return matrix(layer.keyProjection)
      case .valueWeight: return matrix(layer.valueProjection)
      case .outputWeight: return matrix(layer.outputProjection)
      case .gateWeight: return matrix(layer.gateProjection)
      case .upWeight: return matrix(layer.upProjection)
      case .downWeight: return matrix(layer.downProjection)
      case .queryBias: return vector(layer.queryBias, count)
      case .keyBias: return vector(layer.keyBias, count)
      case .valueBias: return vector(layer.valueBias, count)
      case .outputBias: return vector(layer.outputBias, count)
      case .gateBias: return vector(layer.gateBias, count)
      case .upBias: return vector(layer.upBias, count)
      case .downBias: return vector(layer.downBias, count)
      case .inputNorm: return vector(layer.inputNorm, count)
      case .postAttentionNorm: return vector(layer.postAttentionNorm, count)
      }
    }
  }

  /// RoPE's inverse frequencies (`headDimension / 2` values, scaling applied).
  public var rotaryInverseFrequencies: [Float] {
    Array(UnsafeBufferPointer(start: inverseFrequencies.base, count: config.headDimension / 2))
  }
}
