import Foundation
import MedusaKernels
import XCTest

final class ExpTests: XCTestCase {
  /// Distance in units in the last place between a Float and the exact value.
  private func ulps(_ value: Float, _ exact: Double) -> Double {
    abs(Double(value) - exact) / Double(Float(exact).ulp)
  }

  /// Max error over 2,000,001 evenly spaced points of [-88, 88]: at most 1 ulp.
  func testAccuracyOverRange() {
    var worstUlp = 0.0
    var worstRelative = 0.0
    let steps = 2_000_000
    var inputs = [Float](repeating: 0, count: 8)
    var i = 0
    while i <= steps {
      for lane in 0..<8 {
        inputs[lane] = Float(-88 + 176 * Double(min(i + lane, steps)) / Double(steps))
      }
      let vector = Kernels.exp8(SIMD8<Float>(inputs))
      for lane in 0..<8 {
        let exact = Foundation.exp(Double(inputs[lane]))
        worstUlp = max(worstUlp, ulps(vector[lane], exact))
        worstRelative = max(worstRelative, abs(Double(vector[lane]) - exact) / exact)
      }
      i += 8
    }
    XCTAssertLessThanOrEqual(worstUlp, 1, "max ulp \(worstUlp)")
    XCTAssertLessThan(worstRelative, 1.8e-7, "max relative \(worstRelative)")
  }

  func testScalarAndVectorBitsAgree() {
    var random = TestRandom(seed: 20)
    for _ in 0..<20_000 {
      let lanes = SIMD8<Float>((0..<8).map { _ in random.float(110) })
      let vector = Kernels.exp8(lanes)
      for lane in 0..<8 {
        XCTAssertEqual(Kernels.exp(lanes[lane]).bitPattern, vector[lane].bitPattern)
      }
    }
  }

  func testSpecialValues() {
    XCTAssertEqual(Kernels.exp(0), 1)
    XCTAssertEqual(Kernels.exp(-.infinity), 0)
    XCTAssertEqual(Kernels.exp(.infinity), .infinity)
    XCTAssertEqual(Kernels.exp(89), .infinity)
    XCTAssertEqual(Kernels.exp(-105), 0)
    XCTAssertTrue(Kernels.exp(.nan).isNaN)
    XCTAssertTrue(Kernels.exp(88.7).isFinite)
    let tiny = Kernels.exp(-100)
    XCTAssertTrue(tiny > 0 && tiny.isSubnormal)
    XCTAssertEqual(Double(tiny), Foundation.exp(-100.0), accuracy: Double(tiny.ulp))
  }
}
