import Llama
import MedusaKernels

extension MedusaHeads {
  /// Floats of work memory ``logits(hidden:heads:into:work:parallelism:)`` needs for `count`
  /// heads: every head's state and its ResBlock's output.
  public func workCount(heads count: Int) -> Int { max(1, 2 * count * hiddenSize) }

  /// The logits of the first `count` heads (paper §2.1.1) for one hidden state, batched:
  /// `output` receives `[count][vocabularySize]` (head k at `output + k · vocabularySize`).
  /// `work` holds ``workCount(heads:)`` floats.
  ///
  /// 1. The ResBlocks of the heads run side by side, one head per thread (or, with fewer heads
  ///    than threads, one head after the other with each linear split over the threads).
  /// 2. The vocabulary projections:
  ///    - shared LM head (``HeadProjection/baseLanguageModelHead``): ONE ``Kernels/linear`` with
  ///      `tokens = count` over the base model's LM head, so every (quantized) weight is decoded
  ///      once for all heads instead of once per head;
  ///    - own projections: the `count` matrices run in one fan-out over the threads (their rows
  ///      taken together and split in blocks of 4), instead of `count` fan-outs one after the
  ///      other.
  ///
  /// Batch invariance of the kernels makes every logit the same bits as computing each head
  /// alone with ``logits(hidden:into:work:parallelism:)``, for any thread count (tested).
  public func logits(
    hidden: UnsafePointer<Float>, heads count: Int, into output: UnsafeMutablePointer<Float>,
    work: UnsafeMutablePointer<Float>, parallelism: Parallelism
  ) {
    let count = min(count, headCount)
    guard count > 0 else { return }
    let h = hiddenSize
    let states = SendablePointer(work)
    let transformed = SendablePointer(work + count * h)
    let source = SendableConstPointer(hidden)
    let all = heads
    if count >= parallelism.threads {
      parallelism.forEachChunk(count) { _, range in
        for k in range {
          (states.base + k * h).update(from: source.base, count: h)
          Self.resBlocks(
            all[k], state: states.base + k * h, transformed: transformed.base + k * h,
            parallelism: .serial)
        }
      }
    } else {
      for k in 0..<count {
        (work + k * h).update(from: hidden, count: h)
        Self.resBlocks(
          all[k], state: work + k * h, transformed: work + count * h + k * h,
          parallelism: parallelism)
      }
    }
    switch headProjection {
    case .baseLanguageModelHead:
      Kernels.linear(
        work, tokens: count, weight: heads[0].projection, bias: nil, into: output,
        parallelism: parallelism)
    case .own:
      ownProjections(states: work, count: count, into: output, parallelism: parallelism)
    }
  }

  /// The own projections of `count` heads in one fan-out: the heads' rows, taken in order as
  /// one list of `count · V` rows, are split in blocks of 4 over the threads; each thread runs
  /// ``Kernels/linear`` serially on its rows of each head (a view of those rows), which computes
  /// each logit with the same operations as the whole matrix would.
  private func ownProjections(
    states: UnsafeMutablePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
    parallelism: Parallelism
  ) {
    let v = vocabularySize
    let h = hiddenSize
    let blocksPerHead = (v + 3) / 4
    let input = SendableConstPointer(states)
    let out = SendablePointer(output)
    let matrices = heads.prefix(count).map(\.projection)
    parallelism.forEachChunk(count * blocksPerHead) { _, range in
      var block = range.lowerBound
      while block < range.upperBound {
        let k = block / blocksPerHead
        let end = min(range.upperBound, (k + 1) * blocksPerHead)
        let first = (block - k * blocksPerHead) * 4
        let last = min(v, (end - k * blocksPerHead) * 4)
        let matrix = matrices[k]
        let rows = WeightMatrix(
          rows: last - first, columns: matrix.columns, type: matrix.type,
          base: matrix.rowOrder == nil ? matrix.base + first * matrix.rowBytes : matrix.base,
          rowOrder: matrix.rowOrder.map { $0 + first })
        Kernels.linear(
          input.base + k * h, tokens: 1, weight: rows, bias: nil, into: out.base + k * v + first,
          parallelism: .serial)
        block = end
      }
    }
  }
}
