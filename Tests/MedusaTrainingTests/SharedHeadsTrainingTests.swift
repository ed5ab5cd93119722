import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import MedusaKernels
import MedusaTestSupport
import XCTest

@testable import Medusa
@testable import MedusaTraining

/// Training heads that share the base model's frozen (quantized) LM head: the loss gradient
/// against finite differences, a short run that lowers the loss, checkpoints that load as heads,
/// resume bit for bit, and the f16 export.
final class SharedHeadsTrainingTests: XCTestCase {
  /// A Q8_0 matrix `[rows][32]` (one block per row) with seeded scales and values, kept alive
  /// by the returned array.
  private func q8Matrix(rows: Int, seed: UInt64) -> (
    bytes: [UInt8], make: (UnsafeRawPointer) -> WeightMatrix
  ) {
    var random = SplitMix64(seed: seed)
    var bytes: [UInt8] = []
    for _ in 0..<rows {
      let scale = Float16(Float(0.004 + random.nextUnitDouble() * 0.01)).bitPattern
      bytes += [UInt8(scale & 0xff), UInt8(scale >> 8)]
      bytes += (0..<32).map { _ in UInt8(truncatingIfNeeded: Int(random.next() % 255) - 127) }
    }
    return (bytes, { WeightMatrix(rows: rows, columns: 32, type: .q8_0, base: $0) })
  }

  /// The shared-head loss `Σ_k λ_k · mean CE_k` in `Double`: ResBlocks from `p`, then the
  /// dequantized frozen LM head `w` (`[V][H]`).
  private static func referenceLoss(
    _ p: [Double], shape: HeadShape, lmHead w: [Double], hidden: [Float], targets: [Int32],
    rows: Int, lambda: [Double]
  ) -> Double {
    let (h, v) = (shape.hidden, shape.vocabulary)
    var total = 0.0
    for k in 0..<shape.heads {
      var sum = 0.0
      var count = 0
      for r in 0..<rows {
        let y = Int(targets[r * shape.heads + k])
        guard y >= 0 else { continue }
        var x = (0..<h).map { Double(hidden[r * h + $0]) }
        for l in 0..<shape.layers {
          let base = k * shape.layers * (h * h + h) + l * (h * h + h)
          x = (0..<h).map { o in
            var z = p[base + h * h + o]
            for i in 0..<h { z += p[base + o * h + i] * x[i] }
            return x[o] + z / (1 + Foundation.exp(-z))
          }
        }
        let logits = (0..<v).map { o in (0..<h).reduce(0.0) { $0 + w[o * h + $1] * x[$1] } }
        let m = logits.max() ?? 0
        sum += Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1 - m) }) + m - logits[y]
        count += 1
      }
      if count > 0 { total += lambda[k] * sum / Double(count) }
    }
    return total
  }

  func testGradientsThroughAQuantizedFrozenHeadMatchFiniteDifferences() throws {
    let shape = HeadShape(
      heads: 2, layers: 2, hidden: 32, vocabulary: 11, projection: .baseLanguageModelHead)
    XCTAssertEqual(shape.parameterCount, 2 * 2 * (32 * 32 + 32))
    XCTAssertEqual(shape.tensors.map(\.name).filter { !$0.contains("linear") }, [])
    let rows = 5
    var random = SplitMix64(seed: 23)
    func uniform(_ scale: Double) -> Float { Float((random.nextUnitDouble() * 2 - 1) * scale) }
    let parameters = TrainingBuffer(shape.parameterCount)
    for i in 0..<shape.parameterCount { parameters.base[i] = uniform(0.15) }
    let hidden = (0..<(rows * shape.hidden)).map { _ in uniform(1) }
    let targets: [Int32] = [3, -100, 10, 0, -100, 7, 5, 5, 1, -100]
    let lambda: [Float] = [1, 0.8]
    let q8 = q8Matrix(rows: 11, seed: 24)
    let gradients = TrainingBuffer(shape.parameterCount)
    let (loss, w): (Double, [Double]) = q8.bytes.withUnsafeBytes { raw in
      let head = q8.make(raw.baseAddress!)
      let workspace = HeadGradients(
        shape: shape, maxRows: 8, parallelism: .serial, languageModelHead: head)
      let loss = workspace.run(
        parameters: parameters.base, gradients: gradients.base, hidden: hidden, targets: targets,
        rows: rows, lossWeights: lambda)
      let w = (0..<(11 * 32)).map {
        Double(ReferenceKernels.element(head, row: $0 / 32, column: $0 % 32))
      }
      return (loss, w)
    }
    let p = parameters.array.map(Double.init)
    func f(_ q: [Double]) -> Double {
      Self.referenceLoss(
        q, shape: shape, lmHead: w, hidden: hidden, targets: targets, rows: rows,
        lambda: lambda.map(Double.init))
    }
    XCTAssertEqual(loss, f(p), accuracy: 1e-5)
    // Every bias and a seeded sample of weights of every block.
    var checked: [Int] = []
    for k in 0..<2 {
      for l in 0..<2 {
        let base = shape.blockOffset(head: k, layer: l)
        checked += (0..<32).map { base + 32 * 32 + $0 }
        checked += (0..<48).map { _ in base + Int(random.next() % UInt64(32 * 32)) }
      }
    }
    for i in checked {
      var plus = p
      var minus = p
      plus[i] += 1e-4
      minus[i] -= 1e-4
      let numeric = (f(plus) - f(minus)) / 2e-4
      let error = abs(Double(gradients.base[i]) - numeric)
      XCTAssertLessThan(
        error, 2e-5, "parameter \(i): kernel \(gradients.base[i]), numeric \(numeric)")
      if error >= 2e-5 { break }
    }
    // Gradients are the same bits for any thread count.
    let parallel = TrainingBuffer(shape.parameterCount)
    q8.bytes.withUnsafeBytes { raw in
      let workspace = HeadGradients(
        shape: shape, maxRows: 8, parallelism: Parallelism(threads: 3),
        languageModelHead: q8.make(raw.baseAddress!))
      _ = workspace.run(
        parameters: parameters.base, gradients: parallel.base, hidden: hidden, targets: targets,
        rows: rows, lossWeights: lambda)
    }
    XCTAssertEqual(parallel.array.map(\.bitPattern), gradients.array.map(\.bitPattern))
  }

  private func fixture() throws -> (LlamaModel, TrainingExamples) {
    let model = try LlamaModel(gguf: SharedHeads.ggufModel)
    let distiller = try Distiller(
      model: model, capacity: 64, temperature: 0, seed: 0, parallelism: .serial)
    var random = SplitMix64(seed: 32)
    var sequences: [DistilledSequence] = []
    for index in 0..<10 {
      let prompt = (0..<(2 + index % 5)).map { _ in Int(random.next() % 2000) }
      let output = try distiller.continuation(
        prompt: prompt, index: index, stop: StopRule(maxNewTokens: 24, stopTokens: []))
      sequences.append(DistilledSequence(promptIDs: prompt, outputIDs: output))
    }
    let examples = try TrainingExamples.build(
      model: model, sequences: sequences, heads: 2, parallelism: .serial)
    return (model, examples)
  }

  private func trainer(_ model: LlamaModel, _ examples: TrainingExamples, steps: Int) throws
    -> HeadTrainer
  {
    let shape = HeadShape(
      heads: 2, layers: 1, hidden: 256, vocabulary: 2000, projection: .baseLanguageModelHead)
    return try HeadTrainer(
      shape: shape,
      options: HeadTrainingOptions(steps: steps, batchRows: 32, learningRate: 3e-3, seed: 5),
      examples: examples,
      parameters: shape.initialParameters(languageModelHead: model.languageModelHead),
      parallelism: Parallelism(threads: 2), languageModelHead: model.languageModelHead)
  }

  func testTrainingLowersTheLossCheckpointsLoadAndResumeIsBitIdentical() throws {
    let (model, examples) = try fixture()
    let straight = try trainer(model, examples, steps: 24)
    var losses: [Double] = []
    for _ in 0..<24 { losses.append(straight.step().loss) }
    XCTAssertLessThan(losses.suffix(4).reduce(0, +), 0.9 * losses.prefix(4).reduce(0, +))

    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let first = try trainer(model, examples, steps: 24)
    for _ in 0..<9 { _ = first.step() }
    try HeadCheckpoint.save(first, to: directory, baseModel: "tiny-gpt2-Q4_K_M.gguf")
    let config =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: directory.appendingPathComponent("config.json"))) as? [String: Any]
    XCTAssertEqual(config?["medusa_head_projection"] as? String, "base_lm_head")
    let store = try TensorStore(files: [directory.appendingPathComponent(HeadCheckpoint.headsFile)])
    XCTAssertEqual(
      store.names.sorted(),
      ["0.0.linear.bias", "0.0.linear.weight", "1.0.linear.bias", "1.0.linear.weight"])

    // The checkpoint loads as heads over the model; their logits are the trainer's.
    let heads = try MedusaHeads.load(directory: directory, model: model)
    XCTAssertEqual(heads.headProjection, .baseLanguageModelHead)
    let hidden = Array(UnsafeBufferPointer(start: examples.hidden.base, count: 256))
    let logits = SharedHeads.perHead(heads, hidden: hidden)
    for k in 0..<2 {
      let offset = first.shape.blockOffset(head: k, layer: 0)
      var z = [Float](repeating: 0, count: 256)
      var x = hidden
      Kernels.linear(
        x, tokens: 1,
        weight: WeightMatrix(
          rows: 256, columns: 256, type: .f32, base: first.parameters.base + offset),
        bias: first.parameters.base + offset + 256 * 256, into: &z, parallelism: .serial)
      Kernels.silu(z, count: 256, into: &z)
      Kernels.add(x, z, count: 256, into: &x)
      var expected = [Float](repeating: 0, count: 2000)
      Kernels.linear(
        x, tokens: 1, weight: model.languageModelHead, bias: nil, into: &expected,
        parallelism: .serial)
      XCTAssertEqual(logits[k].map(\.bitPattern), expected.map(\.bitPattern), "head \(k)")
    }

    // Resume continues bit for bit.
    let resumed = try trainer(model, examples, steps: 24)
    XCTAssertEqual(try HeadCheckpoint.restore(resumed, from: directory), 9)
    for _ in 9..<24 { _ = resumed.step() }
    XCTAssertEqual(
      resumed.parameters.array.map(\.bitPattern), straight.parameters.array.map(\.bitPattern))
    XCTAssertEqual(
      resumed.firstMoment.array.map(\.bitPattern), straight.firstMoment.array.map(\.bitPattern))

    // A run of the other layout refuses this checkpoint.
    let ownShape = HeadShape(heads: 2, layers: 1, hidden: 256, vocabulary: 2000)
    let own = try HeadTrainer(
      shape: ownShape, options: HeadTrainingOptions(steps: 24, batchRows: 32, seed: 5),
      examples: examples,
      parameters: ownShape.initialParameters(languageModelHead: model.languageModelHead),
      parallelism: .serial)
    XCTAssertThrowsError(try HeadCheckpoint.restore(own, from: directory)) {
      XCTAssertTrue("\($0)".contains("head_projection base_lm_head"), "\($0)")
    }

    // The f16 export: ResBlocks only, the marker, logits within f16 rounding.
    let exported = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: exported) }
    try HeadCheckpoint.export(resumed, to: exported, baseModel: "tiny", dtype: .f16)
    let small = try MedusaHeads.load(directory: exported, model: model)
    let file = try TensorStore(files: [exported.appendingPathComponent(HeadCheckpoint.headsFile)])
    XCTAssertEqual(try file.tensor("0.0.linear.weight").dtype, .f16)
    XCTAssertEqual(file.names.count, 4)
    let wideFolder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: wideFolder) }
    try HeadCheckpoint.save(resumed, to: wideFolder, baseModel: "tiny")
    let wide = try MedusaHeads.load(directory: wideFolder, model: model)
    let a = SharedHeads.perHead(small, hidden: hidden)
    let b = SharedHeads.perHead(wide, hidden: hidden)
    for k in 0..<2 {
      let scale = b[k].map(abs).max() ?? 1
      for (x, y) in zip(a[k], b[k]) { XCTAssertEqual(x, y, accuracy: 2e-3 * scale) }
    }
  }

  func testTheTrainerChecksTheSharedHead() throws {
    let (model, examples) = try fixture()
    let shape = HeadShape(
      heads: 2, layers: 1, hidden: 256, vocabulary: 2000, projection: .baseLanguageModelHead)
    let options = HeadTrainingOptions(steps: 2, batchRows: 8)
    XCTAssertThrowsError(
      try HeadTrainer(
        shape: shape, options: options, examples: examples,
        parameters: TrainingBuffer(shape.parameterCount), parallelism: .serial)
    ) { XCTAssertTrue("\($0)".contains("need the backbone's LM head"), "\($0)") }
    let other = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    XCTAssertThrowsError(
      try HeadTrainer(
        shape: shape, options: options, examples: examples,
        parameters: TrainingBuffer(shape.parameterCount), parallelism: .serial,
        languageModelHead: other.languageModelHead)
    ) { XCTAssertTrue("\($0)".contains("the heads need [2000, 256]"), "\($0)") }
    let own = HeadShape(heads: 2, layers: 1, hidden: 256, vocabulary: 2000)
    XCTAssertThrowsError(
      try HeadTrainer(
        shape: own, options: options, examples: examples,
        parameters: TrainingBuffer(own.parameterCount), parallelism: .serial,
        languageModelHead: model.languageModelHead))
  }
}
