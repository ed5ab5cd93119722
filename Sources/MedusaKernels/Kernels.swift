/// The fast kernels: SIMD math on raw buffers, batch-invariant to the bit.
///
/// Every kernel computes the value of one token (row) with exactly the same sequence of
/// floating-point operations whatever the batch size, the token's position in the batch, the
/// number of threads or the build configuration: reductions run in one fixed order (see
/// ``Reduction``), no fused multiply-add is ever used, and `exp` is this module's own portable
/// ``Kernels/exp(_:)``. ``ReferenceKernels`` holds naive twins with the same semantics.
public enum Kernels {}
