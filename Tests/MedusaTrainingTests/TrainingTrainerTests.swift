import Foundation
import GoldenSupport
import Llama
import Medusa
import MedusaKernels
import MedusaTraining
import XCTest

/// Head training end to end on the tiny Golden model: self-distillation, hidden states, steps,
/// checkpoints that `MedusaHeads.load` reads, and a resume that is bit-identical to an
/// uninterrupted run.
final class TrainingTrainerTests: XCTestCase {
  private func fixture() throws -> (LlamaModel, [DistilledSequence]) {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let distiller = try Distiller(
      model: model, capacity: 64, temperature: 0, seed: 0, parallelism: .serial)
    var random = SplitMix64(seed: 31)
    var sequences: [DistilledSequence] = []
    for index in 0..<12 {
      let prompt = (0..<(3 + index % 5)).map { _ in Int(random.next() % 320) }
      let output = try distiller.continuation(
        prompt: prompt, index: index, stop: StopRule(maxNewTokens: 24, stopTokens: []))
      sequences.append(DistilledSequence(promptIDs: prompt, outputIDs: output))
    }
    return (model, sequences)
  }

  private func trainer(_ model: LlamaModel, _ examples: TrainingExamples, steps: Int) throws
    -> HeadTrainer
  {
    let shape = HeadShape(heads: 3, layers: 1, hidden: 64, vocabulary: 320)
    return try HeadTrainer(
      shape: shape,
      options: HeadTrainingOptions(steps: steps, batchRows: 48, learningRate: 3e-3, seed: 5),
      examples: examples,
      parameters: shape.initialParameters(languageModelHead: model.languageModelHead),
      parallelism: Parallelism(threads: 2))
  }

  func testTrainingLowersTheLossAndResumesBitForBit() throws {
    let (model, sequences) = try fixture()
    let examples = try TrainingExamples.build(
      model: model, sequences: sequences, heads: 3, parallelism: .serial)
    // Rows: positions max(0, P - 4) ..< S - 2 of every sequence.
    XCTAssertEqual(
      examples.rows,
      sequences.reduce(0) { $0 + ($1.tokens.count - 2 - max(0, $1.promptIDs.count - 4)) })

    // The on-disk cache returns the same rows, and nothing for another fingerprint.
    let cacheURL = FileManager.default.temporaryDirectory
      .appendingPathComponent("medusa-rows-\(UUID().uuidString).safetensors")
    defer { try? FileManager.default.removeItem(at: cacheURL) }
    try examples.write(to: cacheURL, fingerprint: "a")
    let cached = try XCTUnwrap(
      try TrainingExamples.cached(at: cacheURL, fingerprint: "a", heads: 3, hiddenSize: 64))
    XCTAssertEqual(cached.hidden.array, examples.hidden.array)
    XCTAssertEqual(
      (0..<(examples.rows * 3)).map { cached.targets[$0] },
      (0..<(examples.rows * 3)).map { examples.targets[$0] })
    XCTAssertNil(
      try TrainingExamples.cached(at: cacheURL, fingerprint: "b", heads: 3, hiddenSize: 64))

    let straight = try trainer(model, examples, steps: 40)
    var losses: [Double] = []
    for _ in 0..<40 { losses.append(straight.step().loss) }
    XCTAssertLessThan(losses.suffix(5).reduce(0, +), 0.8 * losses.prefix(5).reduce(0, +))

    let directory = FileManager.default.temporaryDirectory
      .appendingPathComponent("medusa-training-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let first = try trainer(model, examples, steps: 40)
    for _ in 0..<17 { _ = first.step() }
    try HeadCheckpoint.save(first, to: directory, baseModel: "tiny-mha-f32")
    let resumed = try trainer(model, examples, steps: 40)
    XCTAssertEqual(try HeadCheckpoint.restore(resumed, from: directory), 17)
    for _ in 17..<40 { _ = resumed.step() }
    XCTAssertEqual(
      resumed.parameters.array.map(\.bitPattern), straight.parameters.array.map(\.bitPattern))
    XCTAssertEqual(
      resumed.secondMoment.array.map(\.bitPattern), straight.secondMoment.array.map(\.bitPattern))

    // The checkpoint loads as inference heads and computes the trainer's logits.
    let heads = try MedusaHeads.load(directory: directory, backbone: model.config)
    XCTAssertEqual(heads.headCount, 3)
    XCTAssertEqual(heads.layerCount, 1)
    let outputs = (0..<3).map { _ in FloatBuffer(320) }
    let work = FloatBuffer(128)
    heads.logits(
      hidden: examples.hidden.base, into: outputs.map(\.base), work: work.base, parallelism: .serial
    )
    let gradients = HeadGradients(shape: first.shape, maxRows: 1, parallelism: .serial)
    let grad = TrainingBuffer(first.shape.parameterCount)
    let targets = outputs.map { Int32(Kernels.argmax($0.base, count: 320)) }
    _ = gradients.run(
      parameters: first.parameters.base, gradients: grad.base, hidden: examples.hidden.base,
      targets: targets, rows: 1, lossWeights: [1, 1, 1])
    for k in 0..<3 {
      XCTAssertEqual(gradients.headCorrect(k), 1, "training and inference heads agree on head \(k)")
    }

    // A checkpoint whose files disagree on the step is refused.
    let state = HeadCheckpoint.headsFolder(directory).appendingPathComponent(
      HeadCheckpoint.stateFile)
    let text = try String(contentsOf: state, encoding: .utf8).replacingOccurrences(
      of: "\"step\" : 17", with: "\"step\" : 18")
    try text.write(to: state, atomically: true, encoding: .utf8)
    XCTAssertThrowsError(try HeadCheckpoint.restore(resumed, from: directory))
  }

  func testAccuracyOfTheGoldenHeadsIsMeasuredLikeHeadsAccuracy() throws {
    let (model, sequences) = try fixture()
    let heads = try MedusaHeads.load(
      directory: Golden.model("tiny-mha-f32").appendingPathComponent("medusa"),
      backbone: model.config)
    let accuracy = try HeadAccuracy.measure(
      model: model, heads: heads, sequences: sequences, topK: 10, parallelism: .serial)
    // Steps t = P-1 ..< S; head k is scored where t + k + 1 < S: 25 - k - 1 per sequence.
    XCTAssertEqual(accuracy.positions, (0..<4).map { 12 * (25 - $0 - 1) })
    for row in accuracy.topKAccuracy {
      XCTAssertEqual(row.count, 10)
      XCTAssertEqual(row, row.sorted())
    }
    XCTAssertGreaterThan(accuracy.topKAccuracy[0][9], accuracy.topKAccuracy[0][0])
    let data = try JSONSerialization.data(withJSONObject: accuracy.json)
    let table = try HeadAccuracy.rankTable(json: data, source: "memory")
    for (read, measured) in zip(table.joined(), accuracy.rankAccuracy.joined()) {
      XCTAssertEqual(read, measured, accuracy: 1e-12)
    }
  }

  func testSampledDistillationDependsOnlyOnSeedAndPromptIndex() throws {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let stop = StopRule(maxNewTokens: 12, stopTokens: [])
    let prompts = [[5, 9, 200], [17], [3, 3, 3, 3]]
    func run(_ order: [Int], temperature: Double) throws -> [Int: [Int]] {
      let distiller = try Distiller(
        model: model, capacity: 32, temperature: temperature, seed: 77, parallelism: .serial)
      var out: [Int: [Int]] = [:]
      for index in order {
        out[index] = try distiller.continuation(prompt: prompts[index], index: index, stop: stop)
      }
      return out
    }
    // A resumed run (prompts 1 and 2 only, in another order) draws what a full run draws.
    let full = try run([0, 1, 2], temperature: 1)
    let resumed = try run([2, 1], temperature: 1)
    XCTAssertEqual(full[1], resumed[1])
    XCTAssertEqual(full[2], resumed[2])
    XCTAssertEqual(full[0]?.count, 12)
    let greedy = try run([0, 1, 2], temperature: 0)
    XCTAssertNotEqual(greedy, full, "temperature 1 samples")
  }
}
