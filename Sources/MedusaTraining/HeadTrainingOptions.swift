import Foundation
import Medusa

/// The hyperparameters of Medusa-1 head training. Defaults follow the original's documented
/// command (`README.md` of FasterDecoding/Medusa: `--learning_rate 1e-3 --weight_decay 0.0
/// --warmup_ratio 0.1 --lr_scheduler_type cosine`, Hugging Face Trainer's `max_grad_norm 1.0`,
/// AdamW β = (0.9, 0.999), ε = 1e-8).
public struct HeadTrainingOptions: Sendable, Equatable {
  /// Number of optimizer steps.
  public var steps: Int
  /// Rows (positions) per step.
  public var batchRows: Int
  /// Peak learning rate.
  public var learningRate: Float
  /// Steps of linear warmup (from 0 to the peak), then cosine decay to 0.
  public var warmupSteps: Int
  /// AdamW's decoupled weight decay λ.
  public var weightDecay: Float
  /// AdamW β1.
  public var beta1: Float = 0.9
  /// AdamW β2.
  public var beta2: Float = 0.999
  /// AdamW ε.
  public var epsilon: Float = 1e-8
  /// Largest global gradient norm; larger gradients are scaled down (0: no clipping).
  public var maxGradientNorm: Double
  /// λ_k = `headDecay`^k, the weight of head k's loss. The original `train_legacy.py` sums
  /// the heads' losses unweighted (1.0, the default); the paper (§2.2.1) writes λ_k = 0.8^k.
  public var headDecay: Float
  /// Seed of the data order.
  public var seed: UInt64

  /// Options with the original's defaults and `steps` steps of `batchRows` rows.
  public init(
    steps: Int, batchRows: Int = 256, learningRate: Float = 1e-3, warmupSteps: Int? = nil,
    weightDecay: Float = 0, maxGradientNorm: Double = 1, headDecay: Float = 1, seed: UInt64 = 0
  ) {
    self.steps = steps
    self.batchRows = batchRows
    self.learningRate = learningRate
    self.warmupSteps = warmupSteps ?? steps / 10
    self.weightDecay = weightDecay
    self.maxGradientNorm = maxGradientNorm
    self.headDecay = headDecay
    self.seed = seed
  }

  /// The learning rate of update `step` (0-based), Hugging Face's
  /// `get_cosine_schedule_with_warmup` (the original's `--lr_scheduler_type cosine`):
  /// `lr · step / warmup` during warmup, then `lr · 0.5 · (1 + cos(π · progress))` with
  /// `progress = (step - warmup) / (steps - warmup)`.
  public func learningRate(at step: Int) -> Float {
    Float(
      Self.cosineSchedule(peak: Double(learningRate), step: step, warmup: warmupSteps, steps: steps)
    )
  }

  /// Hugging Face's `get_cosine_schedule_with_warmup` at update `step` for a peak rate `peak`:
  /// `peak · step / warmup` during warmup, then `peak · max(0, 0.5 · (1 + cos(π · progress)))`.
  static func cosineSchedule(peak: Double, step: Int, warmup: Int, steps: Int) -> Double {
    if step < warmup { return peak * Double(step) / Double(max(1, warmup)) }
    let progress = Double(step - warmup) / Double(max(1, steps - warmup))
    return peak * max(0, 0.5 * (1 + cos(Double.pi * progress)))
  }

  /// λ_k for every head.
  public func lossWeights(heads: Int) -> [Float] {
    (0..<heads).map { Float(Foundation.pow(Double(headDecay), Double($0))) }
  }
}
