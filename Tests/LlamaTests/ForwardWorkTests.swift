import Foundation
import GoldenSupport
import Llama
import XCTest

/// The two axes of the roofline (``LlamaModel/weightBytesPerForward`` and
/// ``LlamaModel/multiplyAddsPerForward(tokens:context:logits:)``) against the tensor shapes
/// read straight from each Golden model's safetensors headers (every shard), not through the
/// loader.
final class ForwardWorkTests: XCTestCase {
  /// One tensor of a safetensors header: its shape and bytes per element.
  private struct Tensor {
    let shape: [Int]
    let elementBytes: Int
    var elements: Int { shape.reduce(1, *) }
  }

  /// The header of `file`: 8 bytes of little-endian length, then JSON.
  private func header(_ file: URL) throws -> [String: Tensor] {
    let data = try Data(contentsOf: file)
    let length = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    let json = try XCTUnwrap(
      JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + length))) as? [String: Any])
    let sizes = ["F32": 4, "F16": 2, "BF16": 2]
    var tensors: [String: Tensor] = [:]
    for (name, value) in json where name != "__metadata__" {
      let entry = try XCTUnwrap(value as? [String: Any])
      let shape = try XCTUnwrap(entry["shape"] as? [Int])
      let dtype = try XCTUnwrap(entry["dtype"] as? String)
      tensors[name] = Tensor(shape: shape, elementBytes: try XCTUnwrap(sizes[dtype]))
    }
    return tensors
  }

  func testWorkMatchesTheSafetensorsShapes() throws {
    for name in Golden.modelNames + ["default"] {
      let directory = Golden.model(name)
      let shards = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasSuffix(".safetensors") }
      XCTAssertFalse(shards.isEmpty, name)
      let tensors = try shards.reduce(into: [String: Tensor]()) { all, shard in
        all.merge(try header(directory.appendingPathComponent(shard))) { first, _ in first }
      }
      let model = try LlamaModel(directory: directory)
      let projections = tensors.filter { $0.key.hasSuffix("_proj.weight") }.map(\.value)
      let head = try XCTUnwrap(tensors["lm_head.weight"] ?? tensors["model.embed_tokens.weight"])
      let queryRows = tensors.filter { $0.key.hasSuffix("q_proj.weight") }.map { $0.value.shape[0] }

      let bytes = (projections + [head]).reduce(0) { $0 + $1.elements * $1.elementBytes }
      XCTAssertEqual(model.weightBytesPerForward, bytes, name)

      let layers = projections.reduce(0) { $0 + $1.elements }
      for (tokens, context, logits) in [(1, 0, 1), (1, 64, 1), (8, 64, 8), (64, 0, 1), (5, 3, 2)] {
        // Token t sees context + t + 1 positions; two dot products of head_dim per query head.
        let visible = (0..<tokens).reduce(0) { $0 + context + $1 + 1 }
        let attention = queryRows.reduce(0) { $0 + 2 * $1 * visible }
        let expected = tokens * layers + logits * head.elements + attention
        XCTAssertEqual(
          model.multiplyAddsPerForward(tokens: tokens, context: context, logits: logits),
          expected, "\(name) T=\(tokens) context=\(context)")
      }
      XCTAssertEqual(
        model.multiplyAddsPerForward(tokens: 4, context: 10),
        model.multiplyAddsPerForward(tokens: 4, context: 10, logits: 4), name)
    }
  }
}
