import Foundation
import Medusa
import MedusaKernels
import MedusaTraining
import XCTest

/// The whole Medusa-1 loss gradient (ResBlocks, projection, cross-entropy, λ_k, ignored
/// targets) against central finite differences of the same loss computed in `Double`.
final class TrainingGradientTests: XCTestCase {
  /// The Medusa-1 batch loss `Σ_k λ_k · mean CE_k`, in `Double`, for packed parameters `p`.
  static func referenceLoss(
    _ p: [Double], shape: HeadShape, hidden: [Float], targets: [Int32], rows: Int, lambda: [Double]
  ) -> Double {
    let (h, v) = (shape.hidden, shape.vocabulary)
    var total = 0.0
    for k in 0..<shape.heads {
      var sum = 0.0
      var count = 0
      for r in 0..<rows {
        var x = (0..<h).map { Double(hidden[r * h + $0]) }
        for l in 0..<shape.layers {
          let base = k * (shape.layers * (h * h + h) + v * h) + l * (h * h + h)
          x = (0..<h).map { o in
            var z = p[base + h * h + o]
            for i in 0..<h { z += p[base + o * h + i] * x[i] }
            return x[o] + z / (1 + Foundation.exp(-z))
          }
        }
        let y = Int(targets[r * shape.heads + k])
        guard y >= 0 else { continue }
        let projection = k * (shape.layers * (h * h + h) + v * h) + shape.layers * (h * h + h)
        let logits = (0..<v).map { o in
          (0..<h).reduce(0.0) { $0 + p[projection + o * h + $1] * x[$1] }
        }
        let m = logits.max() ?? 0
        sum += Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) }) + m - logits[y]
        count += 1
      }
      if count > 0 { total += lambda[k] * sum / Double(count) }
    }
    return total
  }

  func testHeadGradientsMatchFiniteDifferences() {
    let shape = HeadShape(heads: 2, layers: 2, hidden: 9, vocabulary: 13)
    let rows = 5
    var random = SplitMix64(seed: 21)
    func uniform(_ scale: Double) -> Float { Float((random.nextUnitDouble() * 2 - 1) * scale) }
    let parameters = TrainingBuffer(shape.parameterCount)
    for i in 0..<shape.parameterCount { parameters.base[i] = uniform(0.5) }
    let hidden = (0..<(rows * shape.hidden)).map { _ in uniform(1) }
    let targets: [Int32] = [3, -100, 12, 0, -100, 7, 5, 5, 1, -100]
    let lambda: [Float] = [1, 0.8]
    let workspace = HeadGradients(shape: shape, maxRows: 8, parallelism: .serial)
    let gradients = TrainingBuffer(shape.parameterCount)
    let loss = workspace.run(
      parameters: parameters.base, gradients: gradients.base, hidden: hidden, targets: targets,
      rows: rows, lossWeights: lambda)

    let p = parameters.array.map(Double.init)
    let lambdaD = lambda.map(Double.init)
    func f(_ q: [Double]) -> Double {
      Self.referenceLoss(
        q, shape: shape, hidden: hidden, targets: targets, rows: rows, lambda: lambdaD)
    }
    XCTAssertEqual(loss, f(p), accuracy: 1e-5)
    XCTAssertEqual(workspace.headTargetCount(0), 4)
    XCTAssertEqual(workspace.headTargetCount(1), 3)
    var worst = 0.0
    for i in p.indices {
      var plus = p
      var minus = p
      plus[i] += 1e-4
      minus[i] -= 1e-4
      let numeric = (f(plus) - f(minus)) / 2e-4
      let error = abs(Double(gradients.base[i]) - numeric)
      worst = max(worst, error)
      XCTAssertLessThan(
        error, 2e-5, "parameter \(i): kernel \(gradients.base[i]), numeric \(numeric)")
      if error >= 2e-5 { break }
    }
    XCTAssertLessThan(worst, 2e-5)
  }

  func testInitialisationIsIdentityBlocksAndTheLanguageModelHead() throws {
    // The original's initialisation: zero ResBlocks (identity), projections = lm_head.
    let shape = HeadShape(heads: 3, layers: 1, hidden: 8, vocabulary: 11)
    var random = SplitMix64(seed: 22)
    let head = (0..<(11 * 8)).map { _ in Float(random.nextUnitDouble() - 0.5) }
    let parameters = try XCTUnwrap(
      head.withUnsafeBytes { raw in
        raw.baseAddress.map {
          shape.initialParameters(
            languageModelHead: WeightMatrix(rows: 11, columns: 8, type: .f32, base: $0))
        }
      })
    for k in 0..<3 {
      for l in 0..<(8 * 8 + 8) { XCTAssertEqual(parameters.base[k * (72 + 88) + l], 0) }
      for i in 0..<88 { XCTAssertEqual(parameters.base[k * 160 + 72 + i], head[i]) }
    }
    XCTAssertEqual(
      shape.tensors.map(\.name),
      [
        "0.0.linear.weight", "0.0.linear.bias", "0.1.weight", "1.0.linear.weight",
        "1.0.linear.bias", "1.1.weight", "2.0.linear.weight", "2.0.linear.bias", "2.1.weight",
      ])
  }
}
