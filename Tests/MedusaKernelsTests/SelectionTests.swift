import MedusaKernels
import XCTest

final class SelectionTests: XCTestCase {
  func testArgmaxTiesGoToLowestIndex() {
    var x = [Float](repeating: 0, count: 37)
    x[9] = 3
    x[17] = 3
    x[30] = 3
    XCTAssertEqual(Kernels.argmax(x, count: 37), 9)
    XCTAssertEqual(Kernels.argmax([Float](repeating: -1, count: 20), count: 20), 0)
    XCTAssertEqual(Kernels.argmax([Float](repeating: -.infinity, count: 20), count: 20), 0)
  }

  func testArgmaxIgnoresNaN() {
    var x = [Float](repeating: 1, count: 23)
    x[0] = .nan
    x[4] = 2
    x[12] = .nan
    XCTAssertEqual(Kernels.argmax(x, count: 23), 4)
    XCTAssertEqual(ReferenceKernels.argmax(x, count: 23), 4)
    XCTAssertEqual(Kernels.argmax([Float](repeating: .nan, count: 11), count: 11), 0)
  }

  func testArgmaxMatchesReference() {
    var random = TestRandom(seed: 40)
    for count in [1, 8, 33, 32000] {
      let x = (0..<count).map { _ in Float(random.int(50)) }
      XCTAssertEqual(Kernels.argmax(x, count: count), ReferenceKernels.argmax(x, count: count))
    }
  }

  func testTopKTiesAndOrder() {
    let x: [Float] = [1, 5, 3, 5, 2, 5, 4, 0, 4]
    XCTAssertEqual(Kernels.topK(x, count: 9, k: 4), [1, 3, 5, 6])
    XCTAssertEqual(Kernels.topK(x, count: 9, k: 1), [1])
    XCTAssertEqual(Kernels.topK(x, count: 9, k: 20), [1, 3, 5, 6, 8, 2, 4, 0, 7])
    XCTAssertEqual(Kernels.topK(x, count: 9, k: 0), [])
  }

  func testTopKSkipsNaN() {
    let x: [Float] = [.nan, 1, .nan, 2, -.infinity]
    XCTAssertEqual(Kernels.topK(x, count: 5, k: 3), [3, 1, 4])
    XCTAssertEqual(Kernels.topK(x, count: 5, k: 10), [3, 1, 4])
  }

  func testTopKMatchesReferenceOnLargeVocabulary() {
    var random = TestRandom(seed: 41)
    for count in [100, 32000, 128_003] {
      // Few distinct values, so many ties.
      let x = (0..<count).map { _ in Float(random.int(1000)) / 8 }
      XCTAssertEqual(
        Kernels.topK(x, count: count, k: 10), ReferenceKernels.topK(x, count: count, k: 10),
        "count \(count)")
    }
  }
}
