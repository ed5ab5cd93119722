import Foundation

extension Kernels {
  /// Backward of SiLU (the Medusa ResBlock's activation): with `s = 1 / (1 + exp(-z))` (this
  /// module's ``exp(_:)``), `dz[i] = g[i] · (s + z[i] · s · (1 - s))`, the derivative of
  /// `z · s(z)`. `z` is the pre-activation, `g` the gradient of the activation's output; `dz`
  /// may alias `g`.
  public static func siluBackward(
    _ z: UnsafePointer<Float>, gradient g: UnsafePointer<Float>, count: Int,
    into dz: UnsafeMutablePointer<Float>
  ) {
    let one = SIMD8<Float>(repeating: 1)
    var i = 0
    while i + 8 <= count {
      let v = Reduction.loadFloats(z, i)
      let s = one / (one + exp8(-v))
      let derivative = s + v * (s * (one - s))
      Reduction.storeFloats(Reduction.loadFloats(g, i) * derivative, dz, i)
      i += 8
    }
    while i < count {
      let v = z[i]
      let s = 1 / (1 + exp(-v))
      dz[i] = g[i] * (s + v * (s * (1 - s)))
      i += 1
    }
  }

  /// Softmax cross-entropy of rows of logits, and its gradient in place (the Medusa-1 loss of
  /// one head, paper §2.2.1, `CrossEntropyLoss` in the original `train_legacy.py`).
  ///
  /// For each row `r` of `logits` (`[rows][vocabulary]`) whose `targets[r]` is in
  /// `0..<vocabulary`: `m = max ℓ`, `e_i = exp(ℓ_i - m)` (``exp(_:)``),
  /// `S = Σ e_i` in one `Double` accumulator in index order,
  /// `losses[r] = log(S) + m - ℓ_y` (in `Double`), `correct[r] = argmax ℓ == y` (ties to the
  /// lowest id), and the row becomes `scale · (e_i / Float(S) - [i == y])`. Rows with any other
  /// target (the original's ignore index -100) get loss 0, not correct, and a zero gradient.
  /// Threads split rows.
  public static func softmaxCrossEntropy(
    _ logits: UnsafeMutablePointer<Float>, rows: Int, vocabulary: Int,
    targets: UnsafePointer<Int32>, scale: Float, losses: UnsafeMutablePointer<Double>,
    correct: UnsafeMutablePointer<Bool>, parallelism: Parallelism
  ) {
    let l = SendablePointer(logits)
    let y = SendableConstPointer(targets)
    let lossOut = SendablePointer(losses)
    let correctOut = SendablePointer(correct)
    let fanOut = rows * vocabulary < 1 << 14 ? Parallelism.serial : parallelism
    fanOut.forEachChunk(rows) { _, range in
      for r in range {
        let row = l.base + r * vocabulary
        let target = Int(y.base[r])
        guard target >= 0, target < vocabulary else {
          row.update(repeating: 0, count: vocabulary)
          lossOut.base[r] = 0
          correctOut.base[r] = false
          continue
        }
        let best = argmax(row, count: vocabulary)
        let m = row[best]
        correctOut.base[r] = best == target
        let targetLogit = row[target]
        let total = exponentiate(row, count: vocabulary, shift: m)
        lossOut.base[r] = Foundation.log(total) + Double(m) - Double(targetLogit)
        let sum = SIMD8<Float>(repeating: Float(total))
        let factor = SIMD8<Float>(repeating: scale)
        var i = 0
        while i + 8 <= vocabulary {
          Reduction.storeFloats((Reduction.loadFloats(row, i) / sum) * factor, row, i)
          i += 8
        }
        while i < vocabulary {
          row[i] = (row[i] / Float(total)) * scale
          i += 1
        }
        row[target] = row[target] - scale
      }
    }
  }
}
