import Foundation
import MedusaKernels

/// This machine's memory bandwidth, measured: the roofline that `medusa bench` compares
/// decoding with. Both probes stream arrays far larger than the caches with `threads` threads
/// (``Parallelism/forEachChunk(_:_:)``), time each run with ``Clock`` and report the median
/// GB/s (10^9 bytes per second) over `repeats` runs. Times differ from run to run; nothing here
/// changes any result of decoding.
package enum MemoryBandwidth {
  /// Read-only bandwidth: the sum of a `megabytes` MiB array in 16-lane vectors with four
  /// independent accumulators, counting 4 bytes per element. Decoding is a read-only stream of
  /// weights, so this is its roofline.
  package static func read(threads: Int, megabytes: Int = 512, repeats: Int = 5) -> Double {
    let count = megabytes * 1024 * 1024 / 4
    let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { a.deallocate() }
    a.initialize(repeating: 1, count: count)
    let pa = SendableConstPointer(UnsafePointer(a))
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(threads, 1))
    defer { sums.deallocate() }
    let out = SendablePointer(sums)
    let parallelism = Parallelism(threads: threads)
    var rates: [Double] = []
    for _ in 0..<repeats {
      let start = Clock.now()
      parallelism.forEachChunk(count / 64) { chunk, range in
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var s2 = SIMD16<Float>()
        var s3 = SIMD16<Float>()
        for block in range {
          let p = UnsafeRawPointer(pa.base + block * 64)
          s0 += p.loadUnaligned(fromByteOffset: 0, as: SIMD16<Float>.self)
          s1 += p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
          s2 += p.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
          s3 += p.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
        }
        out.base[chunk] = (s0 + s1 + s2 + s3).sum()
      }
      let seconds = Clock.now() - start
      rates.append(Double(4 * count) / seconds / 1e9)
    }
    return Statistics.median(rates)
  }

  /// STREAM-style triad bandwidth: `a[i] = b[i] + s * c[i]` over three `megabytesPerArray` MiB
  /// arrays in 8-lane vectors, counting 3 × 4 bytes per element as STREAM does.
  package static func triad(threads: Int, megabytesPerArray: Int = 128, repeats: Int = 5)
    -> Double
  {
    let count = megabytesPerArray * 1024 * 1024 / 4
    let a = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let b = UnsafeMutablePointer<Float>.allocate(capacity: count)
    let c = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer {
      a.deallocate()
      b.deallocate()
      c.deallocate()
    }
    a.initialize(repeating: 0, count: count)
    b.initialize(repeating: 1, count: count)
    c.initialize(repeating: 2, count: count)
    let pa = SendablePointer(a)
    let pb = SendablePointer(b)
    let pc = SendablePointer(c)
    let parallelism = Parallelism(threads: threads)
    var rates: [Double] = []
    for _ in 0..<repeats {
      let start = Clock.now()
      parallelism.forEachChunk(count / 8) { _, range in
        let scale = SIMD8<Float>(repeating: 3)
        for block in range {
          let offset = block * 8
          let vb = UnsafeRawPointer(pb.base + offset).loadUnaligned(as: SIMD8<Float>.self)
          let vc = UnsafeRawPointer(pc.base + offset).loadUnaligned(as: SIMD8<Float>.self)
          UnsafeMutableRawPointer(pa.base + offset).storeBytes(
            of: vb + scale * vc, as: SIMD8<Float>.self)
        }
      }
      let seconds = Clock.now() - start
      rates.append(Double(3 * 4 * count) / seconds / 1e9)
    }
    return Statistics.median(rates)
  }
}
