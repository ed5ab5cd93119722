import MedusaKernels

/// The mutable side of inference: KV cache, preallocated activations and the outputs of the
/// last forward pass. No activation buffer is allocated inside a forward pass (the cache and
/// attention's scratch grow when a pass needs more rows); only small bookkeeping arrays are (the
/// plan's own rows per token, each layer's list of fused projections).
public final class InferenceState: @unchecked Sendable {
  /// The KV cache.
  public let cache: KVCache
  /// Largest number of tokens in one forward pass.
  public let maxBatch: Int
  /// Threads the kernels may use.
  public let parallelism: Parallelism
  /// Number of rows in ``logits(_:)`` after the last forward.
  public internal(set) var logitCount = 0
  /// Number of tokens in the last forward.
  public internal(set) var tokenCount = 0
  /// The positions of the last forward's tokens (for the errors of
  /// ``LlamaModel/computeLogits(ofToken:state:)``).
  var positions: [Int] = []

  let vocabularySize: Int
  let hiddenSize: Int
  // The activations of one forward pass, T = the pass's tokens (<= maxBatch), H = hidden size,
  // Q = heads x head width, KV = key/value heads x head width, I = MLP width, V = vocabulary.
  // Every buffer is reused by every layer and every pass.
  /// `[maxBatch][H]`: the residual stream x, updated in place by every layer.
  let residual: FloatBuffer
  /// `[maxBatch][H]`: RMSNorm(x), the input of q/k/v, of gate/up and (after the last layer)
  /// of the LM head and the Medusa heads.
  let normed: FloatBuffer
  /// `[maxBatch][Q]`: the queries, rotated in place.
  let queries: FloatBuffer
  /// `[maxBatch][KV]`: the new keys (rotated) and values, copied into the cache rows
  /// `length ..< length + T`.
  let newKeys: FloatBuffer
  let newValues: FloatBuffer
  /// `[maxBatch][Q]`: attention's output, the input of o_proj.
  let attended: FloatBuffer
  /// `[maxBatch][H]`: o_proj's and down_proj's output, added to the residual.
  let projected: FloatBuffer
  /// `[maxBatch][I]`: gate_proj, up_proj and SwiGLU(gate, up).
  let gate: FloatBuffer
  let up: FloatBuffer
  let activated: FloatBuffer
  /// `[maxBatch][headWidth / 2]`: RoPE's cos and sin of each token's position.
  let cosines: FloatBuffer
  let sines: FloatBuffer
  /// `[maxBatch][H]`: the rows of `normed` whose logits were asked for, packed.
  let gathered: FloatBuffer
  /// `[maxBatch][V]`: their logits (``logits(_:)``).
  let logitRows: FloatBuffer
  /// Attention's scores: per thread, a block of queries x the query heads of one key/value
  /// head x the rows the cache has room for; grows with the cache.
  private(set) var attentionScratch: FloatBuffer
  private let headCount: Int
  private let keyValueHeadCount: Int

  init(config: LlamaConfig, capacity: Int, maxBatch: Int, parallelism: Parallelism)
    throws(LlamaError)
  {
    let kvWidth = config.keyValueHeadCount * config.headDimension
    let queryWidth = config.headCount * config.headDimension
    cache = try KVCache(
      layerCount: config.layerCount, capacity: capacity, kvHeads: config.keyValueHeadCount,
      headDimension: config.headDimension)
    headCount = config.headCount
    keyValueHeadCount = config.keyValueHeadCount
    self.maxBatch = maxBatch
    self.parallelism = parallelism
    vocabularySize = config.vocabularySize
    hiddenSize = config.hiddenSize
    residual = FloatBuffer(maxBatch * config.hiddenSize)
    normed = FloatBuffer(maxBatch * config.hiddenSize)
    queries = FloatBuffer(maxBatch * queryWidth)
    newKeys = FloatBuffer(maxBatch * kvWidth)
    newValues = FloatBuffer(maxBatch * kvWidth)
    attended = FloatBuffer(maxBatch * queryWidth)
    projected = FloatBuffer(maxBatch * config.hiddenSize)
    gate = FloatBuffer(maxBatch * config.intermediateSize)
    up = FloatBuffer(maxBatch * config.intermediateSize)
    activated = FloatBuffer(maxBatch * config.intermediateSize)
    cosines = FloatBuffer(maxBatch * config.headDimension / 2)
    sines = FloatBuffer(maxBatch * config.headDimension / 2)
    gathered = FloatBuffer(maxBatch * config.hiddenSize)
    logitRows = FloatBuffer(maxBatch * config.vocabularySize)
    attentionScratch = FloatBuffer(1)
    attentionScratch = scratch(rows: cache.reserved)
  }

  /// Makes room for `rows` cache rows (the cache and attention's scratch), before a forward
  /// pass writes them.
  func reserve(_ rows: Int) throws(LlamaError) {
    guard rows > cache.reserved else { return }
    try cache.reserve(rows)
    attentionScratch = scratch(rows: cache.reserved)
  }

  private func scratch(rows: Int) -> FloatBuffer {
    FloatBuffer(
      max(1, parallelism.threads)
        * Kernels.attentionScratchCount(
          heads: headCount, kvHeads: keyValueHeadCount, maxRowsPerQuery: rows))
  }

  /// Logits of the `index`-th requested row of the last forward pass (valid until the next).
  public func logits(_ index: Int) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(start: logitRows.base + index * vocabularySize, count: vocabularySize)
  }

  /// Final hidden state (after the last RMSNorm) of new token `token` of the last forward
  /// pass: the input of the LM head and of the Medusa heads.
  public func hiddenState(_ token: Int) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(start: normed.base + token * hiddenSize, count: hiddenSize)
  }
}
