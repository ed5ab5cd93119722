import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import MedusaKernels
import XCTest

@testable import Medusa

/// Every published heads layout loads, and loads to the same heads; shapes that do not fit the
/// backbone and names that are not Medusa heads are errors that say so.
final class MedusaHeadsLoadingTests: XCTestCase {
  private let backboneURL = Golden.model("tiny-mha-f32")

  private func logits(_ heads: MedusaHeads, hidden: [Float]) -> [[Float]] {
    let outputs = (0..<heads.headCount).map { _ in FloatBuffer(heads.vocabularySize) }
    let work = FloatBuffer(2 * heads.hiddenSize)
    hidden.withUnsafeBufferPointer { pointer in
      guard let base = pointer.baseAddress else { return }
      heads.logits(hidden: base, into: outputs.map(\.base), work: work.base, parallelism: .serial)
    }
    return outputs.map { Array(UnsafeBufferPointer(start: $0.base, count: heads.vocabularySize)) }
  }

  func testPyTorchZipAndMedusa2CheckpointGiveTheSameHeadsAsSafetensors() throws {
    let model = try LlamaModel(directory: backboneURL)
    let reference = try MedusaHeads.load(
      directory: backboneURL.appendingPathComponent("medusa"), backbone: model.config)
    let hidden = (0..<model.config.hiddenSize).map { Float(($0 * 37) % 11) / 7 - 0.7 }
    let expected = logits(reference, hidden: hidden).map { $0.map(\.bitPattern) }

    let pt = try MedusaHeads.load(
      directory: Golden.root.appendingPathComponent("Golden/heads/tiny-mha-f32-pt"),
      backbone: model.config)
    XCTAssertEqual(pt.headCount, reference.headCount)
    XCTAssertEqual(pt.notes, ["config says medusa_num_heads 5, the tensors hold 4 heads"])
    XCTAssertEqual(logits(pt, hidden: hidden).map { $0.map(\.bitPattern) }, expected)

    let fullURL = Golden.root.appendingPathComponent("Golden/heads/tiny-mha-f32-medusa2")
    let full = try MedusaHeads.load(directory: fullURL, backbone: model.config)
    XCTAssertEqual(logits(full, hidden: hidden).map { $0.map(\.bitPattern) }, expected)
    XCTAssertNoThrow(
      try LlamaModel(directory: fullURL, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix]))
    XCTAssertThrowsError(try LlamaModel(directory: fullURL)) { error in
      XCTAssertTrue("\(error)".contains("unexpected tensors medusa_head."), "\(error)")
    }
  }

  func testSharedResBlockIsAppliedLayerCountTimesLikeTheOriginal() throws {
    let model = try LlamaModel(directory: backboneURL)
    let directory = Golden.root.appendingPathComponent("Golden/heads/tiny-mha-f32-shared2")
    let heads = try MedusaHeads.load(directory: directory, backbone: model.config)
    XCTAssertEqual(heads.layerCount, 2)
    XCTAssertTrue(heads.sharedResBlock)
    let expected = try Golden.json("Golden/heads/tiny-mha-f32-shared2/expected.json")
    let hidden = Golden.floats(expected["hidden"])
    let rows = try XCTUnwrap(expected["logits"] as? [[NSNumber]])
    for (head, row) in logits(heads, hidden: hidden).enumerated() {
      for (got, want) in zip(row, rows[head]) {
        XCTAssertEqual(got, want.floatValue, accuracy: 2e-5, "head \(head)")
      }
    }
  }

  func testHeadsOfAnotherModelAreRejected() throws {
    let other = try LlamaModel(directory: Golden.model("tiny-gqa-f16"))
    XCTAssertThrowsError(
      try MedusaHeads.load(
        directory: backboneURL.appendingPathComponent("medusa"), backbone: other.config)
    ) { error in
      guard case .headsMismatch(_, let reason)? = error as? MedusaError else {
        return XCTFail("\(error)")
      }
      XCTAssertTrue(reason.contains("hidden size 96"), reason)
    }
  }

  func testNamesThatAreNotHeadsAreRejected() throws {
    let model = try LlamaModel(directory: backboneURL)
    let folder = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let zeros = [UInt8](repeating: 0, count: 4 * 64 * 64)
    try SafetensorsWriter.write(
      [
        ("0.0.linear.weight", .f32, [64, 64], zeros),
        ("0.0.linear.bias", .f32, [64], Array(zeros.prefix(256))),
        ("0.1.weight", .f32, [64, 64], zeros), ("0.extra", .f32, [1], [0, 0, 0, 0]),
      ],
      metadata: [:], to: folder.appendingPathComponent("medusa_lm_head.safetensors"))
    XCTAssertThrowsError(try MedusaHeads.load(directory: folder, backbone: model.config)) { error in
      XCTAssertTrue("\(error)".contains("'0.extra' is not a Medusa head tensor"), "\(error)")
    }
    XCTAssertThrowsError(
      try MedusaHeads.load(directory: folder.appendingPathComponent("none"), backbone: model.config)
    ) { error in
      guard case .noHeads? = error as? MedusaError else { return XCTFail("\(error)") }
    }
  }
}
