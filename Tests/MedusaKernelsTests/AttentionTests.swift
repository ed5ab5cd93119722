import MedusaKernels
import XCTest

final class AttentionTests: XCTestCase {
  private struct Setup {
    let heads: Int
    let kvHeads: Int
    let headDimension: Int
    let rowCount: Int
    let keys: [Float]
    let values: [Float]

    init(heads: Int, kvHeads: Int, headDimension: Int, rowCount: Int, random: inout TestRandom) {
      self.heads = heads
      self.kvHeads = kvHeads
      self.headDimension = headDimension
      self.rowCount = rowCount
      keys = random.floats(rowCount * kvHeads * headDimension, scale: 2)
      values = random.floats(rowCount * kvHeads * headDimension)
    }

    var scale: Float { 1 / Float(headDimension).squareRoot() }

    /// The keys and values rearranged `[kvHead][room][headDimension]`, `room >= rowCount`
    /// rows per head (``KVCache``'s layout), and that layout.
    func headMajor(room: Int) -> (keys: [Float], values: [Float], layout: CacheLayout) {
      let d = headDimension
      func rearranged(_ rows: [Float]) -> [Float] {
        var out = [Float](repeating: .nan, count: kvHeads * room * d)
        for r in 0..<rowCount {
          for g in 0..<kvHeads {
            for i in 0..<d { out[(g * room + r) * d + i] = rows[(r * kvHeads + g) * d + i] }
          }
        }
        return out
      }
      return (rearranged(keys), rearranged(values), .headMajor(rows: room, headDimension: d))
    }

    /// The kernel's output (the interleaved layout, or with `room` the head-major one); a
    /// 2-thread case must give the kernel at least two blocks of work (query blocks × KV
    /// heads), or it would run on one thread.
    func fast(
      queries: [Float], visible: VisibleRows, threads: Int, room: Int? = nil,
      file: StaticString = #filePath, line: UInt = #line
    ) -> [Float] {
      let blocks =
        (visible.queryCount + Kernels.attentionQueryBlock - 1) / Kernels.attentionQueryBlock
      let parallelism = MedusaKernelsTests.parallelism(
        threads: threads, units: blocks * kvHeads, "attention", file: file, line: line)
      var scratch = [Float](
        repeating: .nan,
        count: parallelism.threads
          * Kernels.attentionScratchCount(
            heads: heads, kvHeads: kvHeads, maxRowsPerQuery: visible.maxRowsPerQuery))
      var out = [Float](repeating: .nan, count: visible.queryCount * heads * headDimension)
      let (k, v, layout) =
        room.map { headMajor(room: $0) }
        ?? (keys, values, .interleaved(kvHeads: kvHeads, headDimension: headDimension))
      Kernels.attention(
        queries: queries, keys: k, values: v, layout: layout, visible: visible, heads: heads,
        kvHeads: kvHeads, headDimension: headDimension, scale: scale, scratch: &scratch,
        into: &out, parallelism: parallelism)
      return out
    }

    func naive(queries: [Float], visible: VisibleRows) -> [Float] {
      var out = [Float](repeating: .nan, count: visible.queryCount * heads * headDimension)
      ReferenceKernels.attention(
        queries: queries, keys: keys, values: values, visible: visible, heads: heads,
        kvHeads: kvHeads, headDimension: headDimension, scale: scale, into: &out)
      return out
    }
  }

  /// Random visible sets: a causal prefix of random length plus a few random extra rows.
  private func randomRows(_ count: Int, rowCount: Int, random: inout TestRandom) -> [[Int]] {
    (0..<count).map { _ in
      let prefix = random.int(rowCount)
      return Array(0..<prefix) + (0..<random.int(4)).map { _ in random.int(rowCount) }
    }
  }

  private func csr(_ lists: [[Int]]) -> VisibleRows {
    var offsets = [0]
    for list in lists { offsets.append(offsets[offsets.count - 1] + list.count) }
    return VisibleRows(offsets: offsets, rows: lists.flatMap { $0 })
  }

  func testMatchesReference() {
    var random = TestRandom(seed: 10)
    for (heads, kvHeads, d) in [(4, 4, 16), (6, 2, 67), (8, 1, 64), (2, 2, 5)] {
      let setup = Setup(
        heads: heads, kvHeads: kvHeads, headDimension: d, rowCount: 40, random: &random)
      let lists = randomRows(9, rowCount: 40, random: &random) + [[], [3]]
      let visible = csr(lists)
      let queries = random.floats(visible.queryCount * heads * d, scale: 2)
      let fast = setup.fast(queries: queries, visible: visible, threads: 2)
      let naive = setup.naive(queries: queries, visible: visible)
      // Outputs are convex combinations of values in [-1, 1]: errors are a few ulp of 1.
      assertClose(fast, naive, absolute: 2e-6, "heads \(heads)/\(kvHeads) d \(d)")
      let emptyStart = 9 * heads * d
      XCTAssertTrue(fast[emptyStart..<(emptyStart + heads * d)].allSatisfy { $0 == 0 })
    }
  }

  /// A shared prefix gives bitwise what listing the same rows in every query's own list gives,
  /// with queries in blocks and grouped heads, 1 and 2 threads.
  func testSharedPrefixEqualsExplicitRows() {
    var random = TestRandom(seed: 13)
    let setup = Setup(heads: 9, kvHeads: 3, headDimension: 64, rowCount: 50, random: &random)
    let prefix = 37
    let own = (0..<11).map { q in (0..<(q % 4)).map { _ in prefix + random.int(13) } }
    let queries = random.floats(own.count * 9 * 64, scale: 2)
    var offsets = [0]
    for list in own { offsets.append(offsets[offsets.count - 1] + list.count) }
    let shared = VisibleRows(prefix: prefix, offsets: offsets, rows: own.flatMap { $0 })
    XCTAssertEqual(shared.maxRowsPerQuery, prefix + 3)
    let explicit = csr(own.map { Array(0..<prefix) + $0 })
    for threads in [1, 2] {
      assertBitwiseEqual(
        setup.fast(queries: queries, visible: shared, threads: threads)[...],
        setup.fast(queries: queries, visible: explicit, threads: 1)[...], "threads \(threads)")
      assertBitwiseEqual(
        setup.fast(queries: queries, visible: shared, threads: threads, room: 53)[...],
        setup.fast(queries: queries, visible: explicit, threads: 1)[...],
        "head-major, threads \(threads)")
    }
    assertClose(
      setup.fast(queries: queries, visible: shared, threads: 2),
      setup.naive(queries: queries, visible: shared), absolute: 2e-6, "reference")
  }

  func testVisibleRowsCounts() {
    let visible = VisibleRows(offsets: [0, 3, 3, 7], rows: [0, 1, 2, 0, 1, 2, 5])
    XCTAssertEqual(visible.queryCount, 3)
    XCTAssertEqual(visible.maxRowsPerQuery, 4)
    XCTAssertEqual(VisibleRows(offsets: [], rows: []).queryCount, 0)
  }

  /// Each query's output is bitwise the same alone or in a batch of 1...64, with 1 or 2 threads.
  func testBatchInvarianceBitwise() {
    var random = TestRandom(seed: 11)
    let setup = Setup(heads: 4, kvHeads: 2, headDimension: 36, rowCount: 90, random: &random)
    let stride = setup.heads * setup.headDimension
    let lists = randomRows(64, rowCount: 90, random: &random)
    let pool = random.floats(64 * stride, scale: 2)
    let single = (0..<64).map { q in
      setup.fast(
        queries: Array(pool[(q * stride)..<((q + 1) * stride)]), visible: csr([lists[q]]),
        threads: 1)
    }
    for threads in [1, 2] {
      for count in 1...64 {
        let order = (0..<count).map { (count * 5 + $0) % 64 }
        let queries = order.flatMap { pool[($0 * stride)..<(($0 + 1) * stride)] }
        let out = setup.fast(
          queries: queries, visible: csr(order.map { lists[$0] }), threads: threads)
        for (position, q) in order.enumerated() {
          assertBitwiseEqual(
            out[(position * stride)..<((position + 1) * stride)], single[q][...],
            "queries=\(count) threads=\(threads) position=\(position)")
        }
      }
    }
  }

  /// Writing the output over the queries gives the same bits.
  func testOutputMayOverwriteQueries() {
    var random = TestRandom(seed: 12)
    let setup = Setup(heads: 4, kvHeads: 1, headDimension: 24, rowCount: 30, random: &random)
    let visible = csr(randomRows(7, rowCount: 30, random: &random) + [[]])
    let queries = random.floats(visible.queryCount * 4 * 24)
    let expected = setup.fast(queries: queries, visible: visible, threads: 2)
    let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: queries.count)
    defer { buffer.deallocate() }
    _ = buffer.initialize(from: queries)
    var scratch = [Float](
      repeating: 0,
      count: 2
        * Kernels.attentionScratchCount(
          heads: 8, kvHeads: 1, maxRowsPerQuery: visible.maxRowsPerQuery))
    if let base = buffer.baseAddress {
      Kernels.attention(
        queries: base, keys: setup.keys, values: setup.values,
        layout: .interleaved(kvHeads: 1, headDimension: 24), visible: visible, heads: 4,
        kvHeads: 1, headDimension: 24, scale: setup.scale, scratch: &scratch, into: base,
        parallelism: twoThreads(units: (visible.queryCount + 3) / 4))
    }
    assertBitwiseEqual(Array(buffer)[...], expected[...], "in place")
  }

  /// Decoding one token: with fewer work items than two per thread, the items are cut into
  /// slices of two (query, head) pairs. SmolLM2's shape (9 heads on 3 key/value heads) and one
  /// key/value head for 6 heads give the bits of one thread on 2 and 3 threads, and match the
  /// reference.
  func testDecodeSlicesGiveTheSameBits() {
    var random = TestRandom(seed: 13)
    for (heads, kvHeads, d) in [(9, 3, 64), (6, 1, 48), (5, 1, 16)] {
      let setup = Setup(
        heads: heads, kvHeads: kvHeads, headDimension: d, rowCount: 50, random: &random)
      let visible = VisibleRows(
        prefix: 45, offsets: [0, 2], rows: [46, 48])
      let queries = random.floats(heads * d, scale: 2)
      let one = setup.fast(queries: queries, visible: visible, threads: 1)
      for threads in [2, 3] {
        var scratch = [Float](
          repeating: .nan,
          count: threads
            * Kernels.attentionScratchCount(
              heads: heads, kvHeads: kvHeads, maxRowsPerQuery: visible.maxRowsPerQuery))
        var out = [Float](repeating: .nan, count: heads * d)
        Kernels.attention(
          queries: queries, keys: setup.keys, values: setup.values,
          layout: .interleaved(kvHeads: kvHeads, headDimension: d), visible: visible,
          heads: heads, kvHeads: kvHeads, headDimension: d, scale: setup.scale,
          scratch: &scratch, into: &out, parallelism: Parallelism(threads: threads))
        assertBitwiseEqual(out[...], one[...], "heads \(heads)/\(kvHeads), \(threads) threads")
      }
      assertClose(one, setup.naive(queries: queries, visible: visible), absolute: 2e-6, "\(heads)")
    }
  }
}
