import MedusaKernels
import XCTest

final class LinearTests: XCTestCase {
  private let types: [WeightType] = [.f32, .f16, .bf16]
  private let blockTypes: [WeightType] = WeightType.allCases.filter { $0.blockElements > 1 }

  /// Shapes for `type`: odd ones for the float types, whole blocks for the ggml types; the
  /// last of each is large enough (`serialWorkLimit`) for the kernel to use two threads.
  private func shapes(_ type: WeightType) -> [(rows: Int, columns: Int)] {
    type.blockElements == 1
      ? [(1, 1), (5, 7), (37, 67), (64, 256), (13, 259), (131, 509)]
      : [(1, 256), (5, 512), (38, 256), (70, 1024)]
  }

  func testMatchesReferenceOnOddShapes() {
    var random = TestRandom(seed: 1)
    for type in WeightType.allCases {
      for (rows, columns) in shapes(type) {
        let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
        let bias = random.floats(rows)
        for tokens in [1, 3, 4, 6, 9] {
          let x = random.floats(tokens * columns)
          for withBias in [false, true] {
            let tiling = LinearTiling.allCases[(tokens + (withBias ? 1 : 0)) % 2]
            var fast = [Float](repeating: .nan, count: tokens * rows)
            var naive = fast
            bias.withUnsafeBufferPointer { b in
              let biasPointer = withBias ? b.baseAddress : nil
              // Two threads where the kernel splits the call at all, else one.
              let work = tokens * rows * columns
              Kernels.linear(
                x, tokens: tokens, weight: weights.matrix, bias: biasPointer, into: &fast,
                parallelism: work < serialWorkLimit
                  ? .serial
                  : twoThreads(work: work, units: (rows + 3) / 4, "\(type) \(rows)x\(columns)"),
                tiling: tiling)
              ReferenceKernels.linear(
                x, tokens: tokens, weight: weights.matrix, bias: biasPointer, into: &naive)
            }
            // Inputs are in [-1, 1) and weights in [-wMax, wMax]: the rounding error of a
            // Float sum of n terms is below n * 2^-24 * sum |x w| <= n^2 * 6e-8 * wMax;
            // 1e-6 * columns * wMax is far above it.
            assertClose(
              fast, naive, absolute: 1e-6 * Float(columns) * maxMagnitude(weights.matrix),
              "\(type) \(rows)x\(columns) T=\(tokens) \(tiling)")
          }
        }
      }
    }
  }

  /// Each token's result is bitwise the same whether it runs alone or at any place in a batch
  /// of 1...64 tokens, with one or two threads, through either tiling.
  func testBatchInvarianceBitwise() {
    var random = TestRandom(seed: 2)
    for type in types + [.q4_1, .q6_K] {
      for (rows, columns) in type.blockElements == 1 ? [(37, 1772), (22, 2983)] : [(37, 1792)] {
        let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
        let bias = random.floats(rows)
        let pool = random.floats(64 * columns)
        var single = [Float]()
        bias.withUnsafeBufferPointer { b in
          for t in 0..<64 {
            var y = [Float](repeating: .nan, count: rows)
            Kernels.linear(
              Array(pool[(t * columns)..<((t + 1) * columns)]), tokens: 1, weight: weights.matrix,
              bias: b.baseAddress, into: &y, parallelism: .serial)
            single += y
          }
          for (threads, tiling) in [(1, LinearTiling.wide), (2, .narrow), (1, .narrow), (2, .wide)]
          {
            for tokens in 1...64 {
              let start = (tokens * 7) % 64
              let order = (0..<tokens).map { (start + $0) % 64 }
              let x = order.flatMap { pool[($0 * columns)..<(($0 + 1) * columns)] }
              var y = [Float](repeating: .nan, count: tokens * rows)
              Kernels.linear(
                x, tokens: tokens, weight: weights.matrix, bias: b.baseAddress, into: &y,
                parallelism: parallelism(
                  threads: threads, work: tokens * rows * columns, units: (rows + 3) / 4,
                  "\(type) T=\(tokens)"), tiling: tiling)
              for (position, token) in order.enumerated() {
                assertBitwiseEqual(
                  y[(position * rows)..<((position + 1) * rows)],
                  single[(token * rows)..<((token + 1) * rows)],
                  "\(type) T=\(tokens) threads=\(threads) \(tiling) position=\(position)")
              }
            }
          }
        }
      }
    }
  }

  /// The largest |w| of `matrix` (at least 1).
  private func maxMagnitude(_ matrix: WeightMatrix) -> Float {
    var row = [Float](repeating: 0, count: matrix.columns)
    var largest: Float = 1
    for r in 0..<matrix.rows {
      matrix.widenRow(r, into: &row)
      largest = row.reduce(largest) { max($0, abs($1)) }
    }
    return largest
  }

  func testWidenRowIsExact() {
    var random = TestRandom(seed: 3)
    for type in WeightType.allCases {
      let columns = type.blockElements == 1 ? 21 : 512
      let weights = TestWeights(rows: 3, columns: columns, type: type, random: &random)
      var row = [Float](repeating: 0, count: columns)
      weights.matrix.widenRow(2, into: &row)
      let expected = (0..<columns).map {
        ReferenceKernels.element(weights.matrix, row: 2, column: $0)
      }
      assertBitwiseEqual(row[...], expected[...], "\(type)")
    }
  }

  /// A stored (quantized or half) matrix gives bit for bit what the `Float` matrix of its
  /// dequantized values gives, through either tiling: the decoders are exact and the reduction
  /// is the same.
  func testStoredTypesEqualTheirDequantizedFloatMatrix() {
    var random = TestRandom(seed: 5)
    for type in WeightType.allCases where type != .f32 {
      let (rows, columns) = type.blockElements == 1 ? (131, 523) : (131, 512)
      let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
      var widened = [Float](repeating: 0, count: rows * columns)
      for r in 0..<rows { weights.matrix.widenRow(r, into: &widened[r * columns]) }
      for tokens in [1, 2, 3, 4, 5, 7] {
        for tiling in LinearTiling.allCases {
          let x = random.floats(tokens * columns)
          var stored = [Float](repeating: .nan, count: tokens * rows)
          var float = stored
          Kernels.linear(
            x, tokens: tokens, weight: weights.matrix, bias: nil, into: &stored,
            parallelism: twoThreads(
              work: tokens * rows * columns, units: (rows + 3) / 4, "\(type) T=\(tokens)"),
            tiling: tiling)
          widened.withUnsafeBytes { raw in
            let matrix = WeightMatrix(
              rows: rows, columns: columns, type: .f32, base: raw.baseAddress!)
            Kernels.linear(
              x, tokens: tokens, weight: matrix, bias: nil, into: &float, parallelism: .serial)
          }
          assertBitwiseEqual(stored[...], float[...], "\(type) T=\(tokens) \(tiling)")
        }
      }
    }
  }

  /// A row order reads the rows of the stored matrix permuted, bit for bit.
  func testRowOrderPermutesRows() {
    var random = TestRandom(seed: 6)
    let (rows, columns) = (8, 256)
    let weights = TestWeights(rows: rows, columns: columns, type: .q4_K, random: &random)
    let order: [Int32] = [3, 0, 7, 1, 6, 2, 5, 4]
    let x = random.floats(3 * columns)
    var plain = [Float](repeating: .nan, count: 3 * rows)
    var permuted = plain
    Kernels.linear(
      x, tokens: 3, weight: weights.matrix, bias: nil, into: &plain, parallelism: .serial)
    order.withUnsafeBufferPointer { o in
      let matrix = WeightMatrix(
        rows: rows, columns: columns, type: .q4_K, base: weights.matrix.base,
        rowOrder: o.baseAddress)
      Kernels.linear(x, tokens: 3, weight: matrix, bias: nil, into: &permuted, parallelism: .serial)
    }
    for t in 0..<3 {
      for r in 0..<rows {
        XCTAssertEqual(
          permuted[t * rows + r].bitPattern, plain[t * rows + Int(order[r])].bitPattern)
      }
    }
  }
}

final class LinearProjectionsTests: XCTestCase {
  /// The fused call gives bitwise the results of separate calls.
  func testFusedProjectionsMatchSeparateCalls() {
    var random = TestRandom(seed: 4)
    let columns = 387
    let shapes: [(Int, WeightType, Bool)] = [
      (37, .f16, true), (5, .f32, false), (130, .bf16, true),
    ]
    let weights = shapes.map {
      TestWeights(rows: $0.0, columns: columns, type: $0.1, random: &random)
    }
    let biases = shapes.map { random.floats($0.0) }
    for tokens in [1, 3, 8] {
      let x = random.floats(tokens * columns)
      var fused = shapes.map { [Float](repeating: .nan, count: tokens * $0.0) }
      var separate = fused
      for threads in [1, 2] {
        for i in shapes.indices {
          biases[i].withUnsafeBufferPointer { b in
            Kernels.linear(
              x, tokens: tokens, weight: weights[i].matrix,
              bias: shapes[i].2 ? b.baseAddress : nil, into: &separate[i],
              parallelism: .serial)
          }
        }
        withProjections(weights, biases, shapes.map(\.2), &fused) { projections in
          Kernels.linear(
            x, tokens: tokens, projections: projections,
            parallelism: parallelism(
              threads: threads, work: tokens * shapes.map(\.0).reduce(0, +) * columns,
              units: shapes.map { ($0.0 + 3) / 4 }.reduce(0, +), "T=\(tokens)"))
        }
        for i in shapes.indices {
          assertBitwiseEqual(fused[i][...], separate[i][...], "projection \(i) T=\(tokens)")
        }
      }
    }
  }

  private func withProjections(
    _ weights: [TestWeights], _ biases: [[Float]], _ useBias: [Bool], _ outputs: inout [[Float]],
    _ body: ([LinearProjection]) -> Void
  ) {
    let biasPointers = biases.map { bias -> UnsafeMutablePointer<Float> in
      let p = UnsafeMutablePointer<Float>.allocate(capacity: bias.count)
      p.initialize(from: bias, count: bias.count)
      return p
    }
    let outputPointers = outputs.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
    let projections = weights.indices.map {
      LinearProjection(
        weight: weights[$0].matrix, bias: useBias[$0] ? UnsafePointer(biasPointers[$0]) : nil,
        output: outputPointers[$0])
    }
    body(projections)
    for i in outputs.indices {
      outputs[i] = Array(UnsafeBufferPointer(start: outputPointers[i], count: outputs[i].count))
      outputPointers[i].deallocate()
      biasPointers[i].deallocate()
    }
  }
}
