import Foundation
import MedusaKernels
import XCTest

/// The backward kernels of head training against central finite differences of the same
/// function evaluated in `Double` (step 1e-4 on inputs of size ~1, so the difference quotient is
/// exact to ~1e-8 and the tolerance covers the kernels' `Float` rounding).
final class TrainingKernelsTests: XCTestCase {
  /// Central difference of `f` at `x` along coordinate `i`.
  private func difference(_ x: [Double], _ i: Int, _ f: ([Double]) -> Double) -> Double {
    let h = 1e-4
    var plus = x
    var minus = x
    plus[i] += h
    minus[i] -= h
    return (f(plus) - f(minus)) / (2 * h)
  }

  private func assertClose(
    _ analytic: [Float], _ numeric: [Double], tolerance: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(analytic.count, numeric.count, what, file: file, line: line)
    let scale = max(1, numeric.map(abs).max() ?? 0)
    for (i, (a, n)) in zip(analytic, numeric).enumerated()
    where abs(Double(a) - n) > tolerance * scale {
      XCTFail("\(what)[\(i)]: kernel \(a), finite difference \(n)", file: file, line: line)
      return
    }
  }

  func testLinearBackwardMatchesFiniteDifferences() {
    var random = TestRandom(seed: 11)
    for (tokens, rows, columns) in [(1, 1, 1), (3, 5, 7), (6, 9, 17), (5, 4, 16)] {
      let x = random.floats(tokens * columns)
      let w = random.floats(rows * columns)
      let b = random.floats(rows)
      let g = random.floats(tokens * rows)
      // f = Σ g[t][o] · (x[t] · W[o] + b[o]), in Double.
      func f(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for t in 0..<tokens {
          for o in 0..<rows {
            var y = b[o]
            for i in 0..<columns { y += x[t * columns + i] * w[o * columns + i] }
            s += Double(g[t * rows + o]) * y
          }
        }
        return s
      }
      let xd = x.map(Double.init)
      let wd = w.map(Double.init)
      let bd = b.map(Double.init)
      var dX = [Float](repeating: .nan, count: tokens * columns)
      var dXAdded = [Float](repeating: 1, count: tokens * columns)
      var dW = [Float](repeating: .nan, count: rows * columns)
      var dB = [Float](repeating: .nan, count: rows)
      Kernels.linearBackwardInput(
        g, tokens: tokens, weight: w, rows: rows, columns: columns, into: &dX, accumulate: false,
        parallelism: .serial)
      Kernels.linearBackwardInput(
        g, tokens: tokens, weight: w, rows: rows, columns: columns, into: &dXAdded,
        accumulate: true, parallelism: .serial)
      Kernels.linearBackwardWeight(
        g, x, tokens: tokens, rows: rows, columns: columns, into: &dW, parallelism: .serial)
      Kernels.columnSums(g, tokens: tokens, count: rows, into: &dB)
      let shape = "\(tokens)x\(rows)x\(columns)"
      assertClose(
        dX, xd.indices.map { i in self.difference(xd, i) { f($0, wd, bd) } }, tolerance: 1e-5,
        "dX \(shape)")
      assertClose(dXAdded, dX.map { Double($0) + 1 }, tolerance: 1e-6, "dX + 1 \(shape)")
      assertClose(
        dW, wd.indices.map { i in self.difference(wd, i) { f(xd, $0, bd) } }, tolerance: 1e-5,
        "dW \(shape)")
      assertClose(
        dB, bd.indices.map { i in self.difference(bd, i) { f(xd, wd, $0) } }, tolerance: 1e-5,
        "db \(shape)")
    }
  }

  func testSiluBackwardMatchesFiniteDifferences() {
    var random = TestRandom(seed: 12)
    let z = random.floats(21, scale: 6)
    let g = random.floats(21)
    var dz = [Float](repeating: .nan, count: 21)
    Kernels.siluBackward(z, gradient: g, count: 21, into: &dz)
    let f: ([Double]) -> Double = { z in
      zip(z, g).reduce(0) { $0 + Double($1.1) * $1.0 / (1 + Foundation.exp(-$1.0)) }
    }
    let zd = z.map(Double.init)
    assertClose(dz, zd.indices.map { difference(zd, $0, f) }, tolerance: 1e-5, "dz")
  }

  func testCrossEntropyMatchesFiniteDifferences() {
    var random = TestRandom(seed: 13)
    let rows = 5
    let vocabulary = 19
    let logits = random.floats(rows * vocabulary, scale: 4)
    let targets: [Int32] = [3, -100, 18, 0, 7]
    let scale: Float = 0.37
    var grad = logits
    var losses = [Double](repeating: .nan, count: rows)
    var correct = [Bool](repeating: true, count: rows)
    Kernels.softmaxCrossEntropy(
      &grad, rows: rows, vocabulary: vocabulary, targets: targets, scale: scale, losses: &losses,
      correct: &correct, parallelism: .serial)
    // f = scale · Σ_rows with a target (log Σ exp ℓ - ℓ_y), in Double.
    func rowLoss(_ l: [Double], _ r: Int) -> Double {
      let row = l[(r * vocabulary)..<((r + 1) * vocabulary)]
      let m = row.max() ?? 0
      return Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) }) + m
        - l[r * vocabulary + Int(targets[r])]
    }
    let f: ([Double]) -> Double = { l in
      (0..<rows).filter { targets[$0] >= 0 }.reduce(0) { $0 + Double(scale) * rowLoss(l, $1) }
    }
    let ld = logits.map(Double.init)
    assertClose(grad, ld.indices.map { difference(ld, $0, f) }, tolerance: 1e-6, "dlogits")
    for r in 0..<rows {
      let expected = targets[r] >= 0 ? rowLoss(ld, r) : 0
      XCTAssertEqual(losses[r], expected, accuracy: 1e-5, "loss of row \(r)")
      let best = (0..<vocabulary).max { logits[r * vocabulary + $0] < logits[r * vocabulary + $1] }
      XCTAssertEqual(correct[r], targets[r] >= 0 && best == Int(targets[r]), "correct \(r)")
    }
  }

  func testBackwardKernelsDoNotDependOnThreadsOrBatch() {
    var random = TestRandom(seed: 14)
    let (tokens, rows, columns) = (37, 70, 67)
    let x = random.floats(tokens * columns)
    let w = random.floats(rows * columns)
    let g = random.floats(tokens * rows)
    var results: [[Float]] = []
    for threads in [1, 3] {
      var dX = [Float](repeating: 0, count: tokens * columns)
      var dW = [Float](repeating: 0, count: rows * columns)
      Kernels.linearBackwardInput(
        g, tokens: tokens, weight: w, rows: rows, columns: columns, into: &dX, accumulate: false,
        parallelism: Parallelism(threads: threads))
      Kernels.linearBackwardWeight(
        g, x, tokens: tokens, rows: rows, columns: columns, into: &dW,
        parallelism: Parallelism(threads: threads))
      results.append(dX + dW)
    }
    XCTAssertEqual(results[0].map(\.bitPattern), results[1].map(\.bitPattern))
    // Token 5's input gradient alone equals its row in the batch, bit for bit.
    var single = [Float](repeating: 0, count: columns)
    Kernels.linearBackwardInput(
      Array(g[(5 * rows)..<(6 * rows)]), tokens: 1, weight: w, rows: rows, columns: columns,
      into: &single, accumulate: false, parallelism: .serial)
    XCTAssertEqual(
      single.map(\.bitPattern), results[0][(5 * columns)..<(6 * columns)].map(\.bitPattern))
  }

  func testAdamWMatchesTheTorchFormula() {
    let w: [Float] = [0.5, -1, 2, 0, 3, -0.25, 1, 1, 7]
    let g: [Float] = [0.1, -0.2, 0.3, 0, 1, -1, 0.5, 2, -3]
    var weights = w
    var m: [Float] = [0.01, 0, 0, 0.2, 0, 0, 0.1, 0, 0]
    var v: [Float] = [0.001, 0, 0.5, 0, 0, 0.3, 0, 0, 0.1]
    let (m0, v0) = (m, v)
    let h = AdamWStep(
      learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, step: 3)
    Kernels.adamW(
      weights: &weights, gradients: g, firstMoment: &m, secondMoment: &v, count: w.count,
      hyperparameters: h, parallelism: .serial)
    for i in w.indices {
      let mi = 0.9 * Double(m0[i]) + 0.1 * Double(g[i])
      let vi = 0.999 * Double(v0[i]) + 0.001 * Double(g[i]) * Double(g[i])
      let denominator = (vi / (1 - Foundation.pow(0.999, 3))).squareRoot() + 1e-8
      let expected =
        Double(w[i]) * (1 - 0.001) - 0.01 * (mi / (1 - Foundation.pow(0.9, 3))) / denominator
      XCTAssertEqual(
        Double(weights[i]), expected, accuracy: 1e-6 * max(1, abs(expected)), "w[\(i)]")
      XCTAssertEqual(Double(m[i]), mi, accuracy: 1e-6)
      XCTAssertEqual(Double(v[i]), vi, accuracy: 1e-6)
    }
  }
}
