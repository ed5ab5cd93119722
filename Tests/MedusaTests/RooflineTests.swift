import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// The roofline's floor is the larger of the memory time and the compute time, and the FMA
/// probe measures a rate (not a speed test: it asserts only that the probe runs and counts).
final class RooflineTests: XCTestCase {
  func testFloorIsTheSlowerSide() {
    let roofline = Roofline(bytesPerSecond: 1e10, multiplyAddsPerSecond: 4e10)
    let memory = roofline.floor(bytes: 2e9, multiplyAdds: 4e9)
    XCTAssertEqual(memory.seconds, 0.2, accuracy: 1e-12)
    XCTAssertEqual(memory.bound, .memory)
    let compute = roofline.floor(bytes: 2e9, multiplyAdds: 4e10)
    XCTAssertEqual(compute.seconds, 1.0, accuracy: 1e-12)
    XCTAssertEqual(compute.bound, .compute)
  }

  /// A forward's floor from a model: its bytes and its multiply-adds, so that at one token the
  /// weights bound it and at many tokens the arithmetic does (for this model and these rates).
  func testForwardFloorUsesTheModelsWork() throws {
    let model = try LlamaModel(directory: Golden.model("tiny-gqa-f16"))
    let bytes = Double(model.weightBytesPerForward)
    let perToken = Double(model.multiplyAddsPerForward(tokens: 1, context: 0))
    // Rates chosen so that one token's arithmetic takes a tenth of its weights' read time.
    let roofline = Roofline(bytesPerSecond: bytes, multiplyAddsPerSecond: 10 * perToken)
    let one = roofline.forward(model, tokens: 1, context: 0)
    XCTAssertEqual(one.seconds, 1, accuracy: 1e-12)
    XCTAssertEqual(one.bound, .memory)
    let many = roofline.forward(model, tokens: 64, context: 0)
    XCTAssertEqual(
      many.seconds, Double(model.multiplyAddsPerForward(tokens: 64, context: 0)) / (10 * perToken),
      accuracy: 1e-12)
    XCTAssertEqual(many.bound, .compute)
  }

  func testMultiplyAddProbeMeasuresARate() {
    for threads in [1, 2] {
      let rate = Roofline.multiplyAddRate(threads: threads, repeats: 1)
      XCTAssertTrue(rate.isFinite && rate > 1e8, "\(threads) thread(s): \(rate)")
    }
  }
}
