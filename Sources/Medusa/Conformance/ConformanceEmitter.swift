import Llama
import MedusaKernels

/// Produces a ``ConformanceReference`` for a model and heads: for every prompt and tree, greedy
/// autoregressive and greedy Medusa decoding (which must agree: the emitter refuses to write a
/// reference where they do not), the Medusa trace with every tree node's argmax, and the top-1 /
/// top-2 margin at every emitted position.
public struct ConformanceEmitter {
  /// The backbone.
  public let model: LlamaModel
  /// The heads.
  public let heads: MedusaHeads
  /// How the model folder is named in the file.
  public let modelPath: String
  /// How the heads folder is named in the file.
  public let headsPath: String
  /// Threads for the decoders (results do not depend on it).
  public let parallelism: Parallelism

  /// An emitter over a loaded model and heads.
  public init(
    model: LlamaModel, heads: MedusaHeads, modelPath: String, headsPath: String,
    parallelism: Parallelism = .machine
  ) {
    self.model = model
    self.heads = heads
    self.modelPath = modelPath
    self.headsPath = headsPath
    self.parallelism = parallelism
  }

  /// The reference for `prompts` × `trees` under `stop`; `includeLogits` adds the full logits
  /// row of every emitted position.
  public func emit(
    trees: [(name: String, choices: MedusaChoices)], prompts: [[Int]], stop: StopRule,
    includeLogits: Bool, nearTieRelative: Double = ConformanceCheck.Options.defaultNearTie
  ) throws(ConformanceError) -> ConformanceReference {
    var cases: [ReferenceCase] = []
    for (promptIndex, prompt) in prompts.enumerated() {
      let capacity = prompt.count + stop.maxNewTokens + 1
      let ar: GenerationResult
      do {
        let decoder = try AutoregressiveDecoder(
          model: model, capacity: capacity, parallelism: parallelism)
        ar = try decoder.generate(prompt: prompt, stop: stop, recordLogits: true)
      } catch {
        throw .emit("prompt \(promptIndex): \(error.description)")
      }
      let margins = ar.outputLogits.map(Self.topTwo)
      for (name, choices) in trees {
        let id = "p\(promptIndex)/\(name)"
        let (ids, steps) = try medusa(prompt: prompt, choices: choices, stop: stop, id: id)
        guard ids == ar.outputIDs else {
          throw .emit("\(id): Medusa greedy output differs from autoregressive output")
        }
        cases.append(
          ReferenceCase(
            id: id, tree: name, promptIDs: prompt, arOutputIDs: ar.outputIDs,
            medusaOutputIDs: ids, top1IDs: margins.map(\.top1), top2IDs: margins.map(\.top2),
            top1Logits: margins.map(\.top1Logit), margins: margins.map(\.margin), steps: steps,
            logits: includeLogits ? ar.outputLogits : nil))
      }
    }
    return ConformanceReference(
      generator: "swift-medusa medusa conformance emit",
      model: ReferenceModel(
        path: modelPath, vocabSize: model.config.vocabularySize,
        eosTokenIDs: model.config.eosTokenIDs),
      heads: ReferenceHeads(
        path: headsPath, headCount: heads.headCount, layerCount: heads.layerCount),
      topK: MedusaChoices.topK,
      stop: ReferenceStop(maxNewTokens: stop.maxNewTokens, stopTokenIDs: stop.stopTokens.sorted()),
      trees: trees.map { ReferenceTree(name: $0.name, choices: $0.choices.paths) },
      nearTieRelative: nearTieRelative, cases: cases)
  }

  /// Greedy Medusa decoding of one prompt with one tree, traced.
  private func medusa(prompt: [Int], choices: MedusaChoices, stop: StopRule, id: String)
    throws(ConformanceError) -> ([Int], [ReferenceStep])
  {
    var steps: [ReferenceStep] = []
    do {
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: choices,
        capacity: prompt.count + stop.maxNewTokens + choices.paths.count + 1,
        parallelism: parallelism)
      let ids = try StepDriver.run(
        decoder: decoder, prompt: prompt, stop: stop, verification: .greedy
      ) { observation in
        let record = observation.outcome.record
        steps.append(
          ReferenceStep(
            treeCandidates: record.treeCandidates, candidates: record.candidates,
            bestCandidate: record.bestCandidate, acceptLength: record.acceptLength,
            tokens: observation.appended,
            nodeTop1: observation.outcome.treeLogits.map {
              $0.withUnsafeBufferPointer(Greedy.argmax)
            },
            nodeMargins: observation.outcome.treeLogits.map {
              $0.withUnsafeBufferPointer { NearTie.relativeGaps($0, ranks: 2).first ?? .infinity }
            },
            headGaps: observation.headGaps))
      }
      return (ids, steps)
    } catch {
      throw .emit("\(id): \(error.description)")
    }
  }

  /// Top-1 and top-2 ids (ties to the lowest id), the top-1 logit and the margin of a row.
  static func topTwo(_ row: [Float]) -> (top1: Int, top2: Int, top1Logit: Float, margin: Float) {
    let best = row.withUnsafeBufferPointer { buffer -> [Int] in
      guard let base = buffer.baseAddress else { return [] }
      return Kernels.topK(base, count: buffer.count, k: 2)
    }
    guard best.count == 2 else { return (best.first ?? 0, best.first ?? 0, row.first ?? 0, 0) }
    return (best[0], best[1], row[best[0]], row[best[0]] - row[best[1]])
  }
}
