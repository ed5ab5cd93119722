import Llama
import Medusa
import MedusaKernels

/// What the Medusa-2 forward pass keeps for its backward pass (``BackbonePass``), for up to
/// `maxTokens` packed tokens; N = tokens of the pass, H = hidden, Q = heads × head width,
/// KV = key/value heads × head width, I = MLP width. Every buffer is written by each forward.
final class BackboneActivations: @unchecked Sendable {
  private let maxTokens: Int
  private let layers: Int
  private let hidden: Int
  private let queryWidth: Int
  private let keyValueWidth: Int
  private let inner: Int
  /// `[layers + 1][maxTokens][H]`: the residual stream entering layer ℓ (ℓ = layers: the
  /// final RMSNorm's input).
  private let inputs: TrainingBuffer
  /// `[layers][maxTokens][H]`: RMSNorm₁(x), the input of q/k/v.
  private let attentionInputs: TrainingBuffer
  /// `[layers][maxTokens][Q]` and `[layers][maxTokens][KV]`: rotated queries and keys, values.
  private let queryRows: TrainingBuffer
  private let keyRows: TrainingBuffer
  private let valueRows: TrainingBuffer
  /// `[layers][maxTokens][Q]`: attention's output, the input of o_proj.
  private let attendedRows: TrainingBuffer
  /// `[layers][maxTokens][H]`: the residual stream after attention (m), and RMSNorm₂(m).
  private let middles: TrainingBuffer
  private let mlpInputs: TrainingBuffer
  /// `[layers][maxTokens][I]`: gate_proj, up_proj and SwiGLU(gate, up).
  private let gates: TrainingBuffer
  private let ups: TrainingBuffer
  private let activations: TrainingBuffer
  /// `[maxTokens][headWidth / 2]`: RoPE's cos and sin at each token's position.
  let cosines: TrainingBuffer
  let sines: TrainingBuffer
  /// `[layers][heads · Σ S_b²]`: attention probabilities; grows with the longest batch seen.
  private var probabilityRows = TrainingBuffer(0)
  private var probabilityStride = 0

  init(config: LlamaConfig, maxTokens: Int) {
    self.maxTokens = maxTokens
    layers = config.layerCount
    hidden = config.hiddenSize
    queryWidth = config.headCount * config.headDimension
    keyValueWidth = config.keyValueHeadCount * config.headDimension
    inner = config.intermediateSize
    inputs = TrainingBuffer((layers + 1) * maxTokens * hidden)
    attentionInputs = TrainingBuffer(layers * maxTokens * hidden)
    queryRows = TrainingBuffer(layers * maxTokens * queryWidth)
    keyRows = TrainingBuffer(layers * maxTokens * keyValueWidth)
    valueRows = TrainingBuffer(layers * maxTokens * keyValueWidth)
    attendedRows = TrainingBuffer(layers * maxTokens * queryWidth)
    middles = TrainingBuffer(layers * maxTokens * hidden)
    mlpInputs = TrainingBuffer(layers * maxTokens * hidden)
    gates = TrainingBuffer(layers * maxTokens * inner)
    ups = TrainingBuffer(layers * maxTokens * inner)
    activations = TrainingBuffer(layers * maxTokens * inner)
    cosines = TrainingBuffer(maxTokens * config.headDimension / 2)
    sines = TrainingBuffer(maxTokens * config.headDimension / 2)
  }

  /// Makes room for `count` probabilities per layer (allocates only when a batch needs more
  /// than any before it).
  func reserveProbabilities(_ count: Int) {
    probabilityStride = count
    if probabilityRows.count < layers * count { probabilityRows = TrainingBuffer(layers * count) }
  }

  func layerInput(_ l: Int) -> UnsafeMutablePointer<Float> { inputs.base + l * maxTokens * hidden }
  func attentionNormed(_ l: Int) -> UnsafeMutablePointer<Float> {
    attentionInputs.base + l * maxTokens * hidden
  }
  func queries(_ l: Int) -> UnsafeMutablePointer<Float> {
    queryRows.base + l * maxTokens * queryWidth
  }
  func keys(_ l: Int) -> UnsafeMutablePointer<Float> {
    keyRows.base + l * maxTokens * keyValueWidth
  }
  func values(_ l: Int) -> UnsafeMutablePointer<Float> {
    valueRows.base + l * maxTokens * keyValueWidth
  }
  func attended(_ l: Int) -> UnsafeMutablePointer<Float> {
    attendedRows.base + l * maxTokens * queryWidth
  }
  func middle(_ l: Int) -> UnsafeMutablePointer<Float> { middles.base + l * maxTokens * hidden }
  func mlpNormed(_ l: Int) -> UnsafeMutablePointer<Float> {
    mlpInputs.base + l * maxTokens * hidden
  }
  func gate(_ l: Int) -> UnsafeMutablePointer<Float> { gates.base + l * maxTokens * inner }
  func up(_ l: Int) -> UnsafeMutablePointer<Float> { ups.base + l * maxTokens * inner }
  func activated(_ l: Int) -> UnsafeMutablePointer<Float> {
    activations.base + l * maxTokens * inner
  }
  func probabilities(_ l: Int) -> UnsafeMutablePointer<Float> {
    probabilityRows.base + l * probabilityStride
  }
}

/// The backward pass's gradient buffers, each for one layer at a time and reused by every
/// layer (shapes as in ``BackboneActivations``).
final class BackboneGradientWork: @unchecked Sendable {
  /// `[maxTokens][H]`: the gradient of the residual stream, carried from layer to layer.
  let residual: TrainingBuffer
  /// `[maxTokens][H]`: the gradient of an RMSNorm's output.
  let normed: TrainingBuffer
  /// `[maxTokens][Q]`, `[maxTokens][KV]`: gradients of queries, keys, values.
  let queries: TrainingBuffer
  let keys: TrainingBuffer
  let values: TrainingBuffer
  /// `[maxTokens][Q]`: the gradient of attention's output.
  let attended: TrainingBuffer
  /// `[maxTokens][I]`: gradients of gate_proj, up_proj and SwiGLU's output.
  let gate: TrainingBuffer
  let up: TrainingBuffer
  let activated: TrainingBuffer
  /// `[H]`: RMSNorm backward's scratch.
  let normScratch: TrainingBuffer

  init(config: LlamaConfig, maxTokens: Int) {
    let h = config.hiddenSize
    let q = config.headCount * config.headDimension
    let kv = config.keyValueHeadCount * config.headDimension
    let inner = config.intermediateSize
    residual = TrainingBuffer(maxTokens * h)
    normed = TrainingBuffer(maxTokens * h)
    queries = TrainingBuffer(maxTokens * q)
    keys = TrainingBuffer(maxTokens * kv)
    values = TrainingBuffer(maxTokens * kv)
    attended = TrainingBuffer(maxTokens * q)
    gate = TrainingBuffer(maxTokens * inner)
    up = TrainingBuffer(maxTokens * inner)
    activated = TrainingBuffer(maxTokens * inner)
    normScratch = TrainingBuffer(h)
  }
}
