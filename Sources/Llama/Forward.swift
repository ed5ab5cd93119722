import MedusaKernels

extension LlamaModel {
  /// Runs the decoder on `tokens` at `positions` under `plan`, and computes the logits of the
  /// new tokens listed in `logitsFor` (indices into `tokens`).
  ///
  /// The keys and values of the new tokens are written to cache rows
  /// `cache.length ..< cache.length + tokens.count` and are NOT committed: the caller commits
  /// them (``KVCache/commit(_:)``) or keeps a subset (``KVCache/keepRows(_:)``).
  ///
  /// Every kernel is batch-invariant: the logits and hidden state of a token depend only on
  /// the token, its position and the rows it sees, not on how many tokens run together or on
  /// the thread count. So the logits of a tree node equal, bit for bit, those of decoding its
  /// path one token at a time.
  public func forward(
    tokens: [Int], positions: [Int], plan: AttentionPlan, logitsFor: [Int], state: InferenceState
  ) throws(LlamaError) {
    let count = tokens.count
    let cache = state.cache
    try validate(
      tokens: tokens, positions: positions, plan: plan, logitsFor: logitsFor, state: state)
    let visible = Self.visibleRows(plan: plan, committed: cache.length)
    let parallelism = state.parallelism
    let hidden = config.hiddenSize
    let half = config.headDimension / 2

    for (index, token) in tokens.enumerated() {
      weights.embedding.widenRow(token, into: state.residual.base + index * hidden)
    }
    for (index, position) in positions.enumerated() {
      Kernels.rotaryAngles(
        position: position, inverseFrequencies: inverseFrequencies.base, count: half,
        cos: state.cosines.base + index * half, sin: state.sines.base + index * half)
    }
    for layer in 0..<config.layerCount {
      decoderLayer(layer, count: count, visible: visible, state: state, parallelism: parallelism)
      try checkFinite(state.residual.base, rows: count, width: hidden) { row throws(LlamaError) in
        throw .nonFinite(layer: layer, position: positions[row])
      }
    }
    Kernels.rmsNorm(
      state.residual.base, tokens: count, dimension: hidden, weight: weights.finalNorm.base,
      epsilon: config.rmsNormEpsilon, into: state.normed.base)
    for (slot, token) in logitsFor.enumerated() {
      (state.gathered.base + slot * hidden).update(
        from: state.normed.base + token * hidden, count: hidden)
    }
    if !logitsFor.isEmpty {
      Kernels.linear(
        state.gathered.base, tokens: logitsFor.count, weight: weights.languageModelHead,
        bias: nil, into: state.logitRows.base, parallelism: parallelism)
    }
    try checkFinite(state.logitRows.base, rows: logitsFor.count, width: config.vocabularySize) {
      row throws(LlamaError) in
      throw .nonFinite(layer: nil, position: positions[logitsFor[row]])
    }
    state.tokenCount = count
    state.positions = positions
    state.logitCount = logitsFor.count
  }

  /// Calls `fail` with the first of `rows` rows of `width` floats at `base` that holds a NaN or
  /// an infinity (weights with NaNs would otherwise decode as token 0 forever).
  func checkFinite(
    _ base: UnsafePointer<Float>, rows: Int, width: Int, fail: (Int) throws(LlamaError) -> Void
  ) throws(LlamaError) {
    for row in 0..<rows where !Kernels.allFinite(base + row * width, count: width) {
      try fail(row)
    }
  }

  /// One pre-norm decoder layer: x += Attention(RMSNorm(x)); x += MLP(RMSNorm(x)).
  private func decoderLayer(
    _ index: Int, count: Int, visible: VisibleRows, state: InferenceState,
    parallelism: Parallelism
  ) {
    let layer = weights.layers[index]
    let cache = state.cache
    let hidden = config.hiddenSize

    Kernels.rmsNorm(
      state.residual.base, tokens: count, dimension: hidden, weight: layer.inputNorm.base,
      epsilon: config.rmsNormEpsilon, into: state.normed.base)
    Kernels.linear(
      state.normed.base, tokens: count,
      projections: [
        Self.projection(layer.queryProjection, layer.queryBias, state.queries),
        Self.projection(layer.keyProjection, layer.keyBias, state.newKeys),
        Self.projection(layer.valueProjection, layer.valueBias, state.newValues),
      ], parallelism: parallelism)
    Kernels.applyRotary(
      state.queries.base, tokens: count, heads: config.headCount,
      headDimension: config.headDimension, cos: state.cosines.base, sin: state.sines.base)
    Kernels.applyRotary(
      state.newKeys.base, tokens: count, heads: config.keyValueHeadCount,
      headDimension: config.headDimension, cos: state.cosines.base, sin: state.sines.base)
    cache.write(
      layer: index, from: cache.length, keys: state.newKeys.base, values: state.newValues.base,
      count: count)
    Kernels.attention(
      queries: state.queries.base, keys: cache.keys(layer: index),
      values: cache.values(layer: index), layout: cache.layout, visible: visible,
      heads: config.headCount, kvHeads: config.keyValueHeadCount,
      headDimension: config.headDimension,
      scale: 1 / Float(config.headDimension).squareRoot(), scratch: state.attentionScratch.base,
      into: state.attended.base, parallelism: parallelism)
    Kernels.linear(
      state.attended.base, tokens: count, weight: layer.outputProjection,
      bias: layer.outputBias.map { UnsafePointer($0.base) }, into: state.projected.base,
      parallelism: parallelism)
    Kernels.add(
      state.residual.base, state.projected.base, count: count * hidden, into: state.residual.base)

    Kernels.rmsNorm(
      state.residual.base, tokens: count, dimension: hidden, weight: layer.postAttentionNorm.base,
      epsilon: config.rmsNormEpsilon, into: state.normed.base)
    Kernels.linear(
      state.normed.base, tokens: count,
      projections: [
        Self.projection(layer.gateProjection, layer.gateBias, state.gate),
        Self.projection(layer.upProjection, layer.upBias, state.up),
      ], parallelism: parallelism)
    Kernels.swiGLU(
      gate: state.gate.base, up: state.up.base, count: count * config.intermediateSize,
      into: state.activated.base)
    Kernels.linear(
      state.activated.base, tokens: count, weight: layer.downProjection,
      bias: layer.downBias.map { UnsafePointer($0.base) }, into: state.projected.base,
      parallelism: parallelism)
    Kernels.add(
      state.residual.base, state.projected.base, count: count * hidden, into: state.residual.base)
  }

  /// One projection of a fused call: q/k/v (and gate/up) share their input, so one fan-out
  /// runs them together; each output is bitwise what a separate call gives.
  private static func projection(
    _ weight: WeightMatrix, _ bias: FloatBuffer?, _ output: FloatBuffer
  )
    -> LinearProjection
  {
    LinearProjection(weight: weight, bias: bias.map { UnsafePointer($0.base) }, output: output.base)
  }

  /// The cache rows each new token sees: all committed rows in order (the shared prefix), then
  /// the new tokens of its plan (which sit at rows `committed + j`).
  static func visibleRows(plan: AttentionPlan, committed: Int) -> VisibleRows {
    var offsets: [Int] = [0]
    var rows: [Int] = []
    offsets.reserveCapacity(plan.count + 1)
    rows.reserveCapacity(plan.visibility.reduce(0) { $0 + $1.count })
    for seen in plan.visibility {
      for token in seen { rows.append(committed + token) }
      offsets.append(rows.count)
    }
    return VisibleRows(prefix: committed, offsets: offsets, rows: rows)
  }

  private func validate(
    tokens: [Int], positions: [Int], plan: AttentionPlan, logitsFor: [Int], state: InferenceState
  ) throws(LlamaError) {
    let count = tokens.count
    guard count >= 1 else { throw .invalidForward(reason: "no tokens") }
    guard positions.count == count, plan.count == count else {
      throw .invalidForward(
        reason: "\(count) tokens, \(positions.count) positions, plan for \(plan.count)")
    }
    guard count <= state.maxBatch else {
      throw .invalidForward(reason: "\(count) tokens exceed the batch limit \(state.maxBatch)")
    }
    guard state.cache.length + count <= state.cache.capacity else {
      throw .cacheOverflow(needed: state.cache.length + count, capacity: state.cache.capacity)
    }
    try state.reserve(state.cache.length + count)
    for token in tokens where !(0..<config.vocabularySize).contains(token) {
      throw .tokenOutOfRange(token: token, vocabularySize: config.vocabularySize)
    }
    for position in positions where position < 0 || position > 1 << 24 {
      throw .invalidForward(reason: "position \(position) out of range")
    }
    for token in logitsFor where !(0..<count).contains(token) {
      throw .invalidForward(reason: "logits requested for token \(token) of \(count)")
    }
  }
}
