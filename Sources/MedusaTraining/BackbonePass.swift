import Llama
import Medusa
import MedusaKernels

/// Forward and hand-written backward pass of the whole backbone on packed sequences, for
/// Medusa-2 (paper §2.2.2: the backbone is trained with the heads). The forward is
/// transformers' `LlamaForCausalLM` in `f32`, written with this module's kernels over the
/// ``BackboneLayout`` master weights; every activation the backward pass needs is kept, per
/// layer (memory: about `tokens · layers · (4H + 2Q + 2KV + 3I)` floats plus the attention
/// probabilities, `heads · Σ S_b²` per layer).
///
/// Forward, for each layer ℓ (`x` the residual stream, `n` RMSNorm):
/// `a = n₁(x)`, `q, k, v = a W_qᵀ, a W_kᵀ, a W_vᵀ` (rotated), `o = CausalAttention(q, k, v)`,
/// `m = x + o W_oᵀ`, `b = n₂(m)`, `x' = m + (SiLU(b W_gᵀ) ⊙ b W_uᵀ) W_dᵀ`; then `h = n_f(x)` (the
/// heads' input) and `logits = h W_lmᵀ`. The backward pass runs the chain in reverse with the
/// kernels' backward twins (``Kernels/rmsNormBackward(_:gradient:tokens:dimension:weight:epsilon:inputGradient:weightGradient:scratch:)``,
/// ``Kernels/causalAttentionBackward(gradient:queries:keys:values:probabilities:sequences:heads:kvHeads:headDimension:scale:queryGradient:keyGradient:valueGradient:parallelism:)``, ...).
public final class BackbonePass: @unchecked Sendable {
  /// Where each tensor sits in the parameter buffers.
  public let layout: BackboneLayout
  /// The most tokens one pass takes.
  public let maxTokens: Int
  /// Thread fan-out of the kernels.
  public let parallelism: Parallelism
  /// `[maxTokens][H]`: the final RMSNorm's output of the last forward (the LM head's and the
  /// Medusa heads' input).
  public let hidden: TrainingBuffer
  /// `[headWidth / 2]`: RoPE's inverse frequencies.
  private let inverseFrequencies: TrainingBuffer
  private let activations: BackboneActivations
  private let work: BackboneGradientWork
  private var sequences = PackedSequences(lengths: [])

  /// A pass for up to `maxTokens` packed tokens of the model laid out by `layout`, whose
  /// rotary inverse frequencies are `inverseFrequencies`.
  public init(
    layout: BackboneLayout, inverseFrequencies: [Float], maxTokens: Int, parallelism: Parallelism
  ) {
    self.layout = layout
    self.inverseFrequencies = TrainingBuffer(inverseFrequencies.count)
    self.inverseFrequencies.base.update(from: inverseFrequencies, count: inverseFrequencies.count)
    self.maxTokens = maxTokens
    self.parallelism = parallelism
    hidden = TrainingBuffer(maxTokens * layout.config.hiddenSize)
    activations = BackboneActivations(config: layout.config, maxTokens: maxTokens)
    work = BackboneGradientWork(config: layout.config, maxTokens: maxTokens)
  }

  private var config: LlamaConfig { layout.config }

  /// Runs the backbone with weights `parameters` on `tokens` (`sequences.tokens` ids, each in
  /// the vocabulary) packed as `sequences`; the final hidden states land in ``hidden``, and the
  /// LM head's logits `[tokens][V]` in `logits` when given.
  public func forward(
    parameters p: UnsafePointer<Float>, tokens: UnsafePointer<Int32>,
    sequences: PackedSequences, logits: UnsafeMutablePointer<Float>?
  ) {
    let n = sequences.tokens
    precondition(n <= maxTokens, "\(n) tokens exceed the pass's \(maxTokens)")
    self.sequences = sequences
    let h = config.hiddenSize
    let half = config.headDimension / 2
    activations.reserveProbabilities(sequences.probabilityCount(heads: config.headCount))
    let embedding = p + layout.required(.embedding)
    let x0 = activations.layerInput(0)
    for t in 0..<n { (x0 + t * h).update(from: embedding + Int(tokens[t]) * h, count: h) }
    for b in 0..<sequences.count {
      for (position, t) in sequences.range(b).enumerated() {
        Kernels.rotaryAngles(
          position: position, inverseFrequencies: inverseFrequencies.base, count: half,
          cos: activations.cosines.base + t * half, sin: activations.sines.base + t * half)
      }
    }
    for layer in 0..<config.layerCount { forwardLayer(layer, parameters: p, tokens: n) }
    Kernels.rmsNorm(
      activations.layerInput(config.layerCount), tokens: n, dimension: h,
      weight: p + layout.required(.finalNorm), epsilon: config.rmsNormEpsilon, into: hidden.base)
    if let logits {
      project(
        hidden.base, weightOffset: layout.languageModelHeadOffset,
        shape: [config.vocabularySize, h], biasOffset: nil, parameters: p, into: logits)
    }
  }

  /// One decoder layer of the forward pass, keeping its activations.
  private func forwardLayer(_ l: Int, parameters p: UnsafePointer<Float>, tokens n: Int) {
    let a = activations
    let h = config.hiddenSize
    let inner = config.intermediateSize
    let input = a.layerInput(l)
    Kernels.rmsNorm(
      input, tokens: n, dimension: h, weight: p + layout.required(.layer(l, .inputNorm)),
      epsilon: config.rmsNormEpsilon, into: a.attentionNormed(l))
    project(
      a.attentionNormed(l), .layer(l, .queryWeight), bias: .layer(l, .queryBias), parameters: p,
      into: a.queries(l))
    project(
      a.attentionNormed(l), .layer(l, .keyWeight), bias: .layer(l, .keyBias), parameters: p,
      into: a.keys(l))
    project(
      a.attentionNormed(l), .layer(l, .valueWeight), bias: .layer(l, .valueBias), parameters: p,
      into: a.values(l))
    Kernels.applyRotary(
      a.queries(l), tokens: n, heads: config.headCount, headDimension: config.headDimension,
      cos: a.cosines.base, sin: a.sines.base)
    Kernels.applyRotary(
      a.keys(l), tokens: n, heads: config.keyValueHeadCount,
      headDimension: config.headDimension, cos: a.cosines.base, sin: a.sines.base)
    Kernels.causalAttentionForward(
      queries: a.queries(l), keys: a.keys(l), values: a.values(l), sequences: sequences,
      heads: config.headCount, kvHeads: config.keyValueHeadCount,
      headDimension: config.headDimension, scale: attentionScale,
      probabilities: a.probabilities(l), into: a.attended(l), parallelism: parallelism)
    project(
      a.attended(l), .layer(l, .outputWeight), bias: .layer(l, .outputBias), parameters: p,
      into: a.middle(l))
    Kernels.add(input, a.middle(l), count: n * h, into: a.middle(l))
    Kernels.rmsNorm(
      a.middle(l), tokens: n, dimension: h,
      weight: p + layout.required(.layer(l, .postAttentionNorm)),
      epsilon: config.rmsNormEpsilon, into: a.mlpNormed(l))
    project(
      a.mlpNormed(l), .layer(l, .gateWeight), bias: .layer(l, .gateBias), parameters: p,
      into: a.gate(l))
    project(
      a.mlpNormed(l), .layer(l, .upWeight), bias: .layer(l, .upBias), parameters: p, into: a.up(l))
    Kernels.swiGLU(gate: a.gate(l), up: a.up(l), count: n * inner, into: a.activated(l))
    let output = a.layerInput(l + 1)
    project(
      a.activated(l), .layer(l, .downWeight), bias: .layer(l, .downBias), parameters: p,
      into: output)
    Kernels.add(a.middle(l), output, count: n * h, into: output)
  }

  /// The gradient of a loss with respect to every backbone weight, after ``forward(parameters:tokens:sequences:logits:)``
  /// on the same tokens: `logitGradient` (`[tokens][V]`, optional: Medusa-1 phases have no
  /// backbone loss) is the loss's gradient with respect to the LM head's logits, and
  /// `hiddenGradient` (`[tokens][H]`, overwritten as scratch) with respect to ``hidden``
  /// directly (the Medusa heads' share). `gradients` (``BackboneLayout`` order) is replaced.
  public func backward(
    parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
    tokens: UnsafePointer<Int32>, logitGradient: UnsafePointer<Float>?,
    hiddenGradient dHidden: UnsafeMutablePointer<Float>
  ) {
    let n = sequences.tokens
    let h = config.hiddenSize
    let v = config.vocabularySize
    g.update(repeating: 0, count: layout.parameterCount)
    if let dLogits = logitGradient {
      let head = layout.languageModelHeadOffset
      Kernels.linearBackwardWeight(
        dLogits, hidden.base, tokens: n, rows: v, columns: h, into: g + head,
        parallelism: parallelism)
      Kernels.linearBackwardInput(
        dLogits, tokens: n, weight: p + head, rows: v, columns: h, into: dHidden,
        accumulate: true, parallelism: parallelism)
    }
    let dx = work.residual.base
    dx.update(repeating: 0, count: n * h)
    let finalNorm = layout.required(.finalNorm)
    Kernels.rmsNormBackward(
      activations.layerInput(config.layerCount), gradient: dHidden, tokens: n, dimension: h,
      weight: p + finalNorm, epsilon: config.rmsNormEpsilon, inputGradient: dx,
      weightGradient: g + finalNorm, scratch: work.normScratch.base)
    for l in stride(from: config.layerCount - 1, through: 0, by: -1) {
      backwardLayer(l, parameters: p, gradients: g, tokens: n)
    }
    Kernels.embeddingBackward(
      dx, tokens: tokens, count: n, width: h, into: g + layout.required(.embedding))
  }

  /// One decoder layer in reverse: on entry the work buffer `residual` holds the gradient of
  /// the layer's output, on exit that of its input.
  private func backwardLayer(
    _ l: Int, parameters p: UnsafePointer<Float>, gradients g: UnsafeMutablePointer<Float>,
    tokens n: Int
  ) {
    let a = activations
    let w = work
    let h = config.hiddenSize
    let inner = config.intermediateSize
    let dx = w.residual.base
    // x' = m + down(SiLU(gate) ⊙ up): the MLP's share, then its RMSNorm into dm.
    projectBackward(
      dx, input: a.activated(l), .layer(l, .downWeight), bias: .layer(l, .downBias), parameters: p,
      gradients: g, inputGradient: w.activated.base, accumulate: false)
    Kernels.swiGLUBackward(
      gate: a.gate(l), up: a.up(l), gradient: w.activated.base, count: n * inner,
      gateGradient: w.gate.base, upGradient: w.up.base)
    projectBackward(
      w.gate.base, input: a.mlpNormed(l), .layer(l, .gateWeight), bias: .layer(l, .gateBias),
      parameters: p,
      gradients: g, inputGradient: w.normed.base, accumulate: false)
    projectBackward(
      w.up.base, input: a.mlpNormed(l), .layer(l, .upWeight), bias: .layer(l, .upBias),
      parameters: p,
      gradients: g, inputGradient: w.normed.base, accumulate: true)
    let postNorm = layout.required(.layer(l, .postAttentionNorm))
    Kernels.rmsNormBackward(
      a.middle(l), gradient: w.normed.base, tokens: n, dimension: h, weight: p + postNorm,
      epsilon: config.rmsNormEpsilon, inputGradient: dx, weightGradient: g + postNorm,
      scratch: w.normScratch.base)
    // m = x + o_proj(attention): attention's share, then its RMSNorm into dx.
    projectBackward(
      dx, input: a.attended(l), .layer(l, .outputWeight), bias: .layer(l, .outputBias),
      parameters: p,
      gradients: g, inputGradient: w.attended.base, accumulate: false)
    Kernels.causalAttentionBackward(
      gradient: w.attended.base, queries: a.queries(l), keys: a.keys(l), values: a.values(l),
      probabilities: a.probabilities(l), sequences: sequences, heads: config.headCount,
      kvHeads: config.keyValueHeadCount, headDimension: config.headDimension,
      scale: attentionScale, queryGradient: w.queries.base, keyGradient: w.keys.base,
      valueGradient: w.values.base, parallelism: parallelism)
    Kernels.applyRotaryBackward(
      w.queries.base, tokens: n, heads: config.headCount, headDimension: config.headDimension,
      cos: a.cosines.base, sin: a.sines.base)
    Kernels.applyRotaryBackward(
      w.keys.base, tokens: n, heads: config.keyValueHeadCount,
      headDimension: config.headDimension, cos: a.cosines.base, sin: a.sines.base)
    let normed = a.attentionNormed(l)
    projectBackward(
      w.queries.base, input: normed, .layer(l, .queryWeight), bias: .layer(l, .queryBias),
      parameters: p,
      gradients: g, inputGradient: w.normed.base, accumulate: false)
    projectBackward(
      w.keys.base, input: normed, .layer(l, .keyWeight), bias: .layer(l, .keyBias), parameters: p,
      gradients: g, inputGradient: w.normed.base, accumulate: true)
    projectBackward(
      w.values.base, input: normed, .layer(l, .valueWeight), bias: .layer(l, .valueBias),
      parameters: p,
      gradients: g, inputGradient: w.normed.base, accumulate: true)
    let inputNorm = layout.required(.layer(l, .inputNorm))
    Kernels.rmsNormBackward(
      a.layerInput(l), gradient: w.normed.base, tokens: n, dimension: h, weight: p + inputNorm,
      epsilon: config.rmsNormEpsilon, inputGradient: dx, weightGradient: g + inputNorm,
      scratch: w.normScratch.base)
  }

  private var attentionScale: Float { 1 / Float(config.headDimension).squareRoot() }

  /// `y = x Wᵀ (+ b)` for the backbone matrix `weight` and its bias, if the model has one.
  private func project(
    _ x: UnsafePointer<Float>, _ weight: BackboneTensor, bias: BackboneTensor,
    parameters p: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    project(
      x, weightOffset: layout.required(weight), shape: layout.shape(weight),
      biasOffset: layout.offset(bias), parameters: p, into: y)
  }

  /// `y = x Wᵀ (+ b)` for the `[rows, columns]` matrix at `weightOffset` of `p`.
  private func project(
    _ x: UnsafePointer<Float>, weightOffset: Int, shape: [Int], biasOffset: Int?,
    parameters p: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>
  ) {
    Kernels.linear(
      x, tokens: sequences.tokens,
      weight: WeightMatrix(rows: shape[0], columns: shape[1], type: .f32, base: p + weightOffset),
      bias: biasOffset.map { p + $0 }, into: y, parallelism: parallelism)
  }

  /// Backward of ``project(_:_:bias:parameters:into:)``: `dW = dYᵀ x` and `db = Σ dY`
  /// (replaced), `dX = dY W` (added to `dX` when `accumulate`).
  private func projectBackward(
    _ dY: UnsafePointer<Float>, input x: UnsafePointer<Float>, _ weight: BackboneTensor,
    bias: BackboneTensor, parameters p: UnsafePointer<Float>,
    gradients g: UnsafeMutablePointer<Float>,
    inputGradient dX: UnsafeMutablePointer<Float>, accumulate: Bool
  ) {
    let n = sequences.tokens
    let offset = layout.required(weight)
    let shape = layout.shape(weight)
    Kernels.linearBackwardWeight(
      dY, x, tokens: n, rows: shape[0], columns: shape[1], into: g + offset,
      parallelism: parallelism)
    if let b = layout.offset(bias) {
      Kernels.columnSums(dY, tokens: n, count: shape[0], into: g + b)
    }
    Kernels.linearBackwardInput(
      dY, tokens: n, weight: p + offset, rows: shape[0], columns: shape[1], into: dX,
      accumulate: accumulate, parallelism: parallelism)
  }
}
