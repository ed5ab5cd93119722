import Llama
import Medusa
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

  /// The reference for `prompts` × `verifications` × `trees` under `stop` (in that nesting
  /// order); `includeLogits` adds the full logits row of every emitted position, `topLogits`
  /// (K in ``TopLogits/allowedK``) the K largest logits of each of those rows. Greedy cases
  /// are named `p<prompt>/<tree>`, typical ones `p<prompt>/<tree>/typical-<temperature>`;
  /// sampling modes are refused (not deterministic across backends).
  public func emit(
    trees: [(name: String, choices: MedusaChoices)], prompts: [[Int]], stop: StopRule,
    includeLogits: Bool, topLogits: Int? = nil, verifications: [Verification] = [.greedy],
    nearTieRelative: Double = ConformanceCheck.Options.defaultNearTie
  ) throws(ConformanceError) -> ConformanceReference {
    if let k = topLogits, !TopLogits.allowedK.contains(k) {
      throw .emit(
        "top logits: K = \(k) is not in \(TopLogits.allowedK.lowerBound)...\(TopLogits.allowedK.upperBound)"
      )
    }
    var cases: [ReferenceCase] = []
    for (promptIndex, prompt) in prompts.enumerated() {
      let ar: GenerationResult
      do {
        let decoder = try AutoregressiveDecoder(
          model: model,
          capacity: AutoregressiveDecoder.capacity(
            promptLength: prompt.count, maxNewTokens: stop.maxNewTokens),
          parallelism: parallelism)
        ar = try decoder.generate(prompt: prompt, stop: stop, recordLogits: true)
      } catch {
        throw .emit("prompt \(promptIndex): \(error.description)")
      }
      for verification in verifications {
        guard let described = ReferenceVerification(verification) else {
          throw .emit("only greedy and typical verification are deterministic references")
        }
        for (name, choices) in trees {
          let id =
            "p\(promptIndex)/\(name)"
            + (described.isGreedy ? "" : "/typical-\(described.temperature ?? 0)")
          let run = try medusa(
            prompt: prompt, choices: choices, stop: stop, verification: verification, id: id)
          if described.isGreedy, run.ids != ar.outputIDs {
            throw .emit("\(id): Medusa greedy output differs from autoregressive output")
          }
          let rows = described.isGreedy ? ar.outputLogits : run.logits
          let margins = rows.map(Self.topTwo)
          cases.append(
            ReferenceCase(
              id: id, tree: name, promptIDs: prompt, arOutputIDs: ar.outputIDs,
              medusaOutputIDs: run.ids, top1IDs: margins.map(\.top1),
              top2IDs: margins.map(\.top2), top1Logits: margins.map(\.top1Logit),
              margins: margins.map(\.margin), steps: run.steps,
              logits: includeLogits ? rows : nil,
              verification: described.isGreedy ? nil : described,
              topLogits: topLogits.map { TopLogits(rows: rows, k: $0) }))
        }
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

  /// Medusa decoding of one prompt with one tree, traced: output ids, steps, and the logits
  /// row every output token was verified against.
  private func medusa(
    prompt: [Int], choices: MedusaChoices, stop: StopRule, verification: Verification,
    id: String
  ) throws(ConformanceError) -> (ids: [Int], steps: [ReferenceStep], logits: [[Float]]) {
    var steps: [ReferenceStep] = []
    var rows: [[Float]] = []
    do {
      let decoder = try MedusaDecoder(
        model: model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: prompt.count, maxNewTokens: stop.maxNewTokens, choices: choices),
        parallelism: parallelism)
      let ids = try StepDriver.run(
        decoder: decoder, prompt: prompt, stop: stop, verification: verification
      ) { observation in
        let outcome = observation.outcome
        let record = outcome.record
        rows += outcome.logits.prefix(observation.appended.count)
        steps.append(
          Self.step(
            record: record, appended: observation.appended, treeLogits: outcome.treeLogits,
            observation: observation, tree: decoder.tree, verification: verification))
      }
      return (ids, steps, rows)
    } catch {
      throw .emit("\(id): \(error.description)")
    }
  }

  /// One traced step: the record, each node's argmax and margin, the heads' top-10 and gaps,
  /// the original's verdict where it differs and, for typical steps, the decision gap.
  private static func step(
    record: MedusaStepRecord, appended: [Int], treeLogits: [[Float]],
    observation: StepDriver.Observation, tree: TreeBuffers, verification: Verification
  ) -> ReferenceStep {
    let original = OriginalRule.verdict(
      nodeLogits: treeLogits, candidates: record.candidates, tree: tree,
      verification: verification)
    var decisionGap: Float?
    if case .typical(let acceptance) = verification {
      decisionGap = OriginalRule.decisionGap(
        nodeLogits: treeLogits, candidates: record.candidates, tree: tree, acceptance: acceptance)
    }
    let differs =
      original.bestCandidate != record.bestCandidate
      || original.acceptLength != record.acceptLength
    return ReferenceStep(
      treeCandidates: record.treeCandidates, candidates: record.candidates,
      bestCandidate: record.bestCandidate, acceptLength: record.acceptLength, tokens: appended,
      nodeTop1: treeLogits.map { $0.withUnsafeBufferPointer(Greedy.argmax) },
      nodeMargins: treeLogits.map {
        $0.withUnsafeBufferPointer { NearTie.relativeGaps($0, ranks: 2).first ?? .infinity }
      },
      headGaps: observation.headGaps, headTopK: observation.headTopK,
      originalVerdict: differs
        ? ReferenceVerdict(
          bestCandidate: original.bestCandidate, acceptLength: original.acceptLength) : nil,
      decisionGap: decisionGap)
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
