import Foundation

/// The hyperparameters of one AdamW update (Loshchilov and Hutter, "Decoupled Weight Decay
/// Regularization", 2019), as `torch.optim.AdamW` defines them.
public struct AdamWStep: Sendable, Equatable {
  /// Learning rate of this step (after the schedule).
  public var learningRate: Float
  /// Decay of the first moment (β1).
  public var beta1: Float
  /// Decay of the second moment (β2).
  public var beta2: Float
  /// Added to the denominator (ε).
  public var epsilon: Float
  /// Decoupled weight decay (λ): `w ← w · (1 - lr·λ)` before the Adam step.
  public var weightDecay: Float
  /// The 1-based number of this update (for the bias corrections).
  public var step: Int

  /// Bundles the hyperparameters of update number `step` (1-based).
  public init(
    learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float, step: Int
  ) {
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
    self.step = step
  }
}

extension Kernels {
  /// One AdamW update of `count` parameters, element by element in PyTorch's order
  /// (`torch.optim.AdamW`, single-tensor path):
  /// ```
  /// w = w * (1 - lr * λ)
  /// m = m + (g - m) * (1 - β1)                 // exp_avg.lerp_(grad, 1 - β1)
  /// v = v * β2 + g * g * (1 - β2)
  /// w = w - (lr / (1 - β1^t)) * m / (sqrt(v) / sqrt(1 - β2^t) + ε)
  /// ```
  /// The bias corrections are computed in `Double` and rounded once. Threads split elements.
  public static func adamW(
    weights: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
    firstMoment: UnsafeMutablePointer<Float>, secondMoment: UnsafeMutablePointer<Float>,
    count: Int, hyperparameters h: AdamWStep, parallelism: Parallelism
  ) {
    let t = Double(h.step)
    let stepSize = Float(Double(h.learningRate) / (1 - Foundation.pow(Double(h.beta1), t)))
    let correction = Float((1 - Foundation.pow(Double(h.beta2), t)).squareRoot())
    let decay = 1 - h.learningRate * h.weightDecay
    let w = SendablePointer(weights)
    let g = SendableConstPointer(gradients)
    let m = SendablePointer(firstMoment)
    let v = SendablePointer(secondMoment)
    let fanOut = count < 1 << 16 ? Parallelism.serial : parallelism
    fanOut.forEachChunk((count + 7) / 8) { _, blocks in
      let end = min(count, blocks.upperBound * 8)
      var i = blocks.lowerBound * 8
      while i + 8 <= end {
        let grad = Reduction.loadFloats(g.base, i)
        let oldM = Reduction.loadFloats(m.base, i)
        let newM = oldM + (grad - oldM) * (1 - h.beta1)
        let newV = Reduction.loadFloats(v.base, i) * h.beta2 + (grad * grad) * (1 - h.beta2)
        let denominator = newV.squareRoot() / correction + h.epsilon
        let decayed = Reduction.loadFloats(w.base, i) * decay
        Reduction.storeFloats(decayed - stepSize * (newM / denominator), w.base, i)
        Reduction.storeFloats(newM, m.base, i)
        Reduction.storeFloats(newV, v.base, i)
        i += 8
      }
      while i < end {
        let grad = g.base[i]
        let newM = m.base[i] + (grad - m.base[i]) * (1 - h.beta1)
        let newV = v.base[i] * h.beta2 + (grad * grad) * (1 - h.beta2)
        let denominator = newV.squareRoot() / correction + h.epsilon
        w.base[i] = w.base[i] * decay - stepSize * (newM / denominator)
        m.base[i] = newM
        v.base[i] = newV
        i += 1
      }
    }
  }

  /// `Σ x[i]²` in one `Double` accumulator in index order (for global-norm gradient clipping).
  public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var total: Double = 0
    for i in 0..<count {
      let v = Double(x[i])
      total = total + v * v
    }
    return total
  }

  /// `x[i] = x[i] * factor`.
  public static func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    let f = SIMD8<Float>(repeating: factor)
    var i = 0
    while i + 8 <= count {
      Reduction.storeFloats(Reduction.loadFloats(x, i) * f, x, i)
      i += 8
    }
    while i < count {
      x[i] = x[i] * factor
      i += 1
    }
  }
}
