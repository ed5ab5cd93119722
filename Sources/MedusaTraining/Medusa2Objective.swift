import Llama
import Medusa
import MedusaKernels

/// The Medusa-2 loss of one packed batch and its gradient with respect to every backbone and
/// head weight (paper §2.2.2), with every work buffer allocated once.
///
/// Targets follow the original: in a sequence of S tokens, the LM head at position p learns
/// the label at p + 1 and head k (1-based) the label at p + 1 + k, where a label exists
/// (inside the sequence, and not ignored: prompts are ignored, as the original masks every
/// label outside the reply). The backbone's term is the mean cross-entropy over positions with
/// a label, or the self-distillation KL summed over them and divided by all S - 1 positions
/// of every sequence (the original's `reduction="sum" / rows`); the heads' terms are their mean
/// cross-entropies weighted `λ₀ · decay^k` (``Medusa2Options``).
///
/// Order of one run: (KL only) the original model's logits; the trained model's forward; the
/// backbone's term and its logit gradient; the heads' forward and backward, which add their
/// share to the gradient of the final hidden state; the backbone's backward.
public final class Medusa2Objective: @unchecked Sendable {
  /// The backbone's forward and backward pass.
  public let pass: BackbonePass
  /// The heads' forward and backward pass (per-head statistics of the last run).
  public let heads: HeadGradients
  /// The hyperparameters (coefficients and the backbone's loss).
  public let options: Medusa2Options
  private let logits: TrainingBuffer
  private let teacherLogits: TrainingBuffer
  private let hiddenGradient: TrainingBuffer
  private let backboneTargets: UnsafeMutablePointer<Int32>
  private let headTargets: UnsafeMutablePointer<Int32>
  private let mask: UnsafeMutablePointer<Bool>
  private let rowLosses: UnsafeMutablePointer<Double>
  private let rowCorrect: UnsafeMutablePointer<Bool>
  private let lossWeights: UnsafeMutablePointer<Float>

  /// A workspace for batches of up to `maxTokens` packed tokens.
  public init(
    layout: BackboneLayout, inverseFrequencies: [Float], headShape: HeadShape,
    options: Medusa2Options, maxTokens: Int, parallelism: Parallelism
  ) {
    self.options = options
    pass = BackbonePass(
      layout: layout, inverseFrequencies: inverseFrequencies, maxTokens: maxTokens,
      parallelism: parallelism)
    heads = HeadGradients(shape: headShape, maxRows: maxTokens, parallelism: parallelism)
    let v = layout.config.vocabularySize
    logits = TrainingBuffer(maxTokens * v)
    teacherLogits = TrainingBuffer(options.backboneLoss == .selfDistillation ? maxTokens * v : 0)
    hiddenGradient = TrainingBuffer(maxTokens * layout.config.hiddenSize)
    backboneTargets = .allocate(capacity: max(maxTokens, 1))
    headTargets = .allocate(capacity: max(maxTokens * headShape.heads, 1))
    mask = .allocate(capacity: max(maxTokens, 1))
    rowLosses = .allocate(capacity: max(maxTokens, 1))
    rowCorrect = .allocate(capacity: max(maxTokens, 1))
    lossWeights = .allocate(capacity: max(headShape.heads, 1))
    for (k, weight) in options.headLossWeights(heads: headShape.heads).enumerated() {
      lossWeights[k] = weight
    }
  }

  deinit {
    backboneTargets.deallocate()
    headTargets.deallocate()
    mask.deallocate()
    rowLosses.deallocate()
    rowCorrect.deallocate()
    lossWeights.deallocate()
  }

  /// Runs one batch: `tokens` and `labels` (`sequences.tokens` each; a negative label is
  /// ignored) packed as `sequences`. Replaces `backboneGradients` and `headGradients` with the
  /// loss's gradients; with `trainBackbone` false (a heads-only step) the backbone's term and
  /// backward pass are skipped and `backboneGradients` is left alone. `teacher` holds the
  /// original backbone's weights for self-distillation.
  public func run(
    backbone p: UnsafePointer<Float>, backboneGradients: UnsafeMutablePointer<Float>,
    heads hp: UnsafePointer<Float>, headGradients: UnsafeMutablePointer<Float>,
    teacher: UnsafePointer<Float>?, tokens: UnsafePointer<Int32>, labels: UnsafePointer<Int32>,
    sequences: PackedSequences, trainBackbone: Bool
  ) -> Medusa2Loss {
    let n = sequences.tokens
    fillTargets(labels: labels, sequences: sequences)
    let distill = trainBackbone && options.backboneLoss == .selfDistillation
    if distill, let teacher {
      pass.forward(
        parameters: teacher, tokens: tokens, sequences: sequences, logits: teacherLogits.base)
    }
    pass.forward(
      parameters: p, tokens: tokens, sequences: sequences,
      logits: trainBackbone ? logits.base : nil)
    var backboneLoss: Double = 0
    if trainBackbone {
      backboneLoss =
        distill ? selfDistillation(rows: n, sequences: sequences) : crossEntropy(rows: n)
    }
    hiddenGradient.base.update(repeating: 0, count: n * pass.layout.config.hiddenSize)
    let headLoss = heads.run(
      parameters: hp, gradients: headGradients, hidden: pass.hidden.base, targets: headTargets,
      rows: n, lossWeights: lossWeights, hiddenGradient: trainBackbone ? hiddenGradient.base : nil)
    if trainBackbone {
      pass.backward(
        parameters: p, gradients: backboneGradients, tokens: tokens, logitGradient: logits.base,
        hiddenGradient: hiddenGradient.base)
    }
    return Medusa2Loss(
      total: (trainBackbone ? backboneLoss : 0) + headLoss, backbone: backboneLoss,
      heads: (0..<heads.shape.heads).map { heads.headLoss($0) })
  }

  /// The LM head's and the heads' targets of every packed row.
  private func fillTargets(labels: UnsafePointer<Int32>, sequences: PackedSequences) {
    let k = heads.shape.heads
    for b in 0..<sequences.count {
      let span = sequences.range(b)
      for t in span {
        let next = t + 1
        backboneTargets[t] = next < span.upperBound ? max(labels[next], -1) : -1
        for head in 0..<k {
          let target = t + 2 + head
          headTargets[t * k + head] = target < span.upperBound ? max(labels[target], -1) : -1
        }
      }
    }
  }

  /// Mean cross-entropy of the LM head over rows with a label; the logits become its gradient.
  private func crossEntropy(rows n: Int) -> Double {
    var count = 0
    for r in 0..<n where backboneTargets[r] >= 0 { count += 1 }
    Kernels.softmaxCrossEntropy(
      logits.base, rows: n, vocabulary: pass.layout.config.vocabularySize,
      targets: backboneTargets, scale: count > 0 ? 1 / Float(count) : 0, losses: rowLosses,
      correct: rowCorrect, parallelism: pass.parallelism)
    var total: Double = 0
    for r in 0..<n { total = total + rowLosses[r] }
    return count > 0 ? total / Double(count) : 0
  }

  /// The self-distillation KL, summed over rows with a label and divided by every row that has
  /// a next position; the logits become its gradient.
  private func selfDistillation(rows n: Int, sequences: PackedSequences) -> Double {
    let positions = n - sequences.count
    for r in 0..<n { mask[r] = backboneTargets[r] >= 0 }
    Kernels.softmaxKLDivergence(
      logits.base, teacher: teacherLogits.base, rows: n,
      vocabulary: pass.layout.config.vocabularySize, mask: mask,
      scale: positions > 0 ? 1 / Float(positions) : 0, losses: rowLosses,
      parallelism: pass.parallelism)
    var total: Double = 0
    for r in 0..<n { total = total + rowLosses[r] }
    return positions > 0 ? total / Double(positions) : 0
  }
}

/// The loss of one Medusa-2 batch.
public struct Medusa2Loss: Sendable, Equatable {
  /// `L_backbone + Σ_k λ₀ · decay^k · L_k` (without the backbone's term on heads-only steps).
  public var total: Double
  /// The backbone's term (cross-entropy or KL; 0 on heads-only steps).
  public var backbone: Double
  /// Each head's mean cross-entropy, unweighted.
  public var heads: [Double]
}
