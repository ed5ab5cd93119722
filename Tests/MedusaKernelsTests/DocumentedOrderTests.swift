import MedusaKernels
import XCTest

/// Re-implements the documented operation orders with plain scalar `Float` code, as another
/// backend would from the doc comments, and requires the fast kernels to match it bit for bit.
final class DocumentedOrderTests: XCTestCase {
  /// The fixed-order dot product of the ``Kernels`` documentation, one scalar at a time:
  /// sixteen fused multiply-add lanes, the fixed lane tree, the fused scalar tail.
  private func documentedDot(_ x: [Float], _ w: [Float]) -> Float {
    let n = x.count
    let m = n - n % 16
    var acc = [Float](repeating: 0, count: 16)
    for c in stride(from: 0, to: m, by: 16) {
      for i in 0..<16 { acc[i] = acc[i].addingProduct(x[c + i], w[c + i]) }
    }
    let h8 = (0..<8).map { acc[$0] + acc[$0 + 8] }
    let h4 = (0..<4).map { h8[$0] + h8[$0 + 4] }
    let h2 = (0..<2).map { h4[$0] + h4[$0 + 2] }
    var s = h2[0] + h2[1]
    for j in m..<n { s = s.addingProduct(x[j], w[j]) }
    return s
  }

  /// The documented `exp` algorithm in scalar `Float`.
  private func documentedExp(_ x: Float) -> Float {
    if x.isNaN { return x }
    if x > 88.72283935546875 { return .infinity }
    if x < -104 { return 0 }
    let n = (x * 1.44269504088896341).rounded(.toNearestOrEven)
    let r = (x - n * 0.693359375) - n * -2.12194440e-4
    var p: Float = 1.9875691500e-4
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let e = (p * (r * r) + r) + 1
    let k = Int(n)
    let half = k >> 1
    return (e * Float(sign: .plus, exponent: half, significand: 1))
      * Float(sign: .plus, exponent: k - half, significand: 1)
  }

  func testLinearFollowsTheDocumentedOrder() {
    var random = TestRandom(seed: 50)
    for type in WeightType.allCases {
      for columns in type.blockElements == 1 ? [3, 8, 67, 200] : [256, 512] {
        for (tokens, tiling) in [(6, LinearTiling.wide), (3, .narrow), (6, .narrow)] {
          // Enough rows that the kernel really splits the call over the two threads.
          let rows = max(9, serialWorkLimit / (tokens * columns) + 5)
          let weights = TestWeights(rows: rows, columns: columns, type: type, random: &random)
          let bias = random.floats(rows)
          let x = random.floats(tokens * columns)
          var y = [Float](repeating: .nan, count: tokens * rows)
          Kernels.linear(
            x, tokens: tokens, weight: weights.matrix, bias: bias, into: &y,
            parallelism: twoThreads(
              work: tokens * rows * columns, units: (rows + 3) / 4, "\(type) \(columns)"),
            tiling: tiling)
          for o in 0..<rows {
            let w = (0..<columns).map {
              ReferenceKernels.element(weights.matrix, row: o, column: $0)
            }
            for t in 0..<tokens {
              let expected =
                documentedDot(Array(x[(t * columns)..<((t + 1) * columns)]), w) + bias[o]
              XCTAssertEqual(
                y[t * rows + o].bitPattern, expected.bitPattern, "\(type) \(columns) \(tiling)")
            }
          }
        }
      }
    }
  }

  func testExpFollowsTheDocumentedAlgorithm() {
    var random = TestRandom(seed: 51)
    let specials: [Float] = [0, -0.0, 1, -1, 88.72, -87.5, -103.9, 89, -105, 0.34657359]
    for x in specials + (0..<50_000).map({ _ in random.float(110) }) {
      XCTAssertEqual(Kernels.exp(x).bitPattern, documentedExp(x).bitPattern, "x = \(x)")
    }
  }

  func testAttentionFollowsTheDocumentedOrder() {
    var random = TestRandom(seed: 52)
    let tree = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [4, 2, 9], [7]]
    checkDocumentedAttention(
      heads: 4, kvHeads: 2, d: 19, rowCount: 12, prefix: 0, lists: tree, random: &random)
    // With a shared prefix: key blocks of eight, value blocks of 64 outputs and the remainders.
    let nodes = [[40, 41], [40], [42, 43, 44], [], [45]]
    for (heads, kvHeads, d, prefix) in [
      (9, 3, 64, 37), (4, 4, 128, 24), (2, 1, 80, 19), (3, 3, 48, 8),
    ] {
      checkDocumentedAttention(
        heads: heads, kvHeads: kvHeads, d: d, rowCount: 46, prefix: prefix, lists: nodes,
        random: &random)
    }
  }

  /// Runs attention on random data with two threads and compares every output bit for bit with
  /// the documented formula, query by query over its visible rows (the prefix, then its list).
  private func checkDocumentedAttention(
    heads: Int, kvHeads: Int, d: Int, rowCount: Int, prefix: Int, lists: [[Int]],
    random: inout TestRandom
  ) {
    let keys = random.floats(rowCount * kvHeads * d, scale: 2)
    let values = random.floats(rowCount * kvHeads * d)
    var offsets = [0]
    for list in lists { offsets.append(offsets[offsets.count - 1] + list.count) }
    let visible = VisibleRows(prefix: prefix, offsets: offsets, rows: lists.flatMap { $0 })
    let queries = random.floats(lists.count * heads * d, scale: 2)
    let scale: Float = 0.3
    var scratch = [Float](
      repeating: 0,
      count: 2
        * Kernels.attentionScratchCount(
          heads: heads, kvHeads: kvHeads, maxRowsPerQuery: visible.maxRowsPerQuery))
    var out = [Float](repeating: .nan, count: queries.count)
    Kernels.attention(
      queries: queries, keys: keys, values: values,
      layout: .interleaved(kvHeads: kvHeads, headDimension: d), visible: visible, heads: heads,
      kvHeads: kvHeads, headDimension: d, scale: scale, scratch: &scratch, into: &out,
      parallelism: twoThreads(
        units: (lists.count + Kernels.attentionQueryBlock - 1) / Kernels.attentionQueryBlock
          * kvHeads))
    let label = "heads \(heads)/\(kvHeads) d \(d) prefix \(prefix)"
    for (q, list) in lists.enumerated() {
      let rows = Array(0..<prefix) + list
      for h in 0..<heads {
        let g = h / (heads / kvHeads)
        let query = Array(queries[((q * heads + h) * d)..<((q * heads + h + 1) * d)])
        let key = { (r: Int) in Array(keys[((r * kvHeads + g) * d)..<((r * kvHeads + g + 1) * d)]) }
        let s = rows.map { documentedDot(query, key($0)) * scale }
        let m = s.reduce(-Float.infinity) { max($0, $1) }
        let p = s.map { documentedExp($0 - m) }
        let sum = p.reduce(0, +)
        var o = [Float](repeating: 0, count: d)
        for (j, r) in rows.enumerated() {
          for i in 0..<d { o[i] = o[i].addingProduct(p[j], values[(r * kvHeads + g) * d + i]) }
        }
        for i in 0..<d {
          let expected = rows.isEmpty ? 0 : o[i] / sum
          XCTAssertEqual(
            out[(q * heads + h) * d + i].bitPattern, expected.bitPattern, "\(label) q \(q) h \(h)")
        }
      }
    }
  }

  func testElementwiseKernelsFollowTheDocumentedOrder() {
    var random = TestRandom(seed: 53)
    let d = 45
    let x = random.floats(d, scale: 4)
    let w = random.floats(d)
    var y = [Float](repeating: .nan, count: d)
    Kernels.rmsNorm(x, tokens: 1, dimension: d, weight: w, epsilon: 1e-5, into: &y)
    let r = 1 / (documentedDot(x, x) / Float(d) + 1e-5).squareRoot()
    XCTAssertEqual(y.map(\.bitPattern), (0..<d).map { ((x[$0] * r) * w[$0]).bitPattern })

    let gate = random.floats(d, scale: 20)
    Kernels.swiGLU(gate: gate, up: w, count: d, into: &y)
    XCTAssertEqual(
      y.map(\.bitPattern),
      (0..<d).map { ((gate[$0] / (1 + documentedExp(-gate[$0]))) * w[$0]).bitPattern })

    var probabilities = x
    Kernels.softmax(&probabilities, count: d)
    let m = x.reduce(-Float.infinity) { max($0, $1) }
    let p = x.map { documentedExp($0 - m) }
    let sum = Float(p.reduce(0.0) { $0 + Double($1) })
    XCTAssertEqual(probabilities.map(\.bitPattern), p.map { ($0 / sum).bitPattern })
  }
}
