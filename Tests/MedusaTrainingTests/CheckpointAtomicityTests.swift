import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import MedusaKernels
import XCTest

@testable import Medusa
@testable import MedusaTraining

/// Checkpoints are one atomic set (``CheckpointFolder``): a save stopped before any one of its
/// filesystem operations leaves the folder holding exactly the old step or exactly the new one,
/// for resume and for heads loading alike, and the next save leaves nothing stray. An existing
/// checkpoint is replaced only with --resume or --force; an export appears whole.
final class CheckpointAtomicityTests: XCTestCase {
  /// The tiny Golden model and training rows from a few arbitrary sequences.
  private func fixture() throws -> (LlamaModel, TrainingExamples) {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    var random = SplitMix64(seed: 11)
    let sequences = (0..<4).map { _ in
      DistilledSequence(
        promptIDs: (0..<3).map { _ in Int(random.next() % 320) },
        outputIDs: (0..<10).map { _ in Int(random.next() % 320) })
    }
    let examples = try TrainingExamples.build(
      model: model, sequences: sequences, heads: 2, parallelism: .serial)
    return (model, examples)
  }

  /// A trainer of 2 heads over the fixture, after `steps` steps.
  private func trainer(_ model: LlamaModel, _ examples: TrainingExamples, steps: Int) throws
    -> HeadTrainer
  {
    let shape = HeadShape(heads: 2, layers: 1, hidden: 64, vocabulary: 320)
    let trainer = try HeadTrainer(
      shape: shape,
      options: HeadTrainingOptions(steps: 10, batchRows: 16, learningRate: 3e-3, seed: 3),
      examples: examples,
      parameters: shape.initialParameters(languageModelHead: model.languageModelHead),
      parallelism: .serial)
    for _ in 0..<steps { _ = trainer.step() }
    return trainer
  }

  /// The logits of heads loaded from `directory`, all heads, for the first training row.
  private func logits(_ directory: URL, _ model: LlamaModel, _ examples: TrainingExamples) throws
    -> [[UInt32]]
  {
    let heads = try MedusaHeads.load(directory: directory, backbone: model.config)
    let outputs = (0..<heads.headCount).map { _ in FloatBuffer(320) }
    let work = FloatBuffer(heads.workCount(heads: heads.headCount))
    heads.logits(
      hidden: examples.hidden.base, into: outputs.map(\.base), work: work.base, parallelism: .serial
    )
    return outputs.map { bits(UnsafeBufferPointer(start: $0.base, count: $0.count)) }
  }

  /// Turns a saved checkpoint into the layout written before ``CheckpointFolder``: the four
  /// files at the top level, no `current`, plus a temporary file of an interrupted old write.
  private func makeOldLayout(_ directory: URL) throws {
    let manager = FileManager.default
    let step = HeadCheckpoint.headsFolder(directory)
    for name in CheckpointFolder.files {
      let top = directory.appendingPathComponent(name)
      try manager.removeItem(at: top)
      try manager.moveItem(at: step.appendingPathComponent(name), to: top)
    }
    try manager.removeItem(at: directory.appendingPathComponent(CheckpointFolder.pointer))
    try manager.removeItem(at: step)
    try Data("x".utf8).write(
      to: directory.appendingPathComponent(".trainer_state.json.1234.tmp"))
  }

  /// Asserts that `directory` holds exactly the layout of one committed step: `current`, its
  /// folder with the four files and the four top-level links, nothing else.
  private func assertClean(_ directory: URL, _ message: String) throws {
    let manager = FileManager.default
    let names = try manager.contentsOfDirectory(atPath: directory.path).sorted()
    let steps = names.filter { $0.hasPrefix(CheckpointFolder.stepPrefix) }
    XCTAssertEqual(steps.count, 1, "\(message): \(names)")
    XCTAssertEqual(
      names, (CheckpointFolder.files + [CheckpointFolder.pointer] + steps).sorted(),
      "\(message)")
    for name in CheckpointFolder.files {
      XCTAssertEqual(
        try manager.destinationOfSymbolicLink(atPath: directory.appendingPathComponent(name).path),
        "current/\(name)", message)
    }
    let files = try manager.contentsOfDirectory(
      atPath: HeadCheckpoint.headsFolder(directory).path)
    XCTAssertEqual(files.sorted(), CheckpointFolder.files.sorted(), message)
  }

  /// Saves step 4 over a checkpoint of step 2, stopped before operation k for every k until a
  /// save completes; after each, the folder must restore and load as step 2 or step 4 entirely,
  /// and a following save must leave a clean folder. Returns the operations of a whole save and
  /// how many interrupts left the old step.
  private func interruptEverywhere(oldLayout: Bool) throws -> (operations: Int, old: Int) {
    let (model, examples) = try fixture()
    let older = try trainer(model, examples, steps: 2)
    let newer = try trainer(model, examples, steps: 4)
    let reader = try trainer(model, examples, steps: 0)
    let reference = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: reference) }
    try HeadCheckpoint.save(older, to: reference.appendingPathComponent("2"), baseModel: "tiny")
    try HeadCheckpoint.save(newer, to: reference.appendingPathComponent("4"), baseModel: "tiny")
    let expected = [
      2: try logits(reference.appendingPathComponent("2"), model, examples),
      4: try logits(reference.appendingPathComponent("4"), model, examples),
    ]
    var limit = 0
    var oldCount = 0
    while true {
      let directory = try temporaryDirectory()
      defer { try? FileManager.default.removeItem(at: directory) }
      try HeadCheckpoint.save(older, to: directory, baseModel: "tiny")
      if oldLayout {
        try makeOldLayout(directory)
        XCTAssertEqual(try HeadCheckpoint.restore(reader, from: directory), 2)
      }
      var budget = WriteBudget(limit: limit)
      do {
        try HeadCheckpoint.save(newer, to: directory, baseModel: "tiny", budget: &budget)
      } catch {
        XCTAssertTrue(budget.interrupted, "interrupt \(limit): \(error)")
      }
      let message = "interrupted before operation \(limit)"
      let step = try HeadCheckpoint.restore(reader, from: directory)
      XCTAssertTrue(step == 2 || step == 4, message)
      if step == 2 { oldCount += 1 }
      let source = step == 2 ? older : newer
      XCTAssertEqual(
        reader.parameters.array.map(\.bitPattern), source.parameters.array.map(\.bitPattern),
        message)
      XCTAssertEqual(
        reader.secondMoment.array.map(\.bitPattern), source.secondMoment.array.map(\.bitPattern),
        message)
      XCTAssertEqual(try logits(directory, model, examples), expected[step], message)
      if !budget.interrupted {
        XCTAssertEqual(step, 4)
        try assertClean(directory, "after a whole save")
        return (budget.count, oldCount)
      }
      XCTAssertTrue(try HeadCheckpoint.prepare(directory, resume: true, force: false), message)
      try HeadCheckpoint.save(newer, to: directory, baseModel: "tiny")
      try assertClean(directory, "a save after one \(message)")
      XCTAssertEqual(try HeadCheckpoint.restore(reader, from: directory), 4, message)
      limit += 1
    }
  }

  func testAnInterruptAtEveryWriteLeavesTheOldOrTheNewStep() throws {
    let (operations, old) = try interruptEverywhere(oldLayout: false)
    // mkdir, staging mkdir, 4 files, 2 fsyncs, 2 renames, the link, removal of the old step.
    XCTAssertEqual(operations, 12)
    XCTAssertEqual(old, 10, "interrupts up to the switch of current leave the old step")
  }

  func testAnInterruptAtEveryWriteIntoTheOldLayoutLeavesTheOldOrTheNewStep() throws {
    let (operations, old) = try interruptEverywhere(oldLayout: true)
    // mkdir, the stale temporary file, staging mkdir, 4 files, 2 fsyncs, 2 renames, the
    // link, then a link and a rename for each of the four top-level files.
    XCTAssertEqual(operations, 20)
    XCTAssertEqual(old, 11)
  }

  func testAnExistingCheckpointIsContinuedOrReplacedOnlyWhenAsked() throws {
    let (model, examples) = try fixture()
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let absent = directory.appendingPathComponent("absent")
    for (resume, force) in [(false, false), (true, false), (false, true)] {
      XCTAssertFalse(try HeadCheckpoint.prepare(absent, resume: resume, force: force))
      XCTAssertFalse(try HeadCheckpoint.prepare(directory, resume: resume, force: force))
    }
    try HeadCheckpoint.save(try trainer(model, examples, steps: 1), to: directory, baseModel: "t")
    XCTAssertThrowsError(try HeadCheckpoint.prepare(directory, resume: false, force: false)) {
      let message = "\($0)"
      XCTAssertTrue(message.hasPrefix(directory.path), message)
      XCTAssertTrue(message.contains("--resume") && message.contains("--force"), message)
      XCTAssertFalse(message.contains("\n"), message)
    }
    XCTAssertFalse(try HeadCheckpoint.prepare(directory, resume: false, force: true))
    // A resume removes what interrupted saves left, and nothing else.
    let manager = FileManager.default
    for name in [".step-9-deadbeef", "step-7-0badf00d", ".current-0badf00d"] {
      try manager.createDirectory(
        at: directory.appendingPathComponent(name), withIntermediateDirectories: false)
    }
    try Data("mine".utf8).write(to: directory.appendingPathComponent("notes.txt"))
    XCTAssertTrue(try HeadCheckpoint.prepare(directory, resume: true, force: false))
    try manager.removeItem(at: directory.appendingPathComponent("notes.txt"))
    try assertClean(directory, "after a resume")
    // The old layout is a checkpoint too.
    try makeOldLayout(directory)
    XCTAssertThrowsError(try HeadCheckpoint.prepare(directory, resume: false, force: false))
    XCTAssertTrue(try HeadCheckpoint.prepare(directory, resume: true, force: false))
  }

  func testAnExportAppearsWholeAndReplacesOnlyWithForce() throws {
    let (model, examples) = try fixture()
    let parent = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: parent) }
    let folder = parent.appendingPathComponent("heads")
    let first = try trainer(model, examples, steps: 1)
    try HeadCheckpoint.export(first, to: folder, baseModel: "tiny", dtype: .f16)
    let manager = FileManager.default
    XCTAssertEqual(try manager.contentsOfDirectory(atPath: parent.path), ["heads"])
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: folder.path).sorted(),
      ["config.json", HeadCheckpoint.headsFile])
    let heads = folder.appendingPathComponent(HeadCheckpoint.headsFile)
    XCTAssertEqual(try SafetensorsFile(url: heads).metadata["step"], "1")

    let second = try trainer(model, examples, steps: 2)
    XCTAssertThrowsError(try HeadCheckpoint.checkExportTarget(folder, force: false)) {
      XCTAssertTrue("\($0)".contains(folder.path) && "\($0)".contains("--force"), "\($0)")
    }
    XCTAssertThrowsError(
      try HeadCheckpoint.export(second, to: folder, baseModel: "tiny", dtype: .f16))
    XCTAssertEqual(try SafetensorsFile(url: heads).metadata["step"], "1")
    try HeadCheckpoint.export(second, to: folder, baseModel: "tiny", dtype: .f16, replacing: true)
    XCTAssertEqual(try SafetensorsFile(url: heads).metadata["step"], "2")
    XCTAssertEqual(try manager.contentsOfDirectory(atPath: folder.path).count, 2)

    // An empty folder is no export yet; a staged folder an interrupt left is removed.
    let empty = parent.appendingPathComponent("empty")
    try manager.createDirectory(at: empty, withIntermediateDirectories: false)
    try manager.createDirectory(
      at: parent.appendingPathComponent(".empty.export-0badf00d"),
      withIntermediateDirectories: false)
    try HeadCheckpoint.checkExportTarget(empty, force: false)
    try HeadCheckpoint.export(first, to: empty, baseModel: "tiny", dtype: .f32)
    XCTAssertEqual(
      try manager.contentsOfDirectory(atPath: parent.path).sorted(), ["empty", "heads"])
    XCTAssertEqual(try MedusaHeads.load(directory: empty, backbone: model.config).headCount, 2)
  }
}
