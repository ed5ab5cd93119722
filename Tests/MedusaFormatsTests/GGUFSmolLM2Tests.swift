import Foundation
import XCTest

@testable import MedusaFormats

/// The real SmolLM2-135M-Instruct Q4_1 GGUF (98 MB, fetched, never committed).
final class GGUFSmolLM2Tests: XCTestCase {
  /// Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf.
  static let url = goldenFormats.deletingLastPathComponent()
    .appendingPathComponent("models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")

  /// The file, or a skip with the command that fetches it.
  static func open() throws -> GGUFFile {
    guard FileManager.default.fileExists(atPath: url.path) else {
      print("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
      throw XCTSkip("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
    }
    return try GGUFFile(url: url)
  }

  func testHeaderAndTensors() throws {
    let file = try Self.open()
    XCTAssertEqual(file.version, 3)
    XCTAssertEqual(file.alignment, 32)
    XCTAssertEqual(file.dataOffset, 1_785_664)
    XCTAssertEqual(file.tensorInfos.count, 272)
    let counts = Dictionary(grouping: file.tensorInfos, by: \.type).mapValues(\.count)
    XCTAssertEqual(counts, [.q4_1: 210, .f32: 61, .q8_0: 1])
    let embedding = try file.tensor("token_embd.weight")
    XCTAssertEqual(embedding.type, .q8_0)
    XCTAssertEqual(embedding.info.dimensions, [576, 49152])
    XCTAssertEqual(embedding.info.offset, 0)
    XCTAssertEqual(embedding.bytes.count, 49152 * 576 / 32 * 34)
    for info in file.tensorInfos where info.name.hasSuffix("_norm.weight") {
      XCTAssertEqual(info.type, .f32, info.name)
      XCTAssertEqual(info.dimensions, [576], info.name)
    }
    let norm = try XCTUnwrap(file.tensor("output_norm.weight").plainTensor)
    XCTAssertEqual(norm.shape, [576])
    XCTAssertEqual(try norm.floats().count, 576)
    let down = try file.tensor("blk.0.ffn_down.weight")
    XCTAssertEqual(down.type, .q4_1)
    XCTAssertEqual(down.info.dimensions, [1536, 576])
    XCTAssertEqual(down.info.rowBytes, 1536 / 32 * 20)
    XCTAssertEqual(file.tensorInfos.filter { $0.name.hasPrefix("blk.29.") }.count, 9)
  }

  func testLlamaMetadata() throws {
    let file = try Self.open()
    XCTAssertEqual(file.value("general.architecture")?.string, "llama")
    XCTAssertEqual(file.value("llama.embedding_length"), .uint32(576))
    XCTAssertEqual(file.value("llama.block_count")?.int, 30)
    XCTAssertEqual(file.value("llama.attention.head_count")?.int, 9)
    XCTAssertEqual(file.value("llama.attention.head_count_kv")?.int, 3)
    XCTAssertEqual(file.value("llama.feed_forward_length")?.int, 1536)
    XCTAssertEqual(file.value("llama.context_length")?.int, 8192)
    XCTAssertEqual(file.value("llama.rope.freq_base"), .float32(100_000))
    XCTAssertEqual(file.value("llama.rope.dimension_count")?.int, 64)
    XCTAssertEqual(file.value("llama.attention.layer_norm_rms_epsilon"), .float32(1e-5))
    XCTAssertEqual(file.value("general.file_type")?.int, 3)
  }

  func testTokenizerMetadata() throws {
    let file = try Self.open()
    XCTAssertEqual(file.value("tokenizer.ggml.model")?.string, "gpt2")
    XCTAssertEqual(file.value("tokenizer.ggml.pre")?.string, "smollm")
    let tokens = try XCTUnwrap(file.value("tokenizer.ggml.tokens")?.strings)
    XCTAssertEqual(tokens.count, 49152)
    XCTAssertEqual(Array(tokens.prefix(3)), ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    XCTAssertEqual(file.value("tokenizer.ggml.merges")?.strings?.count, 48900)
    XCTAssertEqual(file.value("tokenizer.ggml.merges")?.strings?.first, "Ġ t")
    XCTAssertEqual(file.value("tokenizer.ggml.token_type")?.ints?.count, 49152)
    XCTAssertEqual(file.value("tokenizer.ggml.bos_token_id")?.int, 1)
    XCTAssertEqual(file.value("tokenizer.ggml.eos_token_id")?.int, 2)
    XCTAssertEqual(file.value("tokenizer.ggml.add_bos_token"), .bool(false))
    let template = try XCTUnwrap(file.value("tokenizer.chat_template")?.string)
    XCTAssertTrue(template.contains("You are a helpful AI assistant named SmolLM"))
  }
}
