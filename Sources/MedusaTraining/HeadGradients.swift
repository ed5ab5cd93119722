import Medusa
import MedusaKernels

/// Forward and hand-written backward pass of the Medusa-1 loss (paper §2.2.1) on one batch of
/// backbone hidden states, with every work buffer allocated once, at construction.
///
/// For head k: `x_0 = h`, `z_l = W1_l x_l + b1_l`, `x_{l+1} = x_l + SiLU(z_l)` (ResBlock),
/// `logits = W2 x_L`, `loss_k = mean over rows with a target of CE(logits, y_k)` (the original's
/// `CrossEntropyLoss()` with ignore index -100); the batch loss is `Σ_k λ_k · loss_k`. The
/// backward pass runs the same chain in reverse:
/// `dlogits = λ_k (softmax - onehot) / n_k`, `dW2 = dlogitsᵀ x_L`, `dx_L = dlogits W2`, then per
/// block `dz = SiLU'(z) ⊙ dx`, `dW1 = dzᵀ x_l`, `db1 = Σ_rows dz`, `dx_l = dx_{l+1} + dz W1`.
///
/// With the backbone's LM head as every head's projection (``HeadProjection/baseLanguageModelHead``)
/// `W2` is that frozen matrix in its stored type (quantized included): the logits come from the
/// same ``Kernels/linear`` as in decoding, there is no `dW2`, and `dx_L = dlogits W2` is
/// ``Kernels/frozenLinearBackwardInput(_:tokens:weight:into:accumulate:workspace:parallelism:)``.
public final class HeadGradients: @unchecked Sendable {
  /// The shape of the heads.
  public let shape: HeadShape
  /// The largest batch (rows) this workspace takes.
  public let maxRows: Int
  /// Thread fan-out of the kernels.
  public let parallelism: Parallelism
  private let activations: TrainingBuffer
  private let preActivations: TrainingBuffer
  private let logits: TrainingBuffer
  private let inputGradient: TrainingBuffer
  private let blockGradient: TrainingBuffer
  private let rowLosses: UnsafeMutablePointer<Double>
  private let rowCorrect: UnsafeMutablePointer<Bool>
  private let headTargets: UnsafeMutablePointer<Int32>
  private let statistics: UnsafeMutablePointer<Double>
  /// The frozen shared projection (`[V][H]`), for ``HeadProjection/baseLanguageModelHead``.
  private let languageModelHead: WeightMatrix?
  private let frozenWorkspace: TrainingBuffer

  /// A workspace for batches of up to `maxRows` rows. Heads that share the backbone's LM head
  /// need it as `languageModelHead` (`[vocabulary][hidden]`, any stored type; the caller keeps
  /// its memory alive); heads with own projections take none. ``HeadTrainer`` checks both and
  /// throws; here a mismatch is a programming error.
  public init(
    shape: HeadShape, maxRows: Int, parallelism: Parallelism,
    languageModelHead: WeightMatrix? = nil
  ) {
    precondition(
      (shape.projection == .baseLanguageModelHead)
        == (languageModelHead.map {
          $0.rows == shape.vocabulary && $0.columns == shape.hidden
        } ?? false),
      "the shared-projection heads need the [V][H] LM head, own projections take none")
    self.languageModelHead = languageModelHead
    frozenWorkspace = TrainingBuffer(
      Kernels.frozenLinearBackwardWorkspace(columns: shape.hidden, parallelism: parallelism))
    self.shape = shape
    self.maxRows = maxRows
    self.parallelism = parallelism
    let rowFloats = maxRows * shape.hidden
    activations = TrainingBuffer(shape.layers * rowFloats)
    preActivations = TrainingBuffer(shape.layers * rowFloats)
    logits = TrainingBuffer(maxRows * shape.vocabulary)
    inputGradient = TrainingBuffer(rowFloats)
    blockGradient = TrainingBuffer(rowFloats)
    rowLosses = .allocate(capacity: max(maxRows, 1))
    rowCorrect = .allocate(capacity: max(maxRows, 1))
    headTargets = .allocate(capacity: max(maxRows, 1))
    statistics = .allocate(capacity: 3 * max(shape.heads, 1))
    statistics.initialize(repeating: 0, count: 3 * max(shape.heads, 1))
  }

  deinit {
    rowLosses.deallocate()
    rowCorrect.deallocate()
    headTargets.deallocate()
    statistics.deallocate()
  }

  /// Mean cross-entropy of head `k` in the last batch (0 if it had no target).
  public func headLoss(_ k: Int) -> Double { statistics[3 * k] }
  /// Rows of the last batch where head `k`'s argmax was its target.
  public func headCorrect(_ k: Int) -> Int { Int(statistics[3 * k + 1]) }
  /// Rows of the last batch with a target for head `k`.
  public func headTargetCount(_ k: Int) -> Int { Int(statistics[3 * k + 2]) }

  /// Runs the batch: `hidden` is `[rows][H]`, `targets` `[rows][K]` (negative: no target),
  /// `lossWeights[k]` is λ_k. Writes the gradient of the batch loss with respect to every
  /// parameter into `gradients` (same layout as `parameters`, fully overwritten) and returns the
  /// batch loss `Σ_k λ_k · loss_k`. With `hiddenGradient` (`[rows][H]`), the loss's gradient
  /// with respect to `hidden` is added to it, head by head (Medusa-2 passes it on to the
  /// backbone, paper §2.2.2).
  public func run(
    parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>,
    hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int,
    lossWeights: UnsafePointer<Float>, hiddenGradient: UnsafeMutablePointer<Float>? = nil
  ) -> Double {
    precondition(rows <= maxRows, "batch of \(rows) rows exceeds the workspace's \(maxRows)")
    var total: Double = 0
    for k in 0..<shape.heads {
      total =
        total + Double(lossWeights[k])
        * head(
          k, parameters: parameters, gradients: gradients, hidden: hidden, targets: targets,
          rows: rows, weight: lossWeights[k], hiddenGradient: hiddenGradient)
    }
    return total
  }

  /// Forward and backward of head `k`; returns its mean cross-entropy.
  private func head(
    _ k: Int, parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>,
    hidden: UnsafePointer<Float>, targets: UnsafePointer<Int32>, rows: Int, weight: Float,
    hiddenGradient: UnsafeMutablePointer<Float>?
  ) -> Double {
    let h = shape.hidden
    let v = shape.vocabulary
    let layers = shape.layers
    func input(_ l: Int) -> UnsafePointer<Float> {
      l == 0 ? hidden : UnsafePointer(activations.base + (l - 1) * maxRows * h)
    }
    for l in 0..<layers {
      let offset = shape.blockOffset(head: k, layer: l)
      let z = preActivations.base + l * maxRows * h
      let out = activations.base + l * maxRows * h
      Kernels.linear(
        input(l), tokens: rows,
        weight: WeightMatrix(rows: h, columns: h, type: .f32, base: parameters + offset),
        bias: parameters + offset + h * h, into: z, parallelism: parallelism)
      Kernels.silu(z, count: rows * h, into: out)
      Kernels.add(input(l), out, count: rows * h, into: out)
    }
    let projection = parameters + shape.projectionOffset(head: k)
    Kernels.linear(
      input(layers), tokens: rows,
      weight: languageModelHead
        ?? WeightMatrix(rows: v, columns: h, type: .f32, base: projection), bias: nil,
      into: logits.base, parallelism: parallelism)

    var count = 0
    for r in 0..<rows {
      let y = targets[r * shape.heads + k]
      headTargets[r] = y >= 0 && Int(y) < v ? y : -1
      if headTargets[r] >= 0 { count += 1 }
    }
    let scale = count > 0 ? weight / Float(count) : 0
    Kernels.softmaxCrossEntropy(
      logits.base, rows: rows, vocabulary: v, targets: headTargets, scale: scale,
      losses: rowLosses, correct: rowCorrect, parallelism: parallelism)
    var lossSum: Double = 0
    var correct = 0
    for r in 0..<rows {
      lossSum = lossSum + rowLosses[r]
      if rowCorrect[r] { correct += 1 }
    }
    let loss = count > 0 ? lossSum / Double(count) : 0
    statistics[3 * k] = loss
    statistics[3 * k + 1] = Double(correct)
    statistics[3 * k + 2] = Double(count)

    if languageModelHead == nil {
      Kernels.linearBackwardWeight(
        logits.base, input(layers), tokens: rows, rows: v, columns: h,
        into: gradients + shape.projectionOffset(head: k), parallelism: parallelism)
    }
    guard layers > 0 || hiddenGradient != nil else { return loss }
    // dx_L = dlogits · W2 over the V rows of the projection (own or shared), in the order of
    // `linearBackwardInput` (the same bits), with the rows widened in panels: a 49,152-row
    // projection is then streamed once per group of tokens, not once per column tile.
    Kernels.frozenLinearBackwardInput(
      logits.base, tokens: rows,
      weight: languageModelHead
        ?? WeightMatrix(rows: v, columns: h, type: .f32, base: projection),
      into: inputGradient.base, accumulate: false, workspace: frozenWorkspace.base,
      parallelism: parallelism)
    for l in stride(from: layers - 1, through: 0, by: -1) {
      let offset = shape.blockOffset(head: k, layer: l)
      let z = preActivations.base + l * maxRows * h
      Kernels.siluBackward(
        z, gradient: inputGradient.base, count: rows * h, into: blockGradient.base)
      Kernels.linearBackwardWeight(
        blockGradient.base, input(l), tokens: rows, rows: h, columns: h,
        into: gradients + offset, parallelism: parallelism)
      Kernels.columnSums(
        blockGradient.base, tokens: rows, count: h, into: gradients + offset + h * h)
      if l > 0 || hiddenGradient != nil {
        Kernels.linearBackwardInput(
          blockGradient.base, tokens: rows, weight: parameters + offset, rows: h, columns: h,
          into: inputGradient.base, accumulate: true, parallelism: parallelism)
      }
    }
    if let hiddenGradient {
      Kernels.add(hiddenGradient, inputGradient.base, count: rows * h, into: hiddenGradient)
    }
    return loss
  }
}
