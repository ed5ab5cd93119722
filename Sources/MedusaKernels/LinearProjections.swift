/// One output of a fused ``Kernels/linear(_:tokens:projections:parallelism:)`` call: a weight
/// `[out][in]`, an optional bias `[out]` and the output buffer `[tokens][out]`.
public struct LinearProjection: @unchecked Sendable {
  /// The weight; its `columns` equal the width of the shared input.
  public let weight: WeightMatrix
  /// The bias, added after the dot product, or `nil`.
  public let bias: UnsafePointer<Float>?
  /// The output `[tokens][weight.rows]`.
  public let output: UnsafeMutablePointer<Float>

  /// Bundles one projection. The caller keeps the memory alive during the call.
  public init(
    weight: WeightMatrix, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
  ) {
    self.weight = weight
    self.bias = bias
    self.output = output
  }
}

extension Kernels {
  /// Several linear layers that share one input `x` `[tokens][in]` (q/k/v, gate/up, the Medusa
  /// heads), run as one fan-out: threads split the row blocks of all projections together, so
  /// small matrices do not each pay for a thread hand-off. Every output is bitwise what
  /// ``linear(_:tokens:weight:bias:into:parallelism:)`` gives for that projection alone.
  /// Keep the `projections` array across calls to avoid allocating in a forward pass.
  public static func linear(
    _ x: UnsafePointer<Float>, tokens: Int, projections: [LinearProjection],
    parallelism: Parallelism
  ) {
    guard tokens > 0 else { return }
    var blocks = 0
    var work = 0
    for projection in projections {
      blocks += (projection.weight.rows + 3) / 4
      work += tokens * projection.weight.rows * max(projection.weight.columns, 1)
    }
    let fanOut = work < 1 << 16 ? Parallelism.serial : parallelism
    let input = SendableConstPointer(x)
    fanOut.forEachChunk(blocks) { _, range in
      var first = 0
      for projection in projections {
        let count = (projection.weight.rows + 3) / 4
        let start = max(range.lowerBound, first)
        let end = min(range.upperBound, first + count)
        if start < end {
          let task = LinearTask(
            x: input.base, tokens: tokens, weight: projection.weight, bias: projection.bias,
            y: projection.output, tiling: .build)
          task.run(blocks: (start - first)..<(end - first))
        }
        first += count
      }
    }
  }
}
