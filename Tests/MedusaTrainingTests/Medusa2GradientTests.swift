import Foundation
import GoldenSupport
import Llama
import Medusa
import MedusaKernels
import MedusaTraining
import XCTest

/// The Medusa-2 gradient (the whole backbone and the heads) against central finite
/// differences of the same `f32` loss: for every tensor, the directional derivative along a
/// random unit direction inside that tensor.
final class Medusa2GradientTests: XCTestCase {
  /// One objective on a Golden model with random heads, and the batch it runs.
  struct Setup {
    let objective: Medusa2Objective
    let layout: BackboneLayout
    let shape: HeadShape
    let backbone: TrainingBuffer
    let teacher: TrainingBuffer
    let heads: TrainingBuffer
    let tokens: [Int32]
    let labels: [Int32]
    let sequences: PackedSequences

    func loss(backbone b: UnsafePointer<Float>? = nil, heads h: UnsafePointer<Float>? = nil)
      -> (Double, TrainingBuffer, TrainingBuffer)
    {
      let backboneGradients = TrainingBuffer(layout.parameterCount)
      let headGradients = TrainingBuffer(shape.parameterCount)
      let loss = objective.run(
        backbone: b ?? UnsafePointer(backbone.base), backboneGradients: backboneGradients.base,
        heads: h ?? UnsafePointer(heads.base), headGradients: headGradients.base,
        teacher: teacher.base, tokens: tokens, labels: labels, sequences: sequences,
        trainBackbone: true)
      return (loss.total, backboneGradients, headGradients)
    }
  }

  static func setup(model name: String, mode: Medusa2Options.BackboneLoss) throws -> Setup {
    let model = try LlamaModel(directory: Golden.model(name))
    let layout = BackboneLayout(model: model)
    let shape = HeadShape(
      heads: 2, layers: 1, hidden: model.config.hiddenSize,
      vocabulary: model.config.vocabularySize)
    var random = SplitMix64(seed: 7)
    func uniform(_ scale: Double) -> Float { Float((random.nextUnitDouble() * 2 - 1) * scale) }
    let teacher = layout.values(of: model)
    let backbone = layout.values(of: model)
    if mode == .selfDistillation {
      for i in 0..<layout.parameterCount {
        backbone.base[i] = backbone.base[i] + uniform(0.05)
      }
    }
    let heads = TrainingBuffer(shape.parameterCount)
    for i in 0..<shape.parameterCount { heads.base[i] = uniform(0.3) }
    let lengths = [7, 5]
    let v = model.config.vocabularySize
    let tokens = (0..<lengths.reduce(0, +)).map { _ in Int32(random.next() % UInt64(v)) }
    var labels = tokens
    labels[0] = -100
    labels[1] = -100
    labels[9] = -100
    let options = Medusa2Options(steps: 1, backboneLoss: mode)
    let objective = Medusa2Objective(
      layout: layout, inverseFrequencies: model.rotaryInverseFrequencies, headShape: shape,
      options: options, maxTokens: 16, parallelism: .serial)
    return Setup(
      objective: objective, layout: layout, shape: shape, backbone: backbone, teacher: teacher,
      heads: heads, tokens: tokens, labels: labels, sequences: PackedSequences(lengths: lengths))
  }

  /// For every tensor: the gradient's dot with a random direction `d` inside the tensor
  /// against `(L(w + εd) - L(w - εd)) / 2ε`.
  func check(_ s: Setup, file: StaticString = #filePath, line: UInt = #line) {
    let (_, backboneGradients, headGradients) = s.loss()
    var random = SplitMix64(seed: 99)
    var ranges: [(String, Bool, Range<Int>)] = s.layout.tensors.map {
      ("\($0.tensor)", true, $0.offset..<($0.offset + $0.shape.reduce(1, *)))
    }
    ranges += s.shape.tensors.map {
      ("head \($0.name)", false, $0.offset..<($0.offset + $0.shape.reduce(1, *)))
    }
    var worst = 0.0
    for (name, isBackbone, range) in ranges {
      let buffer = isBackbone ? s.backbone : s.heads
      let gradient = isBackbone ? backboneGradients : headGradients
      var direction = range.map { _ in Float(random.nextUnitDouble() * 2 - 1) }
      let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
      direction = direction.map { $0 / norm }
      var analytic = 0.0
      for (i, index) in range.enumerated() {
        analytic += Double(gradient.base[index]) * Double(direction[i])
      }
      let epsilon: Float = 1e-2
      let original = Array(
        UnsafeBufferPointer(start: buffer.base + range.lowerBound, count: range.count))
      func shifted(_ sign: Float) -> Double {
        for (i, index) in range.enumerated() {
          buffer.base[index] = original[i] + sign * epsilon * direction[i]
        }
        return s.loss().0
      }
      let numeric = (shifted(1) - shifted(-1)) / (2 * Double(epsilon))
      for (i, index) in range.enumerated() { buffer.base[index] = original[i] }
      let error = abs(numeric - analytic) / max(abs(analytic), 1e-2)
      worst = max(worst, error)
      XCTAssertLessThan(
        error, 2e-2, "\(name): analytic \(analytic), numeric \(numeric)", file: file, line: line)
    }
    print("Medusa2GradientTests worst relative error \(worst)")
  }

  func testCrossEntropyGradientsMatchFiniteDifferencesMHAUntied() throws {
    check(try Self.setup(model: "tiny-mha-f32", mode: .crossEntropy))
  }

  func testSelfDistillationGradientsMatchFiniteDifferencesGQATied() throws {
    check(try Self.setup(model: "tiny-gqa-f16", mode: .selfDistillation))
  }

  func testBiasGradientsMatchFiniteDifferences() throws {
    check(try Self.setup(model: "tiny-bf16-bias", mode: .crossEntropy))
  }

  func testSelfDistillationLossIsZeroAtTheOriginalWeights() throws {
    let s = try Self.setup(model: "tiny-gqa-f16", mode: .selfDistillation)
    let backboneGradients = TrainingBuffer(s.layout.parameterCount)
    let headGradients = TrainingBuffer(s.shape.parameterCount)
    let loss = s.objective.run(
      backbone: s.teacher.base, backboneGradients: backboneGradients.base, heads: s.heads.base,
      headGradients: headGradients.base, teacher: s.teacher.base, tokens: s.tokens,
      labels: s.labels, sequences: s.sequences, trainBackbone: true)
    XCTAssertLessThan(abs(loss.backbone), 1e-6)
  }
}
