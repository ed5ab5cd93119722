import Foundation
import MedusaKernels
import XCTest

/// `Kernels.frozenLinearBackwardInput` (dX = dY · W for a frozen weight in any stored type): the
/// same bits as `linearBackwardInput` on the widened `Float` matrix (one documented order),
/// close to a `Double` reference, and the same bits for any thread count, batch split and
/// accumulate mode.
final class TrainingFrozenLinearTests: XCTestCase {
  /// (type, rows, columns): float types with odd widths and tails, ggml blocks, k-quants;
  /// rows beyond one panel of 32 widened rows.
  static let shapes: [(WeightType, Int, Int)] = [
    (.f32, 1, 1), (.f32, 37, 7), (.f32, 70, 40), (.f16, 45, 23), (.bf16, 33, 16),
    (.q8_0, 70, 64), (.q4_0, 9, 32), (.q4_1, 41, 96), (.q5_0, 5, 32), (.q5_1, 6, 64),
    (.q2_K, 7, 256), (.q3_K, 5, 256), (.q4_K, 35, 256), (.q5_K, 4, 256), (.q6_K, 33, 256),
  ]

  /// The matrix widened row by row (`widenRow`), as `Float`.
  private func widened(_ weight: WeightMatrix) -> [Float] {
    var out = [Float](repeating: 0, count: weight.rows * weight.columns)
    out.withUnsafeMutableBufferPointer { buffer in
      for row in 0..<weight.rows {
        weight.widenRow(row, into: buffer.baseAddress! + row * weight.columns)
      }
    }
    return out
  }

  private func frozen(
    _ dY: [Float], tokens: Int, weight: WeightMatrix, initial: [Float]? = nil,
    parallelism: Parallelism
  ) -> [Float] {
    var dX = initial ?? [Float](repeating: .nan, count: tokens * weight.columns)
    var workspace = [Float](
      repeating: .nan,
      count: Kernels.frozenLinearBackwardWorkspace(
        columns: weight.columns, parallelism: parallelism))
    Kernels.frozenLinearBackwardInput(
      dY, tokens: tokens, weight: weight, into: &dX, accumulate: initial != nil,
      workspace: &workspace, parallelism: parallelism)
    return dX
  }

  func testEqualsTheFloatKernelOnTheWidenedMatrixBitwise() {
    var random = TestRandom(seed: 41)
    for (type, rows, columns) in Self.shapes {
      let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
      let w = widened(weights.matrix)
      for tokens in [1, 2, 3, 4, 5, 9, 70] {
        let dY = random.floats(tokens * rows)
        var expected = [Float](repeating: .nan, count: tokens * columns)
        Kernels.linearBackwardInput(
          dY, tokens: tokens, weight: w, rows: rows, columns: columns, into: &expected,
          accumulate: false, parallelism: .serial)
        let got = frozen(dY, tokens: tokens, weight: weights.matrix, parallelism: .serial)
        assertBitwiseEqual(got[...], expected[...], "\(type.name) \(rows)x\(columns) T=\(tokens)")

        let start = random.floats(tokens * columns)
        var added = start
        Kernels.linearBackwardInput(
          dY, tokens: tokens, weight: w, rows: rows, columns: columns, into: &added,
          accumulate: true, parallelism: .serial)
        let gotAdded = frozen(
          dY, tokens: tokens, weight: weights.matrix, initial: start, parallelism: .serial)
        assertBitwiseEqual(gotAdded[...], added[...], "\(type.name) accumulate T=\(tokens)")
      }
    }
  }

  func testCloseToTheDoubleReference() {
    var random = TestRandom(seed: 42)
    for (type, rows, columns) in Self.shapes {
      let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
      let tokens = 6
      let dY = random.floats(tokens * rows)
      // One thread: these shapes are below the kernel's serial limit (`serialWorkLimit`), so a
      // "2 threads" here would run serially anyway; threads are tested below with 131 tokens.
      let got = frozen(dY, tokens: tokens, weight: weights.matrix, parallelism: .serial)
      var reference = [Float](repeating: 0, count: tokens * columns)
      var magnitude: Float = 0
      for t in 0..<tokens {
        for i in 0..<columns {
          var sum = 0.0
          var absolute = 0.0
          for o in 0..<rows {
            let term =
              Double(dY[t * rows + o])
              * Double(ReferenceKernels.element(weights.matrix, row: o, column: i))
            sum += term
            absolute += abs(term)
          }
          reference[t * columns + i] = Float(sum)
          magnitude = max(magnitude, Float(absolute))
        }
      }
      // Float sums over `rows` terms: error at most ~rows · 2^-24 of the summed magnitudes.
      assertClose(
        got, reference, absolute: max(magnitude, 1e-30) * Float(rows + 1) * 1.2e-7,
        "\(type.name) \(rows)x\(columns) vs Double")
    }
  }

  func testThreadCountAndBatchSplitChangeNoBit() {
    var random = TestRandom(seed: 43)
    for (type, rows, columns) in [(WeightType.q8_0, 70, 64), (.q4_K, 40, 256), (.f16, 66, 37)] {
      let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
      let tokens = 131
      let dY = random.floats(tokens * rows)
      let serial = frozen(dY, tokens: tokens, weight: weights.matrix, parallelism: .serial)
      for threads in [2, 3, 5, 8] {
        XCTAssertGreaterThanOrEqual(tokens * rows * columns, serialWorkLimit, "\(type.name)")
        let parallel = frozen(
          dY, tokens: tokens, weight: weights.matrix, parallelism: Parallelism(threads: threads))
        assertBitwiseEqual(parallel[...], serial[...], "\(type.name) \(threads) threads")
      }
      // Each token alone gives the bits it gets inside the batch.
      for t in [0, 1, 63, 64, 65, 130] {
        let alone = frozen(
          Array(dY[(t * rows)..<((t + 1) * rows)]), tokens: 1, weight: weights.matrix,
          parallelism: .serial)
        assertBitwiseEqual(
          alone[...], serial[(t * columns)..<((t + 1) * columns)], "\(type.name) token \(t) alone")
      }
    }
  }
}
