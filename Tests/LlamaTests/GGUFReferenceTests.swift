import Foundation
import GoldenSupport
import Llama
import MedusaKernels
import XCTest

/// GGUF models against transformers loading the same file (`gguf_file=`, float32, its own
/// dequantization and q/k un-permutation): the tiny quantized Golden models (every ggml type the
/// kernels read), and SmolLM2-135M-Instruct when it has been fetched.
final class GGUFReferenceTests: XCTestCase {
  /// Largest |logit - reference| allowed, relative to the largest |logit| of the reference.
  /// Measured worst: 1.1e-6 relative on the tiny GGUF models (|logit| up to 70) and 1.5e-6
  /// on SmolLM2 (|logit| up to 44), below transformers' own eager-vs-sdpa spread on the same
  /// files (3.8e-7 ... 1.9e-6 relative).
  static let relativeTolerance: Float = 1e-5

  static let tinyModels = [
    "tiny-gpt2-Q8_0", "tiny-gpt2-Q4_0", "tiny-gpt2-Q4_1", "tiny-gpt2-Q5_0", "tiny-gpt2-Q5_1",
    "tiny-gpt2-Q2_K", "tiny-gpt2-Q4_K_M", "tiny-gpt2-Q5_K_M", "tiny-gpt2-Q6_K", "tiny-llama-F16",
  ]

  static func tinyModel(_ name: String) -> URL {
    Golden.root.appendingPathComponent("Golden/models/gguf-tiny/\(name).gguf")
  }

  func testTinyQuantizedModelsMatchTransformers() throws {
    for name in Self.tinyModels {
      let reference = try Golden.json("Golden/cases/backbone/gguf-\(name).json")
      let model = try LlamaModel(path: Self.tinyModel(name))
      let bound = try Self.bound(reference)
      var worst: Float = 0
      for testCase in try XCTUnwrap(reference["cases"] as? [[String: Any]]) {
        let prompt = Golden.ints(testCase["prompt_ids"])
        let expectedIDs = Golden.ints(testCase["greedy_ids"])
        let run = try Greedy.run(model: model, prompt: prompt, count: expectedIDs.count)
        XCTAssertEqual(run.ids, expectedIDs, "\(name) prompt \(prompt)")
        let expected = Golden.floats(testCase["last_logits"])
        XCTAssertEqual(run.firstLogits.count, expected.count, name)
        for (got, want) in zip(run.firstLogits, expected) { worst = max(worst, abs(got - want)) }
      }
      let all = try XCTUnwrap(reference["all_position_logits"] as? [String: Any])
      let prompt = Golden.ints(all["prompt_ids"])
      let rows = try XCTUnwrap(all["logits"] as? [[NSNumber]])
      let state = try model.makeState(capacity: prompt.count, maxBatch: prompt.count)
      try model.forward(
        tokens: prompt, positions: Array(0..<prompt.count), plan: .causal(prompt.count),
        logitsFor: Array(0..<prompt.count), state: state)
      for (index, row) in rows.enumerated() {
        for (got, want) in zip(state.logits(index), row) {
          worst = max(worst, abs(got - want.floatValue))
        }
      }
      XCTAssertLessThanOrEqual(worst, bound, "\(name): worst logit error \(worst)")
    }
  }

  func testSmolLM2MatchesTransformers() throws {
    let file = Golden.root.appendingPathComponent(
      "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw XCTSkip("SmolLM2 is not fetched: run `bash Golden/tools/fetch_smollm2.sh`")
    }
    let reference = try Golden.json("Golden/cases/backbone/smollm2-135m-instruct.json")
    let model = try LlamaModel(path: file)
    XCTAssertEqual(model.config.hiddenSize, 576)
    XCTAssertEqual(model.config.layerCount, 30)
    XCTAssertTrue(model.config.tieWordEmbeddings)
    let bound = try Self.bound(reference)
    var worst: Float = 0
    let cases = try XCTUnwrap(reference["cases"] as? [[String: Any]])
    XCTAssertGreaterThanOrEqual(cases.count, 8)
    for testCase in cases {
      let prompt = Golden.ints(testCase["prompt_ids"])
      let expectedIDs = Golden.ints(testCase["greedy_ids"])
      let steps = try XCTUnwrap(testCase["step_logits"] as? [[String: Any]])
      let run = try Greedy.run(
        model: model, prompt: prompt, count: expectedIDs.count, keepLogits: true)
      XCTAssertEqual(run.ids, expectedIDs, "\(testCase["name"] ?? "")")
      for (step, summary) in steps.enumerated() where step < run.logits.count {
        worst = max(worst, try Self.summaryError(run.logits[step], summary))
      }
    }
    XCTAssertLessThanOrEqual(worst, bound, "SmolLM2: worst logit error \(worst)")
  }

  /// Logits of `T` tokens run together are bitwise those of running them one at a time, on
  /// quantized models (mixed k-quants, 5-bit blocks) with 1 and 2 threads.
  func testQuantizedForwardIsBatchInvariant() throws {
    for name in ["tiny-gpt2-Q4_K_M", "tiny-gpt2-Q5_0", "tiny-gpt2-Q2_K"] {
      let model = try LlamaModel(path: Self.tinyModel(name))
      let tokens = (0..<24).map { ($0 * 37 + 11) % model.config.vocabularySize }
      let one = try model.makeState(capacity: 32, maxBatch: 1, parallelism: .serial)
      var single: [[UInt32]] = []
      for (position, token) in tokens.enumerated() {
        try model.forward(
          tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: one)
        try one.cache.commit(1)
        single.append(bits(one.logits(0)))
      }
      for threads in [1, 2] {
        let batch = try model.makeState(
          capacity: 32, maxBatch: 24, parallelism: Parallelism(threads: threads))
        try model.forward(
          tokens: tokens, positions: Array(0..<24), plan: .causal(24),
          logitsFor: Array(0..<24), state: batch)
        for position in 0..<24 {
          XCTAssertEqual(
            bits(batch.logits(position)), single[position], "\(name) @\(position) \(threads)")
        }
      }
    }
  }

  /// The reference's bound: `relativeTolerance` times its largest |logit|.
  static func bound(_ reference: [String: Any]) throws -> Float {
    let noise = try XCTUnwrap(reference["noise_floor"] as? [String: Any])
    let largest = try XCTUnwrap(noise["max_abs_logit"] as? NSNumber).floatValue
    return relativeTolerance * max(largest, 1)
  }

  /// Largest error of `logits` against a row summary: its top-20 logits (whose ids must be
  /// ours, apart from near-ties), the strided sample and the log-sum-exp.
  static func summaryError(_ logits: [Float], _ summary: [String: Any]) throws -> Float {
    var worst: Float = 0
    let ids = Golden.ints(summary["top_ids"])
    let values = Golden.floats(summary["top_logits"])
    for (id, value) in zip(ids, values) { worst = max(worst, abs(logits[id] - value)) }
    for (index, value) in Golden.floats(summary["strided"]).enumerated() {
      worst = max(worst, abs(logits[index * 61] - value))
    }
    let peak = logits.max() ?? 0
    let sum = logits.reduce(0.0) { $0 + Foundation.exp(Double($1 - peak)) }
    let logsumexp = Float(Double(peak) + Foundation.log(sum))
    let expected = try XCTUnwrap(summary["logsumexp"] as? NSNumber).floatValue
    return max(worst, abs(logsumexp - expected))
  }
}

/// Greedy decoding one token per forward, for the reference tests.
enum Greedy {
  struct Run {
    /// The generated ids.
    var ids: [Int]
    /// Logits after the prompt.
    var firstLogits: [Float]
    /// Logits of every step (when kept): after the prompt, then after each generated token.
    var logits: [[Float]]
  }

  static func run(model: LlamaModel, prompt: [Int], count: Int, keepLogits: Bool = false) throws
    -> Run
  {
    let state = try model.makeState(
      capacity: prompt.count + count, maxBatch: prompt.count, parallelism: .serial)
    try model.forward(
      tokens: prompt, positions: Array(0..<prompt.count), plan: .causal(prompt.count),
      logitsFor: [prompt.count - 1], state: state)
    try state.cache.commit(prompt.count)
    var run = Run(ids: [], firstLogits: Array(state.logits(0)), logits: [])
    while true {
      let logits = state.logits(0)
      if keepLogits { run.logits.append(Array(logits)) }
      run.ids.append(Kernels.argmax(logits.baseAddress!, count: logits.count))
      if run.ids.count == count { return run }
      try model.forward(
        tokens: [run.ids.last!], positions: [state.cache.length], plan: .causal(1),
        logitsFor: [0], state: state)
      try state.cache.commit(1)
    }
  }
}
