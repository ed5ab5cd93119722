import Foundation
import GoldenSupport
import Llama
import MedusaFormats
import XCTest

/// Bad model folders and bad calls give typed errors that name what is wrong, never a crash
/// or a wrong answer.
final class BadInputTests: XCTestCase {
  private var folders: [URL] = []

  override func tearDown() {
    for folder in folders { try? FileManager.default.removeItem(at: folder) }
    folders = []
  }

  /// The config and tensors of tiny-mha-f32, for mutation.
  private func baseline() throws -> (config: [String: Any], tensors: [TensorRecord]) {
    let directory = Golden.model("tiny-mha-f32")
    let data = try Data(contentsOf: directory.appendingPathComponent("config.json"))
    let config = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let store = try TensorStore(directory: directory)
    let tensors = try store.names.map { name -> TensorRecord in
      let tensor = try store.tensor(name)
      return (name, tensor.dtype, tensor.shape, Array(tensor.bytes))
    }
    return (config, tensors)
  }

  typealias TensorRecord = (name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])

  /// Writes a model folder and returns it.
  private func folder(config: [String: Any], tensors: [TensorRecord]) throws -> URL {
    let url = try temporaryDirectory()
    folders.append(url)
    let json = try JSONSerialization.data(withJSONObject: config)
    try json.write(to: url.appendingPathComponent("config.json"))
    try SafetensorsWriter.write(
      tensors, metadata: [:], to: url.appendingPathComponent("model.safetensors"))
    return url
  }

  func testUnknownModelTypeIsRejectedByName() throws {
    let (baseConfig, tensors) = try baseline()
    var config = baseConfig
    config["model_type"] = "gpt2"
    let url = try folder(config: config, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertEqual(
        error as? LlamaError,
        .unsupportedModelType(
          file: url.appendingPathComponent("config.json").path, modelType: "gpt2"))
      XCTAssertTrue("\(error)".contains("gpt2"))
    }
  }

  func testUnsupportedRopeScalingAndBadFields() throws {
    let (config, tensors) = try baseline()
    var yarn = config
    yarn["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0]
    let url = try folder(config: yarn, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertTrue("\(error)".contains("rope scaling type 'yarn'"), "\(error)")
    }
    var missing = config
    missing.removeValue(forKey: "vocab_size")
    let missingURL = try folder(config: missing, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: missingURL)) { error in
      XCTAssertTrue("\(error)".contains("'vocab_size': missing"), "\(error)")
    }
    var groups = config
    groups["num_key_value_heads"] = 3
    let groupsURL = try folder(config: groups, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: groupsURL)) { error in
      XCTAssertTrue("\(error)".contains("num_key_value_heads"), "\(error)")
    }
    var wrongType = config
    wrongType["hidden_size"] = "64"
    let wrongTypeURL = try folder(config: wrongType, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: wrongTypeURL)) { error in
      XCTAssertTrue("\(error)".contains("'hidden_size': expected an integer"), "\(error)")
    }
  }

  /// Values in nonsensical ranges are rejected by field name.
  func testOutOfRangeConfigValuesAreNamed() throws {
    let (config, tensors) = try baseline()
    for (field, value, expected) in [
      ("rms_norm_eps", -1e-5, "rms_norm_eps"), ("rms_norm_eps", 0.0, "rms_norm_eps"),
      ("rope_theta", -10000.0, "rope_theta"), ("num_hidden_layers", 0, "num_hidden_layers"),
      ("max_position_embeddings", -1, "max_position_embeddings"),
    ] as [(String, Any, String)] {
      var bad = config
      bad.removeValue(forKey: "rope_parameters")
      bad[field] = value
      let url = try folder(config: bad, tensors: tensors)
      XCTAssertThrowsError(try LlamaModel(directory: url), "\(field) = \(value)") { error in
        XCTAssertTrue("\(error)".contains(expected), "\(field) = \(value): \(error)")
      }
    }
  }

  func testMissingTensorIsNamed() throws {
    let (config, tensors) = try baseline()
    let url = try folder(config: config, tensors: tensors.filter { $0.name != "model.norm.weight" })
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertEqual(
        error as? LlamaError, .missingTensor(name: "model.norm.weight", directory: url.path))
    }
  }

  func testExtraTensorIsNamed() throws {
    let (config, tensors) = try baseline()
    let url = try folder(
      config: config, tensors: tensors + [("stray.weight", .f32, [1], [0, 0, 0, 0])])
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertEqual(
        error as? LlamaError, .unexpectedTensors(names: ["stray.weight"], directory: url.path))
    }
    XCTAssertNoThrow(try LlamaModel(directory: url, ignoredPrefixes: ["stray."]))
  }

  func testShapeAndDTypeMismatchesAreNamed() throws {
    let (config, tensors) = try baseline()
    let misshapen = tensors.map { record -> TensorRecord in
      guard record.name == "model.layers.1.self_attn.q_proj.weight" else { return record }
      return (record.name, record.dtype, [record.shape[1], record.shape[0] / 2, 2], record.bytes)
    }
    let url = try folder(config: config, tensors: misshapen)
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertEqual(
        error as? LlamaError,
        .shapeMismatch(
          tensor: "model.layers.1.self_attn.q_proj.weight", expected: [64, 64], found: [64, 32, 2]))
    }
    let integer = tensors.map { record -> TensorRecord in
      guard record.name == "model.norm.weight" else { return record }
      return (record.name, .i32, record.shape, record.bytes)
    }
    let integerURL = try folder(config: config, tensors: integer)
    XCTAssertThrowsError(try LlamaModel(directory: integerURL)) { error in
      XCTAssertEqual(
        error as? LlamaError, .unsupportedDType(tensor: "model.norm.weight", dtype: "I32"))
    }
  }

  func testTruncatedCheckpointNamesTheFile() throws {
    let (config, tensors) = try baseline()
    let url = try folder(config: config, tensors: tensors)
    let file = url.appendingPathComponent("model.safetensors")
    let data = try Data(contentsOf: file)
    try data.prefix(data.count - 100).write(to: file)
    XCTAssertThrowsError(try LlamaModel(directory: url)) { error in
      XCTAssertTrue("\(error)".contains(file.path), "\(error)")
    }
  }

  func testOverflowAndOutOfRangeTokensAreErrors() throws {
    let model = try LlamaModel(directory: Golden.model("tiny-mha-f32"))
    let state = try model.makeState(capacity: 4, maxBatch: 8)
    XCTAssertThrowsError(
      try model.forward(
        tokens: [1, 2, 3, 4, 5], positions: [0, 1, 2, 3, 4], plan: .causal(5), logitsFor: [4],
        state: state)
    ) { error in
      XCTAssertEqual(error as? LlamaError, .cacheOverflow(needed: 5, capacity: 4))
    }
    XCTAssertThrowsError(
      try model.forward(
        tokens: [320], positions: [0], plan: .causal(1), logitsFor: [0], state: state)
    ) { error in
      XCTAssertEqual(error as? LlamaError, .tokenOutOfRange(token: 320, vocabularySize: 320))
    }
    XCTAssertEqual(state.cache.length, 0)
  }

  func testFamiliesAndStopTokens() throws {
    let (config, tensors) = try baseline()
    var mistral = config
    mistral["model_type"] = "mistral"
    mistral["sliding_window"] = 16
    let mistralModel = try LlamaModel(directory: try folder(config: mistral, tensors: tensors))
    XCTAssertNoThrow(try mistralModel.makeState(capacity: 16))
    XCTAssertThrowsError(try mistralModel.makeState(capacity: 17))
    var qwen = config
    qwen["model_type"] = "qwen2"
    let qwenURL = try folder(config: qwen, tensors: tensors)
    XCTAssertThrowsError(try LlamaModel(directory: qwenURL)) { error in
      XCTAssertEqual(
        error as? LlamaError,
        .missingTensor(name: "model.layers.0.self_attn.q_proj.bias", directory: qwenURL.path))
    }
    var listed = config
    listed["eos_token_id"] = [5, 7]
    let listedURL = try folder(config: listed, tensors: tensors)
    try Data(#"{"eos_token_id": [7, 9], "bos_token_id": 1}"#.utf8).write(
      to: listedURL.appendingPathComponent("generation_config.json"))
    let parsed = try LlamaConfig(directory: listedURL)
    XCTAssertEqual(parsed.eosTokenIDs, [5, 7, 9])
  }
}
