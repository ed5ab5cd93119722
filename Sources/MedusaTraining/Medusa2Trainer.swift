import Llama
import Medusa
import MedusaKernels

/// What one Medusa-2 optimizer step did.
public struct Medusa2StepReport: Sendable, Equatable {
  /// The 1-based number of the step just taken.
  public var step: Int
  /// The batch's loss before the update.
  public var loss: Medusa2Loss
  /// Whether the backbone was trained (false on heads-only steps).
  public var trainedBackbone: Bool
  /// The schedule's factor (each parameter group's rate times it is the rate used).
  public var scheduleFactor: Float
  /// The global gradient norm before clipping.
  public var gradientNorm: Double
}

/// Medusa-2 training (paper §2.2.2): the backbone and the heads learn together from the model's
/// own sequences (``DistilledSequence``; prompts are not targets), after an optional warmup of
/// heads-only steps (Medusa-1 on the frozen backbone). Each step packs the next
/// `batchSequences` sequences of a seeded shuffle (the order of ``HeadTrainer``), runs
/// ``Medusa2Objective``, clips the global gradient norm over all parameters, and applies AdamW
/// per parameter group as the original's `create_optimizer` does: backbone matrices at the
/// learning rate with weight decay; the heads' matrices at the rate times
/// `headLearningRateMultiplier` with weight decay; every bias and norm weight (the heads'
/// biases included) at the rate without decay. Everything a step touches is allocated at
/// construction.
public final class Medusa2Trainer: @unchecked Sendable {
  /// The backbone's layout.
  public let layout: BackboneLayout
  /// The heads' shape (own projections).
  public let headShape: HeadShape
  /// The hyperparameters.
  public let options: Medusa2Options
  /// The backbone's `f32` master weights (``BackboneLayout`` order).
  public let backbone: TrainingBuffer
  /// The heads' `f32` master weights (``HeadShape`` order).
  public let heads: TrainingBuffer
  /// AdamW's moments (`exp_avg`, `exp_avg_sq`) of the backbone.
  public let backboneMoments: (first: TrainingBuffer, second: TrainingBuffer)
  /// AdamW's moments of the heads.
  public let headMoments: (first: TrainingBuffer, second: TrainingBuffer)
  /// Steps taken so far.
  public private(set) var completedSteps = 0
  /// The loss and gradient workspace.
  public let objective: Medusa2Objective
  private let teacher: TrainingBuffer?
  private let backboneGradients: TrainingBuffer
  private let headGradients: TrainingBuffer
  private let sequences: [(tokens: [Int32], labels: [Int32])]
  private let parallelism: Parallelism
  private var order: [Int] = []
  private var orderEpoch = -1
  private var batchTokens: [Int32]
  private var batchLabels: [Int32]

  /// A trainer at step 0 starting from `model`'s weights and the heads `initialHeads` (own
  /// projections, layout of ``HeadShape``), over the model's own sequences `data`: each
  /// sequence's reply tokens are the labels, its prompt is not learned.
  public convenience init(
    model: LlamaModel, headShape: HeadShape, initialHeads: TrainingBuffer,
    options: Medusa2Options, data: [DistilledSequence], parallelism: Parallelism
  ) throws(TrainingError) {
    let labelled = data.filter { !$0.outputIDs.isEmpty }.map { sequence in
      LabelledSequence(
        tokens: sequence.tokens,
        labels: sequence.tokens.enumerated().map {
          $0.offset < sequence.promptIDs.count ? -100 : $0.element
        })
    }
    try self.init(
      model: model, headShape: headShape, initialHeads: initialHeads, options: options,
      sequences: labelled, parallelism: parallelism)
  }

  /// A trainer at step 0 over sequences with explicit labels.
  public init(
    model: LlamaModel, headShape: HeadShape, initialHeads: TrainingBuffer,
    options: Medusa2Options, sequences data: [LabelledSequence], parallelism: Parallelism
  ) throws(TrainingError) {
    guard headShape.projection == .own else {
      throw .invalidOption(
        "Medusa-2 trains heads with their own projections (heads sharing the LM head are Medusa-1 only)"
      )
    }
    guard initialHeads.count == headShape.parameterCount else {
      throw .invalidOption(
        "the heads hold \(initialHeads.count) floats, the shape needs \(headShape.parameterCount)")
    }
    guard options.steps > 0, options.batchSequences > 0 else {
      throw .invalidOption("steps and batch sequences must be positive")
    }
    guard (0...options.steps).contains(options.headsOnlySteps) else {
      throw .invalidOption(
        "heads-only steps \(options.headsOnlySteps) exceed steps \(options.steps)")
    }
    let vocabulary = model.config.vocabularySize
    for (index, sequence) in data.enumerated() {
      guard sequence.tokens.count == sequence.labels.count, sequence.tokens.count >= 2,
        sequence.tokens.allSatisfy({ (0..<vocabulary).contains($0) }),
        sequence.labels.allSatisfy({ $0 < vocabulary })
      else {
        throw .invalidOption(
          "sequence \(index): needs at least 2 tokens in the vocabulary and one label per token")
      }
    }
    guard !data.isEmpty else { throw .invalidOption("no sequence to learn from") }
    let longest = data.map(\.tokens.count).max() ?? 0
    guard longest <= model.config.maxPositionEmbeddings else {
      throw .invalidOption(
        "a sequence of \(longest) tokens exceeds the model's context \(model.config.maxPositionEmbeddings)"
      )
    }
    layout = BackboneLayout(model: model)
    self.headShape = headShape
    self.options = options
    self.parallelism = parallelism
    backbone = layout.values(of: model)
    teacher = options.backboneLoss == .selfDistillation ? layout.values(of: model) : nil
    heads = initialHeads
    backboneMoments = (TrainingBuffer(layout.parameterCount), TrainingBuffer(layout.parameterCount))
    headMoments = (
      TrainingBuffer(headShape.parameterCount), TrainingBuffer(headShape.parameterCount)
    )
    backboneGradients = TrainingBuffer(layout.parameterCount)
    headGradients = TrainingBuffer(headShape.parameterCount)
    sequences = data.map { ($0.tokens.map { Int32($0) }, $0.labels.map { Int32(max($0, -100)) }) }
    let maxTokens = options.batchSequences * longest
    objective = Medusa2Objective(
      layout: layout, inverseFrequencies: model.rotaryInverseFrequencies, headShape: headShape,
      options: options, maxTokens: maxTokens, parallelism: parallelism)
    batchTokens = []
    batchLabels = []
    batchTokens.reserveCapacity(maxTokens)
    batchLabels.reserveCapacity(maxTokens)
  }

  /// Continues from a checkpoint: `step` steps done, with these weights and moments.
  public func restore(step: Int, backbone b: Medusa2State, heads h: Medusa2State)
    throws(TrainingError)
  {
    guard step >= 0, b.fits(layout.parameterCount), h.fits(headShape.parameterCount) else {
      throw .invalidOption("the checkpoint's state does not match this model and these heads")
    }
    backbone.base.update(from: b.parameters, count: layout.parameterCount)
    backboneMoments.first.base.update(from: b.firstMoment, count: layout.parameterCount)
    backboneMoments.second.base.update(from: b.secondMoment, count: layout.parameterCount)
    heads.base.update(from: h.parameters, count: headShape.parameterCount)
    headMoments.first.base.update(from: h.firstMoment, count: headShape.parameterCount)
    headMoments.second.base.update(from: h.secondMoment, count: headShape.parameterCount)
    completedSteps = step
  }

  /// Takes one optimizer step.
  public func step() -> Medusa2StepReport {
    let trainBackbone = completedSteps >= options.headsOnlySteps
    let packed = fillBatch(step: completedSteps)
    let loss = objective.run(
      backbone: backbone.base, backboneGradients: backboneGradients.base, heads: heads.base,
      headGradients: headGradients.base, teacher: teacher?.base, tokens: batchTokens,
      labels: batchLabels, sequences: packed, trainBackbone: trainBackbone)
    var squares = Kernels.sumOfSquares(headGradients.base, count: headShape.parameterCount)
    if trainBackbone {
      squares += Kernels.sumOfSquares(backboneGradients.base, count: layout.parameterCount)
    }
    let norm = squares.squareRoot()
    if options.maxGradientNorm > 0 {
      let coefficient = options.maxGradientNorm / (norm + 1e-6)
      if coefficient < 1 {
        Kernels.scale(headGradients.base, count: headShape.parameterCount, by: Float(coefficient))
        Kernels.scale(backboneGradients.base, count: layout.parameterCount, by: Float(coefficient))
      }
    }
    let factor = options.scheduleFactor(at: completedSteps)
    completedSteps += 1
    if trainBackbone {
      for entry in layout.tensors {
        let matrix = entry.shape.count == 2
        update(
          backbone, backboneGradients, backboneMoments, offset: entry.offset,
          count: entry.shape.reduce(1, *), rate: options.learningRate * factor,
          decay: matrix ? options.weightDecay : 0)
      }
    }
    for entry in headShape.tensors {
      let matrix = entry.shape.count == 2
      update(
        heads, headGradients, headMoments, offset: entry.offset, count: entry.shape.reduce(1, *),
        rate: options.learningRate * factor * (matrix ? options.headLearningRateMultiplier : 1),
        decay: matrix ? options.weightDecay : 0)
    }
    return Medusa2StepReport(
      step: completedSteps, loss: loss, trainedBackbone: trainBackbone, scheduleFactor: factor,
      gradientNorm: norm)
  }

  /// AdamW on one tensor of one parameter group.
  private func update(
    _ weights: TrainingBuffer, _ gradients: TrainingBuffer,
    _ moments: (first: TrainingBuffer, second: TrainingBuffer), offset: Int, count: Int,
    rate: Float, decay: Float
  ) {
    Kernels.adamW(
      weights: weights.base + offset, gradients: gradients.base + offset,
      firstMoment: moments.first.base + offset, secondMoment: moments.second.base + offset,
      count: count,
      hyperparameters: AdamWStep(
        learningRate: rate, beta1: options.beta1, beta2: options.beta2, epsilon: options.epsilon,
        weightDecay: decay, step: completedSteps),
      parallelism: parallelism)
  }

  /// Packs the sequences of step `step` into the batch buffers.
  private func fillBatch(step: Int) -> PackedSequences {
    batchTokens.removeAll(keepingCapacity: true)
    batchLabels.removeAll(keepingCapacity: true)
    var lengths: [Int] = []
    let total = sequences.count
    for i in 0..<options.batchSequences {
      let item = step * options.batchSequences + i
      let epoch = item / total
      if epoch != orderEpoch { shuffle(epoch: epoch) }
      let sequence = sequences[order[item % total]]
      batchTokens += sequence.tokens
      batchLabels += sequence.labels
      lengths.append(sequence.tokens.count)
    }
    return PackedSequences(lengths: lengths)
  }

  /// Epoch `epoch`'s order of the sequences: ``HeadTrainer``'s Fisher-Yates shuffle.
  private func shuffle(epoch: Int) {
    order = Array(repeating: 0, count: sequences.count)
    HeadTrainer.shuffle(&order, seed: options.seed, epoch: epoch)
    orderEpoch = epoch
  }
}

/// Weights and AdamW moments of one part of a Medusa-2 model, as a checkpoint stores them.
public struct Medusa2State: Sendable {
  /// The master weights.
  public var parameters: [Float]
  /// AdamW's `exp_avg`.
  public var firstMoment: [Float]
  /// AdamW's `exp_avg_sq`.
  public var secondMoment: [Float]

  /// Bundles the three arrays.
  public init(parameters: [Float], firstMoment: [Float], secondMoment: [Float]) {
    self.parameters = parameters
    self.firstMoment = firstMoment
    self.secondMoment = secondMoment
  }

  func fits(_ count: Int) -> Bool {
    parameters.count == count && firstMoment.count == count && secondMoment.count == count
  }
}

/// A token sequence with one label per token (negative: not learned); the LM head at position
/// p learns `labels[p + 1]`, head k `labels[p + 1 + k]` (the original's shifted labels).
public struct LabelledSequence: Sendable, Equatable {
  /// The token ids.
  public var tokens: [Int]
  /// One label per token, negative where nothing is learned (the original's -100).
  public var labels: [Int]

  /// Bundles tokens and labels.
  public init(tokens: [Int], labels: [Int]) {
    self.tokens = tokens
    self.labels = labels
  }
}
