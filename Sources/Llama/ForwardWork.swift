import MedusaKernels

/// What one forward pass must do, whatever the kernels: the bytes of weights it reads and the
/// multiply-adds it computes. These are the two axes of the roofline `medusa bench` prints (a
/// forward can be no faster than reading its weights once at the machine's read bandwidth, nor
/// than doing its multiply-adds at the machine's fused-multiply-add rate).
extension LlamaModel {
  /// The weight matrices of one forward, in the order the layers run them, the LM head last.
  var forwardMatrices: [WeightMatrix] {
    weights.layers.flatMap { layer in
      [
        layer.queryProjection, layer.keyProjection, layer.valueProjection,
        layer.outputProjection, layer.gateProjection, layer.upProjection, layer.downProjection,
      ]
    } + [weights.languageModelHead]
  }

  /// Bytes of weights one forward pass reads (all matrices once; the embedding rows read are
  /// negligible and not counted, except when the head is tied to it).
  public var weightBytesPerForward: Int {
    forwardMatrices.reduce(0) { $0 + $1.byteCount }
  }

  /// Multiply-adds of one forward of `tokens` causal tokens after `context` cached positions,
  /// with logits for `logits` of them (default all, as a Medusa tree forward computes them; a
  /// prefill needs only the last): each token times every layer's weight matrices (rows x
  /// columns), each token with logits times the LM head, plus attention's two dot
  /// products of `headDimension` per query head, layer and visible position (the scores
  /// `q . k` and the weighted sum of the values), where token `t` (0-based) sees
  /// `context + t + 1` positions. Norms, RoPE, SiLU and the softmax are elementwise and not
  /// counted: they are a few operations per activation, not per weight.
  public func multiplyAddsPerForward(tokens: Int, context: Int, logits: Int? = nil) -> Int {
    let head = weights.languageModelHead
    let layers = forwardMatrices.dropLast().reduce(0) { $0 + $1.rows * $1.columns }
    let visible = tokens * context + tokens * (tokens + 1) / 2
    let attention = 2 * config.layerCount * config.headCount * config.headDimension * visible
    return tokens * layers + (logits ?? tokens) * head.rows * head.columns + attention
  }
}
