import Foundation
import MedusaKernels
import XCTest

final class ElementwiseTests: XCTestCase {
  func testRMSNormMatchesReference() {
    var random = TestRandom(seed: 30)
    for dimension in [1, 7, 64, 67] {
      let x = random.floats(3 * dimension, scale: 3)
      let weight = random.floats(dimension)
      var fast = [Float](repeating: .nan, count: x.count)
      var naive = fast
      Kernels.rmsNorm(
        x, tokens: 3, dimension: dimension, weight: weight, epsilon: 1e-6, into: &fast)
      ReferenceKernels.rmsNorm(
        x, tokens: 3, dimension: dimension, weight: weight, epsilon: 1e-6, into: &naive)
      // |y| <= sqrt(dimension) * |w|; a handful of roundings on that scale.
      assertClose(fast, naive, absolute: 1e-6, relative: 1e-6, "dimension \(dimension)")
    }
  }

  func testRotaryMatchesReferenceAndIsAnIsometry() {
    var random = TestRandom(seed: 31)
    for d in [4, 18, 64] {
      let tokens = 3
      let heads = 2
      let inverse = (0..<(d / 2)).map { Float(pow(10000, -2 * Double($0) / Double(d))) }
      var cos = [Float](repeating: 0, count: tokens * d / 2)
      var sin = cos
      for t in 0..<tokens {
        cos.withUnsafeMutableBufferPointer { c in
          sin.withUnsafeMutableBufferPointer { s in
            if let cBase = c.baseAddress, let sBase = s.baseAddress {
              Kernels.rotaryAngles(
                position: 97 * t, inverseFrequencies: inverse, count: d / 2,
                cos: cBase + t * d / 2, sin: sBase + t * d / 2)
            }
          }
        }
      }
      XCTAssertEqual(cos[0], 1)
      XCTAssertEqual(sin[0], 0)
      XCTAssertEqual(cos[d / 2 + 1], Float(Foundation.cos(Double(Float(97) * inverse[1]))))
      let x = random.floats(tokens * heads * d)
      var fast = x
      var naive = x
      Kernels.applyRotary(&fast, tokens: tokens, heads: heads, headDimension: d, cos: cos, sin: sin)
      ReferenceKernels.applyRotary(
        &naive, tokens: tokens, heads: heads, headDimension: d, cos: cos, sin: sin)
      assertClose(fast, naive, absolute: 3e-7, "d \(d)")
      let before = x.reduce(0) { $0 + $1 * $1 }
      let after = fast.reduce(0) { $0 + $1 * $1 }
      XCTAssertEqual(before, after, accuracy: 1e-4 * before)
    }
  }

  func testSwiGLUMatchesReference() {
    var random = TestRandom(seed: 32)
    let gate = random.floats(203, scale: 30) + [-200, 200, 0]
    let up = random.floats(206, scale: 2)
    var fast = [Float](repeating: .nan, count: 206)
    var naive = fast
    Kernels.swiGLU(gate: gate, up: up, count: 206, into: &fast)
    ReferenceKernels.swiGLU(gate: gate, up: up, count: 206, into: &naive)
    assertClose(fast, naive, absolute: 1e-30, relative: 5e-7, "swiGLU")
  }

  func testAddAliasing() {
    var a: [Float] = (0..<19).map { Float($0) }
    let b: [Float] = (0..<19).map { Float($0) * 0.5 }
    a.withUnsafeMutableBufferPointer { p in
      if let base = p.baseAddress {
        Kernels.add(base, b, count: 19, into: base)
      }
    }
    XCTAssertEqual(a, (0..<19).map { Float($0) * 1.5 })
  }

  func testSoftmaxSumsToOneAndMatchesReference() {
    var random = TestRandom(seed: 33)
    for count in [1, 7, 8, 1000, 32003] {
      var fast = random.floats(count, scale: 20)
      var naive = fast
      Kernels.softmax(&fast, count: count)
      ReferenceKernels.softmax(&naive, count: count)
      let sum = fast.reduce(0.0) { $0 + Double($1) }
      XCTAssertEqual(sum, 1, accuracy: 1e-6, "count \(count)")
      assertClose(fast, naive, absolute: 1e-30, relative: 2e-5, "count \(count)")
    }
    var large: [Float] = [1000, 1000, -.infinity]
    Kernels.softmax(&large, count: 3)
    XCTAssertEqual(large, [0.5, 0.5, 0])
  }
}
