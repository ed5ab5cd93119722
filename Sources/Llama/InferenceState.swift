import MedusaKernels

/// The mutable side of inference: KV cache, preallocated activations and the outputs of the
/// last forward pass. Nothing is allocated inside a forward pass except the small index
/// arrays of the attention plan.
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

  let vocabularySize: Int
  let hiddenSize: Int
  let residual: Buffer
  let normed: Buffer
  let queries: Buffer
  let newKeys: Buffer
  let newValues: Buffer
  let attended: Buffer
  let projected: Buffer
  let gate: Buffer
  let up: Buffer
  let activated: Buffer
  let cosines: Buffer
  let sines: Buffer
  let gathered: Buffer
  let logitRows: Buffer
  let attentionScratch: Buffer

  init(config: LlamaConfig, capacity: Int, maxBatch: Int, parallelism: Parallelism) {
    let kvWidth = config.keyValueHeadCount * config.headDimension
    let queryWidth = config.headCount * config.headDimension
    cache = KVCache(layerCount: config.layerCount, capacity: capacity, rowWidth: kvWidth)
    self.maxBatch = maxBatch
    self.parallelism = parallelism
    vocabularySize = config.vocabularySize
    hiddenSize = config.hiddenSize
    residual = Buffer(maxBatch * config.hiddenSize)
    normed = Buffer(maxBatch * config.hiddenSize)
    queries = Buffer(maxBatch * queryWidth)
    newKeys = Buffer(maxBatch * kvWidth)
    newValues = Buffer(maxBatch * kvWidth)
    attended = Buffer(maxBatch * queryWidth)
    projected = Buffer(maxBatch * config.hiddenSize)
    gate = Buffer(maxBatch * config.intermediateSize)
    up = Buffer(maxBatch * config.intermediateSize)
    activated = Buffer(maxBatch * config.intermediateSize)
    cosines = Buffer(maxBatch * config.headDimension / 2)
    sines = Buffer(maxBatch * config.headDimension / 2)
    gathered = Buffer(maxBatch * config.hiddenSize)
    logitRows = Buffer(maxBatch * config.vocabularySize)
    attentionScratch = Buffer(max(1, parallelism.threads) * capacity)
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
