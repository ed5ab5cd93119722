import Foundation

extension Kernels {
  /// The self-distillation loss of Medusa-2's backbone (paper §2.3.2): the KL divergence from
  /// the original model's next-token distribution to the trained model's, and its gradient in
  /// place (the original's `F.kl_div(log_softmax(logits), softmax(original), reduction="sum")`).
  ///
  /// For each row `r` of `logits` (`[rows][vocabulary]`, the trained model) with `mask[r]`:
  /// `log p = t - max t - log Σ exp(t - max t)` (in `Double`), `log q = ℓ - m - log S` (the
  /// student's log-softmax, ``exp(_:)`` with a `Double` sum in index order); `losses[r] = Σ_i p_i · (log p_i - log q_i)` in
  /// `Double` (terms with `p_i = 0` are 0), and the row becomes `scale · (q_i - p_i)` (the difference in `Double`, rounded once). Rows
  /// without `mask[r]` get loss 0 and a zero gradient. `teacher` is overwritten (scratch).
  /// Threads split rows.
  public static func softmaxKLDivergence(
    _ logits: UnsafeMutablePointer<Float>, teacher: UnsafeMutablePointer<Float>, rows: Int,
    vocabulary: Int, mask: UnsafePointer<Bool>, scale: Float,
    losses: UnsafeMutablePointer<Double>, parallelism: Parallelism
  ) {
    let student = SendablePointer(logits)
    let original = SendablePointer(teacher)
    let included = SendableConstPointer(mask)
    let lossOut = SendablePointer(losses)
    let fanOut = rows * vocabulary < 1 << 14 ? Parallelism.serial : parallelism
    fanOut.forEachChunk(rows) { _, range in
      for r in range {
        let q = student.base + r * vocabulary
        let p = original.base + r * vocabulary
        guard included.base[r] else {
          q.update(repeating: 0, count: vocabulary)
          lossOut.base[r] = 0
          continue
        }
        let studentShift = q[argmax(q, count: vocabulary)]
        let teacherShift = p[argmax(p, count: vocabulary)]
        var teacherSum: Double = 0
        for i in 0..<vocabulary {
          p[i] = p[i] - teacherShift
          teacherSum = teacherSum + Foundation.exp(Double(p[i]))
        }
        let logTeacherSum = Foundation.log(teacherSum)
        var loss: Double = 0
        withUnsafeTemporaryAllocation(of: Float.self, capacity: vocabulary) { shifted in
          guard let z = shifted.baseAddress else { return }
          for i in 0..<vocabulary { z[i] = q[i] - studentShift }
          let studentSum = exponentiate(q, count: vocabulary, shift: studentShift)
          let logStudentSum = Foundation.log(studentSum)
          for i in 0..<vocabulary {
            let logP = Double(p[i]) - logTeacherSum
            let probability = Foundation.exp(logP)
            if probability > 0 {
              loss = loss + probability * (logP - (Double(z[i]) - logStudentSum))
            }
            q[i] = scale * Float(Double(q[i]) / studentSum - probability)
          }
        }
        lossOut.base[r] = loss
      }
    }
  }
}
