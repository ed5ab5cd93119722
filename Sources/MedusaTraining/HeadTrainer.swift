import Medusa
import MedusaKernels

/// What one optimizer step did.
public struct HeadTrainingStepReport: Sendable, Equatable {
  /// The 1-based number of the step just taken.
  public var step: Int
  /// The batch loss `Σ_k λ_k · loss_k` before the update.
  public var loss: Double
  /// The learning rate used.
  public var learningRate: Float
  /// The global gradient norm before clipping.
  public var gradientNorm: Double
}

/// Medusa-1 training (paper §2.2.1): the backbone is frozen, its hidden states precomputed in
/// ``TrainingExamples``; each step takes the next `batchRows` rows of a seeded shuffle, computes
/// the loss and its gradient (``HeadGradients``), clips the global gradient norm and applies
/// AdamW (``Kernels/adamW(weights:gradients:firstMoment:secondMoment:count:hyperparameters:parallelism:)``)
/// at the scheduled learning rate. Everything a step touches is allocated at construction.
///
/// Data order: the rows form an endless stream of epochs; epoch `e` visits them in the order of
/// a Fisher-Yates shuffle (`for i = N-1 ... 1: j = next() % (i + 1); swap(i, j)`) driven by
/// ``SplitMix64`` seeded with `seed &+ e`; step `s` takes stream items `s·B ..< (s+1)·B`. The
/// order depends only on the seed and the step, so a resumed run takes the same batches.
public final class HeadTrainer: @unchecked Sendable {
  /// The heads' shape.
  public let shape: HeadShape
  /// The hyperparameters.
  public let options: HeadTrainingOptions
  /// The `f32` master weights (layout of ``HeadShape``).
  public let parameters: TrainingBuffer
  /// AdamW's first moments (`exp_avg`).
  public let firstMoment: TrainingBuffer
  /// AdamW's second moments (`exp_avg_sq`).
  public let secondMoment: TrainingBuffer
  /// The gradients of the last step (after clipping).
  public let gradients: TrainingBuffer
  /// Steps taken so far.
  public private(set) var completedSteps: Int
  /// The loss and gradient workspace (per-head statistics of the last step).
  public let workspace: HeadGradients
  private let examples: TrainingExamples
  private let parallelism: Parallelism
  private let batchHidden: TrainingBuffer
  private let batchTargets: UnsafeMutablePointer<Int32>
  private let order: UnsafeMutablePointer<Int>
  private var orderEpoch = -1
  private let lossWeights: UnsafeMutablePointer<Float>

  /// A trainer at step 0 over `parameters` (used in place, not copied), with zero moments;
  /// ``restore(step:parameters:firstMoment:secondMoment:)`` continues a checkpoint instead.
  /// Heads that share the backbone's LM head (``HeadProjection/baseLanguageModelHead``) need it
  /// as `languageModelHead` (the backbone's ``Llama/LlamaModel/languageModelHead``; the caller
  /// keeps the model alive while the trainer lives).
  public init(
    shape: HeadShape, options: HeadTrainingOptions, examples: TrainingExamples,
    parameters: TrainingBuffer, parallelism: Parallelism, languageModelHead: WeightMatrix? = nil
  ) throws(TrainingError) {
    switch (shape.projection, languageModelHead) {
    case (.own, nil): break
    case (.own, _?):
      throw .invalidOption("heads with their own projections take no shared LM head")
    case (.baseLanguageModelHead, nil):
      throw .invalidOption("heads that share the base LM head need the backbone's LM head")
    case (.baseLanguageModelHead, let head?):
      guard head.rows == shape.vocabulary, head.columns == shape.hidden else {
        throw .invalidOption(
          "the LM head is [\(head.rows), \(head.columns)], the heads need [\(shape.vocabulary), \(shape.hidden)]"
        )
      }
      guard shape.layers > 0 else {
        throw .invalidOption("heads that share the base LM head need at least one ResBlock")
      }
    }
    guard parameters.count == shape.parameterCount else {
      throw .invalidOption(
        "parameters hold \(parameters.count) floats, the heads need \(shape.parameterCount)")
    }
    guard examples.rows > 0 else {
      throw .invalidOption("no training rows (no sequence has a target)")
    }
    guard examples.heads == shape.heads, examples.hiddenSize == shape.hidden else {
      throw .invalidOption("the examples were built for other heads")
    }
    guard options.batchRows > 0, options.steps > 0 else {
      throw .invalidOption("steps and batch rows must be positive")
    }
    self.shape = shape
    self.options = options
    self.examples = examples
    self.parameters = parameters
    self.parallelism = parallelism
    firstMoment = TrainingBuffer(shape.parameterCount)
    secondMoment = TrainingBuffer(shape.parameterCount)
    gradients = TrainingBuffer(shape.parameterCount)
    completedSteps = 0
    workspace = HeadGradients(
      shape: shape, maxRows: options.batchRows, parallelism: parallelism,
      languageModelHead: languageModelHead)
    batchHidden = TrainingBuffer(options.batchRows * shape.hidden)
    batchTargets = .allocate(capacity: options.batchRows * shape.heads)
    order = .allocate(capacity: examples.rows)
    lossWeights = .allocate(capacity: max(shape.heads, 1))
    for (k, weight) in options.lossWeights(heads: shape.heads).enumerated() {
      lossWeights[k] = weight
    }
  }

  deinit {
    batchTargets.deallocate()
    order.deallocate()
    lossWeights.deallocate()
  }

  /// Continues from a checkpoint: `step` steps done, with these weights and moments.
  public func restore(
    step: Int, parameters p: [Float], firstMoment m: [Float], secondMoment v: [Float]
  )
    throws(TrainingError)
  {
    let n = shape.parameterCount
    guard p.count == n, m.count == n, v.count == n, step >= 0 else {
      throw .invalidOption("checkpoint state does not match heads of \(n) parameters")
    }
    parameters.base.update(from: p, count: n)
    firstMoment.base.update(from: m, count: n)
    secondMoment.base.update(from: v, count: n)
    completedSteps = step
  }

  /// Takes one optimizer step.
  public func step() -> HeadTrainingStepReport {
    let rows = options.batchRows
    fillBatch(step: completedSteps)
    let loss = workspace.run(
      parameters: parameters.base, gradients: gradients.base, hidden: batchHidden.base,
      targets: batchTargets, rows: rows, lossWeights: lossWeights)
    let n = shape.parameterCount
    let norm = Kernels.sumOfSquares(gradients.base, count: n).squareRoot()
    if options.maxGradientNorm > 0 {
      let coefficient = options.maxGradientNorm / (norm + 1e-6)
      if coefficient < 1 { Kernels.scale(gradients.base, count: n, by: Float(coefficient)) }
    }
    let rate = options.learningRate(at: completedSteps)
    completedSteps += 1
    Kernels.adamW(
      weights: parameters.base, gradients: gradients.base, firstMoment: firstMoment.base,
      secondMoment: secondMoment.base, count: n,
      hyperparameters: AdamWStep(
        learningRate: rate, beta1: options.beta1, beta2: options.beta2, epsilon: options.epsilon,
        weightDecay: options.weightDecay, step: completedSteps),
      parallelism: parallelism)
    return HeadTrainingStepReport(
      step: completedSteps, loss: loss, learningRate: rate, gradientNorm: norm)
  }

  /// Copies the rows of step `step` into the batch buffers.
  private func fillBatch(step: Int) {
    let rows = options.batchRows
    let total = examples.rows
    let h = shape.hidden
    let k = shape.heads
    for i in 0..<rows {
      let item = step * rows + i
      let epoch = item / total
      if epoch != orderEpoch { shuffle(epoch: epoch) }
      let row = order[item % total]
      (batchHidden.base + i * h).update(from: examples.hidden.base + row * h, count: h)
      (batchTargets + i * k).update(from: examples.targets + row * k, count: k)
    }
  }

  /// Writes epoch `epoch`'s order of the rows into `order`.
  private func shuffle(epoch: Int) {
    var rows = UnsafeMutableBufferPointer(start: order, count: examples.rows)
    Self.shuffle(&rows, seed: options.seed, epoch: epoch)
    orderEpoch = epoch
  }
}

extension HeadTrainer {
  /// Epoch `epoch`'s order of `order.count` items, written into `order`: `0, 1, ...`, then a
  /// Fisher-Yates shuffle (`for i = N-1 ... 1: j = next() % (i + 1); swap(i, j)`) driven by
  /// ``SplitMix64`` seeded with `seed &+ epoch` (the data order of both trainers).
  static func shuffle<C: MutableCollection>(_ order: inout C, seed: UInt64, epoch: Int)
  where C.Index == Int, C.Element == Int {
    for i in order.indices { order[i] = i }
    var generator = SplitMix64(seed: seed &+ UInt64(epoch))
    var i = order.count - 1
    while i > 0 {
      order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
      i -= 1
    }
  }
}
