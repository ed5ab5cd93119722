import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import MedusaKernels
import MedusaTestSupport
import XCTest

@testable import Medusa

/// Heads whose projection is the base model's frozen LM head: the config.json marker decides the
/// layout, missing and extra tensors are errors that name what is wrong, and the logits are
/// `LMHead(ResBlock^L(h))` computed by hand.
final class SharedHeadsLoadingTests: XCTestCase {
  private let backboneURL = Golden.model("tiny-mha-f32")

  private func loadError(_ folder: URL, _ model: LlamaModel) -> String {
    do {
      _ = try MedusaHeads.load(directory: folder, model: model)
      return "no error"
    } catch {
      return "\(error)"
    }
  }

  func testLogitsAreTheLanguageModelHeadOfTheResBlocks() throws {
    let model = try LlamaModel(directory: backboneURL)
    let h = model.config.hiddenSize
    let folder = try SharedHeads.folder(
      SharedHeads.blockTensors(heads: 3, layers: 2, hidden: h, seed: 5),
      config: SharedHeads.marker(layers: 2).merging(["medusa_num_heads": 3]) { $1 })
    defer { try? FileManager.default.removeItem(at: folder) }
    let heads = try MedusaHeads.load(directory: folder, model: model)
    XCTAssertEqual(heads.headProjection, .baseLanguageModelHead)
    XCTAssertEqual(heads.headCount, 3)
    XCTAssertEqual(heads.layerCount, 2)
    XCTAssertFalse(heads.sharedResBlock)
    XCTAssertEqual(heads.notes, [])

    let hidden = SharedHeads.hidden(h)
    let got = SharedHeads.perHead(heads, hidden: hidden)
    let store = try TensorStore(files: [folder.appendingPathComponent("medusa_lm_head.safetensors")]
    )
    let lmHead = model.languageModelHead
    for k in 0..<3 {
      // By hand: x ← x + SiLU(W1 x + b1) twice, then the backbone's LM head.
      var x = hidden
      var xDouble = hidden.map(Double.init)
      for l in 0..<2 {
        let w = try store.tensor("\(k).\(l).linear.weight").floats()
        let b = try store.tensor("\(k).\(l).linear.bias").floats()
        var z = w.withUnsafeBytes { raw in
          var out = [Float](repeating: 0, count: h)
          Kernels.linear(
            x, tokens: 1,
            weight: WeightMatrix(rows: h, columns: h, type: .f32, base: raw.baseAddress!), bias: b,
            into: &out, parallelism: .serial)
          return out
        }
        Kernels.silu(z, count: h, into: &z)
        Kernels.add(x, z, count: h, into: &x)
        xDouble = (0..<h).map { o in
          var s = Double(b[o])
          for i in 0..<h { s += Double(w[o * h + i]) * xDouble[i] }
          return xDouble[o] + s / (1 + Foundation.exp(-s))
        }
      }
      var expected = [Float](repeating: 0, count: heads.vocabularySize)
      Kernels.linear(x, tokens: 1, weight: lmHead, bias: nil, into: &expected, parallelism: .serial)
      XCTAssertEqual(got[k].map(\.bitPattern), expected.map(\.bitPattern), "head \(k) bitwise")
      // And in Double, from the dequantized LM head.
      for o in stride(from: 0, to: heads.vocabularySize, by: 7) {
        var s = 0.0
        for i in 0..<h {
          s += Double(ReferenceKernels.element(lmHead, row: o, column: i)) * xDouble[i]
        }
        XCTAssertEqual(
          Double(got[k][o]), s, accuracy: 1e-4 * max(1, abs(s)), "head \(k) logit \(o)")
      }
    }
  }

  func testTheMarkerDecidesTheLayout() throws {
    let model = try LlamaModel(directory: backboneURL)
    let h = model.config.hiddenSize
    let blocks = SharedHeads.blockTensors(heads: 2, layers: 1, hidden: h, seed: 6)

    // Without the marker, heads without projections are an error (the original layout).
    let unmarked = try SharedHeads.folder(blocks, config: nil)
    defer { try? FileManager.default.removeItem(at: unmarked) }
    XCTAssertTrue(
      loadError(unmarked, model).contains("no head projections"), loadError(unmarked, model))

    // With it, loading without the model is refused and names the way that works.
    let marked = try SharedHeads.folder(blocks, config: SharedHeads.marker())
    defer { try? FileManager.default.removeItem(at: marked) }
    XCTAssertThrowsError(try MedusaHeads.load(directory: marked, backbone: model.config)) {
      XCTAssertTrue("\($0)".contains("load(directory:model:)"), "\($0)")
      XCTAssertTrue("\($0)".contains("config.json"), "\($0)")
    }
    XCTAssertEqual(try MedusaHeads.load(directory: marked, model: model).headCount, 2)

    // With the marker, a projection tensor is an error naming it.
    let zeros = [UInt8](repeating: 0, count: 4 * model.config.vocabularySize * h)
    let extra = try SharedHeads.folder(
      blocks + [("1.1.weight", .f32, [model.config.vocabularySize, h], zeros)],
      config: SharedHeads.marker())
    defer { try? FileManager.default.removeItem(at: extra) }
    let message = loadError(extra, model)
    XCTAssertTrue(message.contains("'1.1.weight' is a vocabulary projection"), message)
    XCTAssertTrue(message.contains("medusa_head_projection"), message)

    // An unknown marker value is an error naming the key.
    let unknown = try SharedHeads.folder(blocks, config: ["medusa_head_projection": "lm_head"])
    defer { try? FileManager.default.removeItem(at: unknown) }
    XCTAssertTrue(loadError(unknown, model).contains("medusa_head_projection is lm_head"))

    // The original layout still loads, with or without the model.
    let original = backboneURL.appendingPathComponent("medusa")
    let a = try MedusaHeads.load(directory: original, backbone: model.config)
    let b = try MedusaHeads.load(directory: original, model: model)
    XCTAssertEqual(a.headProjection, .own)
    XCTAssertEqual(b.headProjection, .own)
    let hidden = SharedHeads.hidden(h)
    XCTAssertEqual(
      SharedHeads.perHead(a, hidden: hidden).map { $0.map(\.bitPattern) },
      SharedHeads.perHead(b, hidden: hidden).map { $0.map(\.bitPattern) })
  }

  func testMissingAndMisshapenTensorsAreNamed() throws {
    let model = try LlamaModel(directory: backboneURL)
    let h = model.config.hiddenSize
    var blocks = SharedHeads.blockTensors(heads: 2, layers: 1, hidden: h, seed: 7)
    func check(
      _ tensors: [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])],
      config: [String: Any] = SharedHeads.marker(), _ expected: String,
      line: UInt = #line
    ) throws {
      let folder = try SharedHeads.folder(tensors, config: config)
      defer { try? FileManager.default.removeItem(at: folder) }
      let message = loadError(folder, model)
      XCTAssertTrue(message.contains(expected), message, line: line)
    }
    // A ResBlock weight of another hidden size.
    var wrong = blocks
    wrong[2] = ("1.0.linear.weight", .f32, [h, 32], [UInt8](repeating: 0, count: 4 * h * 32))
    try check(wrong, "tensor '1.0.linear.weight' has shape [\(h), 32]")
    // A bias of the wrong length.
    wrong = blocks
    wrong[1] = ("0.0.linear.bias", .f32, [h + 1], [UInt8](repeating: 0, count: 4 * (h + 1)))
    try check(wrong, "tensor '0.0.linear.bias' has shape [\(h + 1)]")
    // A missing bias.
    try check(
      blocks.filter { $0.name != "1.0.linear.bias" }, "head 1: ResBlock weights and biases differ")
    // Heads with different ResBlocks.
    try check(
      blocks + SharedHeads.blockTensors(heads: 1, layers: 2, hidden: h, seed: 8).suffix(2),
      "head 1: ResBlocks [0], head 0 has [0, 1]")
    // No ResBlocks at all, or a name that is no head tensor.
    try check([], "no ResBlock tensors")
    try check([("0.extra", .f32, [1], [0, 0, 0, 0])], "'0.extra' is not a Medusa head tensor")
    // A missing head in the middle.
    blocks += SharedHeads.blockTensors(heads: 3, layers: 1, hidden: h, seed: 9).suffix(2)
    try check(blocks.filter { !$0.name.hasPrefix("1.") }, "head indices are not 0..<2")
  }

  func testOneStoredBlockWithConfiguredLayersIsTheSharedBlockForm() throws {
    let model = try LlamaModel(directory: backboneURL)
    let h = model.config.hiddenSize
    let blocks = SharedHeads.blockTensors(heads: 2, layers: 1, hidden: h, seed: 10)
    let folder = try SharedHeads.folder(blocks, config: SharedHeads.marker(layers: 3))
    defer { try? FileManager.default.removeItem(at: folder) }
    let heads = try MedusaHeads.load(directory: folder, model: model)
    XCTAssertEqual(heads.layerCount, 3)
    XCTAssertTrue(heads.sharedResBlock)
    // The same as a file that stores the one block three times.
    let tripled = blocks.flatMap {
      tensor -> [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])] in
      (0..<3).map { l in
        (
          tensor.name.replacingOccurrences(of: ".0.", with: ".\(l)."), tensor.dtype, tensor.shape,
          tensor.bytes
        )
      }
    }
    let explicit = try SharedHeads.folder(tripled, config: SharedHeads.marker())
    defer { try? FileManager.default.removeItem(at: explicit) }
    let other = try MedusaHeads.load(directory: explicit, model: model)
    XCTAssertEqual(other.layerCount, 3)
    XCTAssertFalse(other.sharedResBlock)
    let hidden = SharedHeads.hidden(h, seed: 3)
    XCTAssertEqual(
      SharedHeads.perHead(heads, hidden: hidden).map { $0.map(\.bitPattern) },
      SharedHeads.perHead(other, hidden: hidden).map { $0.map(\.bitPattern) })
  }
}
