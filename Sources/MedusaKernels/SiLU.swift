extension Kernels {
  /// `out[i] = x[i] / (1 + exp(-x[i]))` (SiLU, the activation of the Medusa ResBlock), with
  /// this module's ``exp(_:)``: the same formula and bits as the gate of
  /// ``swiGLU(gate:up:count:into:)``. `out` may alias `x`.
  public static func silu(
    _ x: UnsafePointer<Float>, count: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let one = SIMD8<Float>(repeating: 1)
    var i = 0
    while i + 8 <= count {
      let g = Reduction.loadFloats(x, i)
      Reduction.storeFloats(g / (one + exp8(-g)), out, i)
      i += 8
    }
    while i < count {
      let g = x[i]
      out[i] = g / (1 + exp(-g))
      i += 1
    }
  }
}
