import Foundation
import GoldenSupport
import Llama
import Medusa
import MedusaFormats
import MedusaKernels
import XCTest

@testable import MedusaTraining

/// Medusa-2 checkpoints (``Medusa2Checkpoint``): a resumed run is bitwise the uninterrupted one;
/// the saved folder is a model with heads whose tensors are the trainer's master weights, on
/// which greedy Medusa decoding equals greedy autoregressive decoding; a save interrupted
/// anywhere leaves the old or the new step whole; bad checkpoints are clear errors. And
/// ``BackboneQuality`` over the same data.
final class Medusa2CheckpointTests: XCTestCase {
  struct Fixture {
    let model: LlamaModel
    let heads: MedusaHeads
    let sequences: [DistilledSequence]
  }

  private var cached: Fixture?

  /// The tiny Golden model, its heads, and four of its own greedy replies to random prompts.
  func fixture() throws -> Fixture {
    if let cached { return cached }
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let heads = try MedusaHeads.load(
      directory: Golden.model("tiny-mha-f32").appendingPathComponent("medusa"), model: model)
    var random = SplitMix64(seed: 21)
    let decoder = try AutoregressiveDecoder(model: model, capacity: 32, parallelism: .serial)
    let sequences = try (0..<4).map { _ in
      let prompt = (0..<4).map { _ in Int(random.next() % 320) }
      let reply = try decoder.generate(
        prompt: prompt, stop: StopRule(maxNewTokens: 10, stopTokens: []))
      return DistilledSequence(promptIDs: prompt, outputIDs: reply.outputIDs)
    }
    let fixture = Fixture(model: model, heads: heads, sequences: sequences)
    cached = fixture
    return fixture
  }

  static func options(_ loss: Medusa2Options.BackboneLoss = .selfDistillation, batch: Int = 2)
    -> Medusa2Options
  {
    Medusa2Options(
      steps: 6, batchSequences: batch, learningRate: 1e-3, warmupSteps: 1, backboneLoss: loss,
      headsOnlySteps: 2, seed: 5)
  }

  /// A trainer from the Golden heads after `steps` steps.
  func trainer(_ steps: Int, options: Medusa2Options = options()) throws -> Medusa2Trainer {
    let f = try fixture()
    let (shape, initial) = try f.heads.masterWeights()
    let trainer = try Medusa2Trainer(
      model: f.model, headShape: shape, initialHeads: initial, options: options,
      data: f.sequences, parallelism: .serial)
    for _ in 0..<steps { _ = trainer.step() }
    return trainer
  }

  func assertSameState(_ a: Medusa2Trainer, _ b: Medusa2Trainer, _ message: String) {
    XCTAssertEqual(a.completedSteps, b.completedSteps, message)
    for (x, y, name) in [
      (a.backbone, b.backbone, "backbone"), (a.heads, b.heads, "heads"),
      (a.backboneMoments.first, b.backboneMoments.first, "backbone exp_avg"),
      (a.backboneMoments.second, b.backboneMoments.second, "backbone exp_avg_sq"),
      (a.headMoments.first, b.headMoments.first, "heads exp_avg"),
      (a.headMoments.second, b.headMoments.second, "heads exp_avg_sq"),
    ] {
      XCTAssertTrue(x.array.map(\.bitPattern) == y.array.map(\.bitPattern), "\(message): \(name)")
    }
  }

  func testResumedRunIsBitwiseTheUninterruptedRun() throws {
    for loss in Medusa2Options.BackboneLoss.allCases {
      let options = Self.options(loss)
      let whole = try trainer(6, options: options)
      // Saved during the heads-only warmup and after it.
      for saved in [1, 3] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try trainer(saved, options: options)
        try Medusa2Checkpoint.save(first, to: directory, baseModel: Golden.model("tiny-mha-f32"))
        let resumed = try trainer(0, options: options)
        XCTAssertTrue(try Medusa2Checkpoint.prepare(directory, resume: true, force: false))
        XCTAssertEqual(try Medusa2Checkpoint.restore(resumed, from: directory), saved)
        assertSameState(resumed, first, "\(loss) restored at \(saved)")
        while resumed.completedSteps < 6 { _ = resumed.step() }
        assertSameState(resumed, whole, "\(loss) resumed at \(saved)")
      }
    }
  }

  func testTheSavedFolderIsAModelWithHeadsHoldingTheMasterWeights() throws {
    let f = try fixture()
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let base = Golden.model("tiny-mha-f32")
    // At step 0 the backbone is the original's: the written config.json must rebuild the same
    // model, bit for bit, logits included.
    for steps in [0, 3] {
      let trained = try trainer(steps)
      try Medusa2Checkpoint.save(trained, to: directory, baseModel: base)
      let model = try LlamaModel(
        directory: directory, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
      XCTAssertEqual(
        BackboneLayout(model: model).values(of: model).array.map(\.bitPattern),
        trained.backbone.array.map(\.bitPattern), "step \(steps): backbone")
      let heads = try MedusaHeads.load(directory: directory, model: model)
      XCTAssertEqual(
        try heads.masterWeights().parameters.array.map(\.bitPattern),
        trained.heads.array.map(\.bitPattern), "step \(steps): heads")
      guard steps == 0 else { continue }
      let stop = StopRule(maxNewTokens: 8, stopTokens: [])
      let prompt = f.sequences[0].promptIDs
      let ours = try AutoregressiveDecoder(model: model, capacity: 16, parallelism: .serial)
        .generate(prompt: prompt, stop: stop, recordLogits: true)
      let original = try AutoregressiveDecoder(model: f.model, capacity: 16, parallelism: .serial)
        .generate(prompt: prompt, stop: stop, recordLogits: true)
      XCTAssertEqual(ours.outputIDs, original.outputIDs)
      XCTAssertEqual(
        ours.outputLogits.map { $0.map(\.bitPattern) },
        original.outputLogits.map { $0.map(\.bitPattern) })
    }
    let step = Medusa2Checkpoint.folder(directory).currentStep
    XCTAssertEqual(
      try FileManager.default.contentsOfDirectory(atPath: step.path).sorted(),
      [
        "config.json", "generation_config.json", "model.safetensors", "optimizer.safetensors",
        "trainer_state.json",
      ])
    for name in ["config.json", "generation_config.json", "model.safetensors"] {
      XCTAssertEqual(
        try FileManager.default.destinationOfSymbolicLink(
          atPath: directory.appendingPathComponent(name).path), "current/\(name)")
    }
    let config = try JSONValue.read(directory.appendingPathComponent("config.json"))
    XCTAssertEqual(config["medusa_num_heads"]?.integerValue, 4)
    XCTAssertEqual(config["medusa_num_layers"]?.integerValue, 1)
    XCTAssertEqual(config["dtype"]?.stringValue, "float32")
    XCTAssertEqual(config["rms_norm_eps"]?.doubleValue, 1e-5)
    let weights = try SafetensorsFile(url: step.appendingPathComponent("model.safetensors"))
    XCTAssertEqual(weights.metadata, ["format": "pt", "step": "3"])
    XCTAssertTrue(weights.names.contains("medusa_head.3.1.weight"))
    let optimizer = try SafetensorsFile(url: step.appendingPathComponent("optimizer.safetensors"))
    XCTAssertEqual(optimizer.names.count, 2 * weights.names.count)
  }

  func testTokenizerAndTreeFilesAreCopiedAndLinkedWhenPresent() throws {
    let manager = FileManager.default
    let root = try temporaryDirectory()
    defer { try? manager.removeItem(at: root) }
    let base = root.appendingPathComponent("base")
    try manager.copyItem(at: Golden.model("tiny-mha-f32"), to: base)
    try Data("{\"model\": {}}\n".utf8).write(to: base.appendingPathComponent("tokenizer.json"))
    let heads = base.appendingPathComponent("medusa")
    try Data("[[0], [0, 0]]\n".utf8).write(to: heads.appendingPathComponent("medusa_choices.json"))
    let out = root.appendingPathComponent("out")
    let trained = try trainer(1)
    try Medusa2Checkpoint.save(trained, to: out, baseModel: base, heads: heads)
    for name in ["tokenizer.json", "medusa_choices.json"] {
      XCTAssertEqual(
        try Data(contentsOf: out.appendingPathComponent(name)),
        try Data(contentsOf: (name == "tokenizer.json" ? base : heads).appendingPathComponent(name))
      )
      XCTAssertEqual(
        try manager.destinationOfSymbolicLink(atPath: out.appendingPathComponent(name).path),
        "current/\(name)")
    }
    // A later step without the tree file drops its top-level link.
    try Medusa2Checkpoint.save(trained, to: out, baseModel: base)
    XCTAssertFalse(
      (try manager.contentsOfDirectory(atPath: out.path)).contains("medusa_choices.json"))
    XCTAssertTrue(manager.fileExists(atPath: out.appendingPathComponent("tokenizer.json").path))
  }

  func testGreedyMedusaOnTheTrainedCheckpointEqualsAutoregressiveBitwise() throws {
    let f = try fixture()
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    try Medusa2Checkpoint.save(
      try trainer(4), to: directory, baseModel: Golden.model("tiny-mha-f32"))
    let model = try LlamaModel(
      directory: directory, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
    let heads = try MedusaHeads.load(directory: directory, model: model)
    let stop = StopRule(maxNewTokens: 24, stopTokens: [])
    var accepted = 0
    for sequence in f.sequences.prefix(2) {
      let prompt = sequence.promptIDs
      let expected = try AutoregressiveDecoder(
        model: model,
        capacity: AutoregressiveDecoder.capacity(promptLength: prompt.count, maxNewTokens: 24),
        parallelism: .serial
      ).generate(prompt: prompt, stop: stop, recordLogits: true)
      for (name, choices) in try Self.trees(headCount: heads.headCount) {
        let got = try MedusaDecoder(
          model: model, heads: heads, choices: choices,
          capacity: MedusaDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: 24, choices: choices),
          parallelism: .serial
        ).generate(prompt: prompt, stop: stop, recordLogits: true)
        XCTAssertEqual(got.outputIDs, expected.outputIDs, "\(name) \(prompt)")
        XCTAssertEqual(
          got.outputLogits.map { $0.map(\.bitPattern) },
          expected.outputLogits.map { $0.map(\.bitPattern) }, "\(name) \(prompt) logits")
        accepted += max(0, got.outputIDs.count - 1 - got.steps)
      }
    }
    XCTAssertGreaterThan(accepted, 0, "no draft accepted: the compaction went untested")
  }

  func testAnInterruptAtEveryWriteLeavesTheOldOrTheNewStep() throws {
    let base = Golden.model("tiny-mha-f32")
    let older = try trainer(2)
    let newer = try trainer(4)
    let reader = try trainer(0)
    var limit = 0
    var oldCount = 0
    while true {
      let directory = try temporaryDirectory()
      defer { try? FileManager.default.removeItem(at: directory) }
      try Medusa2Checkpoint.save(older, to: directory, baseModel: base)
      var budget = WriteBudget(limit: limit)
      do {
        try Medusa2Checkpoint.save(newer, to: directory, baseModel: base, budget: &budget)
      } catch {
        XCTAssertTrue(budget.interrupted, "interrupt \(limit): \(error)")
      }
      let message = "interrupted before operation \(limit)"
      let step = try Medusa2Checkpoint.restore(reader, from: directory)
      XCTAssertTrue(step == 2 || step == 4, message)
      if step == 2 { oldCount += 1 }
      assertSameState(reader, step == 2 ? older : newer, message)
      let model = try LlamaModel(
        directory: directory, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
      XCTAssertEqual(
        BackboneLayout(model: model).values(of: model).array.map(\.bitPattern),
        (step == 2 ? older : newer).backbone.array.map(\.bitPattern), message)
      if !budget.interrupted {
        // mkdir, staging mkdir, optimizer, model, config, generation_config, trainer_state,
        // 2 fsyncs, 2 renames, the link, removal of the old step.
        XCTAssertEqual(budget.count, 13)
        XCTAssertEqual(oldCount, 11, "interrupts up to the switch of current leave the old step")
        return
      }
      XCTAssertTrue(try Medusa2Checkpoint.prepare(directory, resume: true, force: false), message)
      try Medusa2Checkpoint.save(newer, to: directory, baseModel: base)
      let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
      XCTAssertEqual(names.filter { $0.hasPrefix(".") || $0.hasPrefix("step-") }.count, 1, message)
      XCTAssertEqual(try Medusa2Checkpoint.restore(reader, from: directory), 4, message)
      limit += 1
    }
  }

  func testBadCheckpointsAreClearErrors() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let manager = FileManager.default
    try Medusa2Checkpoint.save(
      try trainer(2), to: directory, baseModel: Golden.model("tiny-mha-f32"))
    func assertError(_ trainer: Medusa2Trainer, _ parts: [String], line: UInt = #line) {
      XCTAssertThrowsError(try Medusa2Checkpoint.restore(trainer, from: directory), line: line) {
        let message = "\($0)"
        for part in parts { XCTAssertTrue(message.contains(part), message, line: line) }
        XCTAssertFalse(message.contains("\n"), message, line: line)
      }
    }
    XCTAssertThrowsError(try Medusa2Checkpoint.prepare(directory, resume: false, force: false)) {
      XCTAssertTrue("\($0)".contains("--resume") && "\($0)".contains("--force"), "\($0)")
    }
    XCTAssertFalse(try Medusa2Checkpoint.prepare(directory, resume: false, force: true))
    // Options that change the data order or the loss.
    assertError(try trainer(0, options: Self.options(batch: 3)), ["batch_sequences", "--batch"])
    var seed = Self.options()
    seed.seed = 6
    assertError(try trainer(0, options: seed), ["seed", "--seed"])
    assertError(try trainer(0, options: Self.options(.crossEntropy)), ["backbone_loss", "kl"])
    let f = try fixture()
    let two = HeadShape(heads: 2, layers: 1, hidden: 64, vocabulary: 320)
    let fewer = try Medusa2Trainer(
      model: f.model, headShape: two,
      initialHeads: two.initialParameters(languageModelHead: f.model.languageModelHead),
      options: Self.options(), data: f.sequences, parallelism: .serial)
    assertError(fewer, ["medusa_num_heads", "--num-heads"])
    // A trainer_state.json whose step disagrees with the weights; then a truncated one.
    let reader = try trainer(0)
    let state = Medusa2Checkpoint.folder(directory).currentStep
      .appendingPathComponent(Medusa2Checkpoint.stateFile)
    let text = try Data(contentsOf: state)
    var object = try XCTUnwrap(try JSONSerialization.jsonObject(with: text) as? [String: Any])
    object["step"] = 5
    try JSONSerialization.data(withJSONObject: object).write(to: state)
    assertError(reader, ["model.safetensors", "holds step 2", "says 5"])
    try text.prefix(40).write(to: state)
    assertError(reader, ["trainer_state.json", "not JSON"])
    // `current` naming a step folder that is gone.
    try manager.removeItem(at: state.deletingLastPathComponent())
    assertError(reader, ["current", "step-2-"])
    XCTAssertEqual(reader.completedSteps, 0, "a failed restore changed the trainer")
  }

  func testBackboneQualityOfTheOriginalAndOfATrainedBackbone() throws {
    let f = try fixture()
    let replies = f.sequences.reduce(0) { $0 + $1.outputIDs.count }
    let same = try BackboneQuality.measure(
      trained: f.model, original: f.model, data: f.sequences, parallelism: .serial)
    XCTAssertEqual(same.positions, replies)
    XCTAssertEqual(same.perplexity, same.originalPerplexity)
    XCTAssertEqual(same.kl, 0)
    XCTAssertEqual(same.top1Agreement, 1)
    // The data are the model's greedy replies: every next token is the original's argmax.
    XCTAssertLessThan(same.perplexity, 320)

    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    var options = Self.options(.crossEntropy)
    options.learningRate = 1e-2
    try Medusa2Checkpoint.save(
      try trainer(6, options: options), to: directory, baseModel: Golden.model("tiny-mha-f32"))
    let trained = try LlamaModel(
      directory: directory, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
    let moved = try BackboneQuality.measure(
      trained: trained, original: f.model, data: f.sequences, parallelism: .serial)
    XCTAssertEqual(moved.positions, replies)
    XCTAssertEqual(moved.originalPerplexity, same.perplexity)
    XCTAssertGreaterThan(moved.kl, 0)
    XCTAssertTrue((0...1).contains(moved.top1Agreement))
    XCTAssertThrowsError(
      try BackboneQuality.measure(
        trained: trained, original: f.model, data: [], parallelism: .serial))
  }

  /// The published trees, a chain and a 3-node tree (the trees of the lossless tests).
  static func trees(headCount: Int) throws -> [(String, MedusaChoices)] {
    var trees: [(String, MedusaChoices)] = []
    for name in PublishedTrees.names {
      if let choices = try MedusaChoices.published(name, headCount: headCount) {
        trees.append((name, choices))
      }
    }
    trees.append(
      ("chain", try MedusaChoices(paths: [[0], [0, 0], [0, 0, 0]], headCount: headCount)))
    trees.append(("three-node", try MedusaChoices(paths: [[0], [1]], headCount: headCount)))
    return trees
  }
}
