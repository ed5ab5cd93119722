import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// Autoregressive and lossless Medusa sampling traces against `Golden/cases/sampling/NAME.json`,
/// which `Golden/tools/make_sampling_refs.py` computes independently (transformers float32,
/// its own SplitMix64, processors, draw and acceptance rules). Token for token, uniform for
/// uniform: every decision of the Golden traces is at least `min_margin_required` from its
/// boundary, far above the float32 noise between the two backbones.
final class SamplingTraceGoldenTests: XCTestCase {
  /// The cache is sized for prompts up to this long (the Golden sampling prompts are shorter).
  static let longestPrompt = 64

  struct File: Decodable {
    let model: String
    let maxNewTokens: Int
    let trees: [String: [[Int]]]
    let cases: [Case]
  }

  struct Case: Decodable {
    let id: String
    let decoder: String
    let tree: String?
    let promptIds: [Int]
    let sampling: Parameters
    let outputIds: [Int]
    let uniforms: [Double]?
    let steps: [Step]?
  }

  struct Parameters: Decodable {
    let temperature: Double
    let topK: Int
    let topP: Double
    let minP: Double
    let seed: UInt64
  }

  struct Step: Decodable {
    let rootDraw: Root
    let trials: [Trial]
    let bestCandidate: Int
    let acceptLength: Int
    let tokens: [Int]
  }

  struct Root: Decodable {
    let token: Int
    let excluded: [Int]
    let uniform: Double
  }

  struct Trial: Decodable {
    let node: Int
    let token: Int
    let probability: Double
    let uniform: Double
    let accepted: Bool
  }

  static func files() throws -> [File] {
    let folder = Golden.root.appendingPathComponent("Golden/cases/sampling")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try names.map {
      try decoder.decode(File.self, from: Data(contentsOf: folder.appendingPathComponent($0)))
    }
  }

  func testSampledTracesReplayTokenForToken() throws {
    let files = try Self.files()
    XCTAssertGreaterThanOrEqual(files.count, 2)
    var medusaCases = 0
    var arCases = 0
    var trials = 0
    for file in files {
      let model = try LlamaModel(directory: Golden.model(file.model))
      let heads = try MedusaHeads.load(
        directory: Golden.model(file.model).appendingPathComponent("medusa"),
        backbone: model.config)
      let stop = StopRule(maxNewTokens: file.maxNewTokens, stopTokens: [])
      var decoders: [String: MedusaDecoder] = [:]
      for (name, paths) in file.trees {
        let choices = try MedusaChoices(paths: paths, headCount: heads.headCount)
        decoders[name] = try MedusaDecoder(
          model: model, heads: heads, choices: choices,
          capacity: MedusaDecoder.capacity(
            promptLength: Self.longestPrompt, maxNewTokens: file.maxNewTokens, choices: choices))
      }
      let ar = try AutoregressiveDecoder(
        model: model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: Self.longestPrompt, maxNewTokens: file.maxNewTokens))
      for golden in file.cases {
        let label = "\(file.model) \(golden.id)"
        let s = golden.sampling
        let processor = LogitsProcessor(
          temperature: s.temperature, topK: s.topK, topP: s.topP, minP: s.minP)
        if golden.decoder == "ar" {
          let result = try ar.generate(
            prompt: golden.promptIds, stop: stop, sampling: processor, seed: s.seed)
          XCTAssertEqual(result.outputIDs, golden.outputIds, label)
          var rng = SplitMix64(seed: s.seed)
          XCTAssertEqual(
            golden.uniforms, (0..<golden.outputIds.count).map { _ in rng.nextUnitDouble() }, label)
          arCases += 1
          continue
        }
        guard let tree = golden.tree, let decoder = decoders[tree], let steps = golden.steps
        else { return XCTFail("\(label): no tree or steps") }
        let result = try decoder.generate(
          prompt: golden.promptIds, stop: stop, verification: .lossless(processor, seed: s.seed),
          recordSteps: true)
        XCTAssertEqual(result.outputIDs, golden.outputIds, label)
        XCTAssertEqual(result.medusaSteps.count, steps.count, label)
        for (index, (got, expected)) in zip(result.medusaSteps, steps).enumerated() {
          let at = "\(label) step \(index)"
          XCTAssertEqual(got.tokens, expected.tokens, at)
          XCTAssertEqual(got.bestCandidate, expected.bestCandidate, at)
          XCTAssertEqual(got.acceptLength, expected.acceptLength, at)
          guard let trace = got.sampling else { return XCTFail("\(at): no sampling trace") }
          XCTAssertEqual(trace.root.token, expected.rootDraw.token, at)
          XCTAssertEqual(trace.root.excluded, expected.rootDraw.excluded, at)
          XCTAssertEqual(trace.root.uniform, expected.rootDraw.uniform, at)
          XCTAssertEqual(trace.trials.count, expected.trials.count, at)
          for (trial, reference) in zip(trace.trials, expected.trials) {
            XCTAssertEqual(trial.node, reference.node, at)
            XCTAssertEqual(trial.token, reference.token, at)
            XCTAssertEqual(trial.accepted, reference.accepted, at)
            XCTAssertEqual(trial.uniform, reference.uniform, at)
            XCTAssertEqual(trial.probability, reference.probability, accuracy: 1e-4, at)
          }
          trials += trace.trials.count
        }
        medusaCases += 1
      }
    }
    XCTAssertGreaterThanOrEqual(arCases, 8)
    XCTAssertGreaterThanOrEqual(medusaCases, 32)
    XCTAssertGreaterThan(trials, 1000)
  }
}
