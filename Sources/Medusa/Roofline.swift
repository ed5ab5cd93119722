import Foundation
import Llama
import MedusaKernels

/// The roofline of this machine (Williams, Waterman and Patterson, "Roofline", CACM 2009): a
/// forward pass can be no faster than reading its weights once at the read bandwidth, nor than
/// computing its multiply-adds at the fused-multiply-add rate. `medusa bench` measures both
/// rates (``MemoryBandwidth/read(threads:megabytes:repeats:)``,
/// ``multiplyAddRate(threads:repeats:)``) and prints each measurement beside its floor, so a
/// reader sees how far the kernels are from the machine, and which side bounds them.
public struct Roofline: Sendable, Equatable {
  /// Which side of the roofline sets a floor.
  public enum Bound: String, Sendable {
    /// Reading the weights takes longer than their arithmetic.
    case memory
    /// The arithmetic takes longer than reading the weights.
    case compute
  }

  /// Read bandwidth, bytes per second.
  public let bytesPerSecond: Double
  /// Fused multiply-adds per second, every lane counted.
  public let multiplyAddsPerSecond: Double

  /// A roofline from the two measured rates.
  public init(bytesPerSecond: Double, multiplyAddsPerSecond: Double) {
    self.bytesPerSecond = bytesPerSecond
    self.multiplyAddsPerSecond = multiplyAddsPerSecond
  }

  /// The least time of work that reads `bytes` and computes `multiplyAdds`, and the side that
  /// sets it: the larger of the two times (the model assumes they overlap perfectly).
  public func floor(bytes: Double, multiplyAdds: Double) -> (seconds: Double, bound: Bound) {
    let memory = bytes / bytesPerSecond
    let compute = multiplyAdds / multiplyAddsPerSecond
    return memory >= compute ? (memory, .memory) : (compute, .compute)
  }

  /// The floor of one forward of `model` over `tokens` tokens after `context` cached positions,
  /// logits for `logits` of them (default all): its weights read once
  /// (``LlamaModel/weightBytesPerForward``) against its multiply-adds
  /// (``LlamaModel/multiplyAddsPerForward(tokens:context:logits:)``).
  public func forward(_ model: LlamaModel, tokens: Int, context: Int, logits: Int? = nil)
    -> (seconds: Double, bound: Bound)
  {
    floor(
      bytes: Double(model.weightBytesPerForward),
      multiplyAdds: Double(
        model.multiplyAddsPerForward(tokens: tokens, context: context, logits: logits)))
  }

  /// Sixteen-lane fused multiply-adds per second on `threads` threads, every lane counted (one
  /// `SIMD16<Float>` FMA is 16): each thread runs twelve independent accumulator chains, enough
  /// to cover the FMA latency of every x86-64 and ARM core this project targets, so the rate is
  /// the cores' FMA throughput. The median of `repeats` runs of about 50 ms. The kernels' dot
  /// products are these same FMAs, so this is their arithmetic ceiling; what bits anything
  /// computes never depends on it.
  package static func multiplyAddRate(threads: Int, repeats: Int = 5) -> Double {
    let parallelism = Parallelism(threads: threads)
    let iterations = 1 << 20
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(threads, 1))
    defer { sums.deallocate() }
    let out = SendablePointer(sums)
    var rates: [Double] = []
    for _ in 0..<repeats {
      let start = Clock.now()
      parallelism.forEachChunk(threads) { chunk, _ in
        out.base[chunk] = fusedChains(iterations: iterations, seed: Float(chunk))
      }
      let seconds = Clock.now() - start
      rates.append(Double(threads * iterations * 12 * 16) / seconds)
    }
    return Statistics.median(rates)
  }

  /// Twelve independent chains `a = fma(a, m, c)` of sixteen lanes, `iterations` steps each.
  /// With `m` just below 1 every chain converges to `c / (1 - m)`: no overflow, no subnormals.
  @inline(never)
  private static func fusedChains(iterations: Int, seed: Float) -> Float {
    let m = SIMD16<Float>(repeating: 0.999)
    let c = SIMD16<Float>(repeating: 0.001)
    var a0 = SIMD16<Float>(repeating: seed + 0)
    var a1 = SIMD16<Float>(repeating: seed + 1)
    var a2 = SIMD16<Float>(repeating: seed + 2)
    var a3 = SIMD16<Float>(repeating: seed + 3)
    var a4 = SIMD16<Float>(repeating: seed + 4)
    var a5 = SIMD16<Float>(repeating: seed + 5)
    var a6 = SIMD16<Float>(repeating: seed + 6)
    var a7 = SIMD16<Float>(repeating: seed + 7)
    var a8 = SIMD16<Float>(repeating: seed + 8)
    var a9 = SIMD16<Float>(repeating: seed + 9)
    var a10 = SIMD16<Float>(repeating: seed + 10)
    var a11 = SIMD16<Float>(repeating: seed + 11)
    for _ in 0..<iterations {
      a0 = c.addingProduct(a0, m)
      a1 = c.addingProduct(a1, m)
      a2 = c.addingProduct(a2, m)
      a3 = c.addingProduct(a3, m)
      a4 = c.addingProduct(a4, m)
      a5 = c.addingProduct(a5, m)
      a6 = c.addingProduct(a6, m)
      a7 = c.addingProduct(a7, m)
      a8 = c.addingProduct(a8, m)
      a9 = c.addingProduct(a9, m)
      a10 = c.addingProduct(a10, m)
      a11 = c.addingProduct(a11, m)
    }
    let sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
    return sum.sum()
  }
}
