import Foundation
import GoldenSupport
import XCTest

@testable import Medusa
@testable import MedusaTraining

/// `medusa distill` continues an output only when `distill.json` says it was made with the same
/// model, prompts and settings (``DistillationOutput``, ``DistillationRecord``); a partial last
/// line is cut off; `--force` starts over.
final class DistillResumeTests: XCTestCase {
  func testSHA256MatchesKnownDigests() {
    let cases: [([UInt8], String)] = [
      ([], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
      (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
      (
        Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
      ),
      (
        [UInt8](repeating: 0x61, count: 55),
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"
      ),
      (
        [UInt8](repeating: 0x61, count: 64),
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"
      ),
      (
        Array(repeating: (0..<256).map { UInt8($0) }, count: 5).flatMap { $0 },
        "d414b085826eb06778483ba35564dc849e643359f69ed9747878ba6e54985bed"
      ),
    ]
    for (bytes, digest) in cases {
      XCTAssertEqual(MedusaTraining.SHA256.hex(bytes), digest, "\(bytes.count) bytes")
    }
  }

  /// A folder with a model-like config.json and a 3 MiB weights file, and a prompts file.
  private func inputs(_ directory: URL) throws -> (model: URL, prompts: URL) {
    let model = directory.appendingPathComponent("model")
    try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
    try Data("{\"hidden_size\": 64}".utf8).write(to: model.appendingPathComponent("config.json"))
    try Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 * 7) }).write(
      to: model.appendingPathComponent("model.safetensors"))
    let prompts = directory.appendingPathComponent("prompts.jsonl")
    try Data("{\"ids\": [1, 2]}\n{\"ids\": [3]}\n{\"ids\": [4, 5]}\n".utf8).write(to: prompts)
    return (model, prompts)
  }

  private func record(
    _ inputs: (model: URL, prompts: URL), temperature: Double = 0.7, chat: String? = nil
  ) throws -> DistillationRecord {
    try DistillationRecord(
      model: inputs.model, prompts: inputs.prompts, maxNewTokens: 16, temperature: temperature,
      seed: 9, chat: chat, ignoreEOS: false)
  }

  func testTheModelFingerprintSeesSizeAndBothEnds() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let (model, _) = try inputs(directory)
    let weights = model.appendingPathComponent("model.safetensors")
    let original = try DistillationRecord.modelFingerprint(model)
    XCTAssertEqual(try DistillationRecord.modelFingerprint(model), original)
    var bytes = try Data(contentsOf: weights)
    bytes[bytes.count - 1] ^= 1
    try bytes.write(to: weights)
    let changedTail = try DistillationRecord.modelFingerprint(model)
    XCTAssertNotEqual(changedTail, original)
    bytes[0] ^= 1
    try bytes.write(to: weights)
    XCTAssertNotEqual(try DistillationRecord.modelFingerprint(model), changedTail)
    bytes.append(0)
    try bytes.write(to: weights)
    XCTAssertNotEqual(try DistillationRecord.modelFingerprint(model), changedTail)
    // A single file (GGUF) is its own identity; the Golden model's is stable.
    XCTAssertNotEqual(try DistillationRecord.modelFingerprint(weights), original)
    let golden = Golden.model("tiny-mha-f32")
    XCTAssertEqual(
      try DistillationRecord.modelFingerprint(golden),
      try DistillationRecord.modelFingerprint(golden))
  }

  func testAResumeNeedsTheSameRecordAndDropsAPartialLine() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let given = try inputs(directory)
    let out = directory.appendingPathComponent("out")
    let sequences = out.appendingPathComponent(DistilledSequence.fileName)
    let recordURL = out.appendingPathComponent(DistillationRecord.fileName)
    let first = try record(given)

    // A fresh folder: created, the record written, nothing to skip.
    XCTAssertEqual(
      try DistillationOutput.prepare(out, record: first, force: false),
      DistillationOutput.Resume(sequences: 0, droppedBytes: 0))
    XCTAssertEqual(try DistillationOutput.read(recordURL), first)

    // Two complete lines and an interrupted third: the third is cut off.
    let lines =
      DistilledSequence(promptIDs: [1, 2], outputIDs: [7]).jsonLine + "\n"
      + DistilledSequence(promptIDs: [3], outputIDs: [8, 9]).jsonLine + "\n"
    try Data((lines + "{\"prompt_ids\":[4,5],\"outp").utf8).write(to: sequences)
    XCTAssertEqual(
      try DistillationOutput.prepare(out, record: try record(given), force: false),
      DistillationOutput.Resume(sequences: 2, droppedBytes: 25))
    XCTAssertEqual(try String(contentsOf: sequences, encoding: .utf8), lines)
    XCTAssertEqual(try DistilledSequence.read(sequences, vocabulary: 10).count, 2)

    // Another setting is refused, naming the first field that differs and --force.
    func refusal(_ other: DistillationRecord) -> String {
      do {
        _ = try DistillationOutput.prepare(out, record: other, force: false)
        return "accepted"
      } catch {
        return "\(error)"
      }
    }
    var other = first
    other.temperature = 0.8
    other.seed = 1
    let message = refusal(other)
    XCTAssertTrue(message.hasPrefix(recordURL.path), message)
    XCTAssertTrue(message.contains("temperature 0.7, this run has 0.8"), message)
    XCTAssertTrue(message.contains("--force"), message)
    XCTAssertFalse(message.contains("\n"), message)
    let changes: [(String, (inout DistillationRecord) -> Void)] = [
      ("max_new_tokens", { $0.maxNewTokens = 17 }), ("seed", { $0.seed = 10 }),
      ("chat", { $0.chat = "chatml" }), ("ignore_eos", { $0.ignoreEOS = true }),
      ("model", { $0.modelFingerprint = "0" }), ("prompts", { $0.promptsSHA256 = "0" }),
    ]
    for (field, change) in changes {
      var changed = first
      change(&changed)
      XCTAssertTrue(refusal(changed).contains("made with \(field) "), refusal(changed))
    }
    // The paths are not compared: a model or prompts file may move.
    other = first
    other.model = "/elsewhere/model"
    other.prompts = "/elsewhere/prompts.jsonl"
    XCTAssertEqual(try DistillationOutput.prepare(out, record: other, force: false).sequences, 2)
    // Another prompts file is another record.
    try Data("{\"ids\": [1, 2]}\n".utf8).write(to: given.prompts)
    XCTAssertTrue(refusal(try record(given)).contains("made with prompts "))
    XCTAssertEqual(try String(contentsOf: sequences, encoding: .utf8), lines)

    // --force starts over: no sequences, the new record.
    var changed = first
    changed.temperature = 0
    XCTAssertEqual(
      try DistillationOutput.prepare(out, record: changed, force: true),
      DistillationOutput.Resume(sequences: 0, droppedBytes: 0))
    XCTAssertEqual(try Data(contentsOf: sequences).count, 0)
    XCTAssertEqual(try DistillationOutput.read(recordURL), changed)

    // Without complete sequences the record is simply replaced.
    try Data("{\"prompt".utf8).write(to: sequences)
    XCTAssertEqual(
      try DistillationOutput.prepare(out, record: first, force: false),
      DistillationOutput.Resume(sequences: 0, droppedBytes: 8))
    XCTAssertEqual(try DistillationOutput.read(recordURL), first)
  }

  func testSequencesWithoutARecordAreRefusedUnlessForced() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let given = try inputs(directory)
    let out = directory.appendingPathComponent("out")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    let sequences = out.appendingPathComponent(DistilledSequence.fileName)
    try Data((DistilledSequence(promptIDs: [1], outputIDs: [2]).jsonLine + "\n").utf8).write(
      to: sequences)
    XCTAssertThrowsError(
      try DistillationOutput.prepare(out, record: try record(given), force: false)
    ) {
      let message = "\($0)"
      XCTAssertTrue(message.contains("holds 1 sequences but no distill.json"), message)
      XCTAssertTrue(message.contains("--force"), message)
    }
    let recordURL = out.appendingPathComponent(DistillationRecord.fileName)
    try Data("{\"model\": 3}".utf8).write(to: recordURL)
    XCTAssertThrowsError(
      try DistillationOutput.prepare(out, record: try record(given), force: false)
    ) {
      XCTAssertTrue("\($0)".contains("not a distillation record"), "\($0)")
    }
    XCTAssertEqual(
      try DistillationOutput.prepare(out, record: try record(given), force: true).sequences, 0)
    XCTAssertEqual(try DistillationOutput.read(recordURL), try record(given))
  }
}
