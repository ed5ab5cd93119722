import Llama
import MedusaKernels

/// Medusa decoding (Cai et al., 2024): each step proposes a tree of candidate continuations
/// from the Medusa heads, scores all of them in one forward pass with tree attention, keeps
/// the longest acceptable prefix and moves only its KV rows into the cache.
///
/// With ``Verification/greedy`` the output equals greedy autoregressive decoding bit for bit,
/// logits included, because every kernel is batch-invariant: a tree node's logits are those
/// of decoding its path one token at a time. With ``Verification/lossless(_:seed:)`` the
/// output is distributed exactly as autoregressive sampling (``LosslessTreeSampling``), for the
/// same reason and by the speculative-sampling argument of Docs/MEDUSA.md §7.
public final class MedusaDecoder {
  /// The backbone.
  public let model: LlamaModel
  /// The Medusa heads.
  public let heads: MedusaHeads
  /// The sparse tree (`medusa_choices`) and its buffers.
  public let tree: TreeBuffers
  /// The backbone's KV cache and work buffers.
  public let state: InferenceState
  /// The logits of the heads the tree uses, `[tree.maxDepth][vocabularySize]` in one buffer
  /// (computed in one batch, ``MedusaHeads/logits(hidden:heads:into:work:parallelism:)``).
  let headLogitsBuffer: FloatBuffer
  /// Head k's row of ``headLogitsBuffer``.
  let headLogits: [HeadLogitsRow]
  let headWork: FloatBuffer
  let plan: AttentionPlan
  /// The sampling modes' generator, reseeded by every ``generate(prompt:stop:verification:recordLogits:recordSteps:onTokens:)``.
  var random = SplitMix64(seed: 0)
  /// Lossless sampling's decisions: ``SplitMix64`` seeded by `generate`, or ``decisionsOverride``.
  var decisions: any SamplingDecisions = SplitMix64(seed: 0)
  /// Test hook: decisions `generate` uses instead of a seeded generator in lossless sampling
  /// (the exact-enumeration test walks every branch with it).
  var decisionsOverride: (any SamplingDecisions)?
  /// Test hook: the residual rule of lossless sampling; only the default is lossless.
  var residualRule = LosslessTreeSampling.ResidualRule.renormalized
  /// Lossless sampling: the drafts the previous step rejected at its last node, removed from
  /// that node's distribution (this step's base logits) before the root draw.
  var residualExclusions: [Int] = []
  /// Lossless sampling: how many drafts a step may still accept (the remaining token budget
  /// minus the root), set by `generate` before each step.
  var acceptBudget = Int.max
  /// Every node's children in node order, for the lossless walk.
  let children: [[Int]]

  /// A decoder over `model` and `heads` with the tree `choices` and a cache of `capacity`
  /// positions (the prompt, the output and one tree must fit).
  public init(
    model: LlamaModel, heads: MedusaHeads, choices: MedusaChoices, capacity: Int,
    parallelism: Parallelism = .machine
  ) throws(MedusaError) {
    guard choices.maxDepth <= heads.headCount else {
      throw .tree("the tree is \(choices.maxDepth) deep but there are \(heads.headCount) heads")
    }
    self.model = model
    self.heads = heads
    tree = TreeBuffers(choices: choices)
    do {
      state = try model.makeState(
        capacity: capacity, maxBatch: max(64, tree.nodeCount), parallelism: parallelism)
      plan = try AttentionPlan.tree(parents: tree.parents)
    } catch {
      throw .backbone(error.description)
    }
    let vocabulary = heads.vocabularySize
    let buffer = FloatBuffer(tree.maxDepth * vocabulary)
    headLogitsBuffer = buffer
    headLogits = (0..<tree.maxDepth).map {
      HeadLogitsRow(base: buffer.base + $0 * vocabulary, count: vocabulary)
    }
    children = LosslessTreeSampling.children(parents: tree.parents)
    headWork = FloatBuffer(heads.workCount(heads: tree.maxDepth))
  }

  /// Generates after `prompt` until `stop` says so. `recordLogits` keeps, for every output
  /// token, the logits it was verified against (the base model's at that position);
  /// `recordSteps` keeps a ``MedusaStepRecord`` per step; `onTokens` sees each step's tokens
  /// within the stop rule as soon as they are accepted.
  public func generate(
    prompt: [Int], stop: StopRule, verification: Verification = .greedy,
    recordLogits: Bool = false, recordSteps: Bool = false, onTokens: ([Int]) -> Void = { _ in }
  ) throws(MedusaError) -> GenerationResult {
    var result = GenerationResult()
    random = SplitMix64(seed: verification.seed ?? 0)
    if case .lossless(let processor, _) = verification {
      do { try processor.validate() } catch { throw .invalidOption(error.description) }
    }
    decisions = decisionsOverride ?? SplitMix64(seed: verification.seed ?? 0)
    residualExclusions = []
    defer { acceptBudget = .max }
    let needed = prompt.count + stop.maxNewTokens + tree.nodeCount
    guard needed <= state.cache.capacity else {
      throw .backbone(
        LlamaError.cacheOverflow(needed: needed, capacity: state.cache.capacity).description)
    }
    let start = Clock.now()
    do {
      try state.cache.truncate(to: 0)
      try Prefill.run(model: model, state: state, prompt: prompt)
    } catch {
      throw .backbone(error.description)
    }
    var baseLogits = Array(state.logits(0))
    computeHeadLogits(hidden: state.hiddenState(state.tokenCount - 1))
    result.prefillSeconds = Clock.now() - start
    let decodeStart = Clock.now()
    while result.outputIDs.count < stop.maxNewTokens {
      acceptBudget = stop.maxNewTokens - result.outputIDs.count - 1
      let step = try self.step(
        baseLogits: baseLogits, verification: verification, recordLogits: recordLogits)
      if recordLogits { result.outputLogits += step.logits }
      result.steps += 1
      let before = result.outputIDs.count
      let done = stop.append(step.record.tokens, to: &result.outputIDs)
      let appended = Array(result.outputIDs[before...])
      if recordSteps {
        var record = step.record
        record.tokens = appended
        result.medusaSteps.append(record)
      }
      onTokens(appended)
      if done { break }
      baseLogits = step.nextBaseLogits
    }
    if recordLogits {
      result.outputLogits = Array(result.outputLogits.prefix(result.outputIDs.count))
    }
    result.decodeSeconds = Clock.now() - decodeStart
    return result
  }

  /// What one step produced.
  struct StepOutcome {
    /// The step as the trace records it.
    var record: MedusaStepRecord
    /// For each accepted token, the logits it was verified against.
    var logits: [[Float]]
    /// The logits of every tree node, in node order (when logits are recorded).
    var treeLogits: [[Float]]
    /// The base logits at the last accepted node: the next step's root.
    var nextBaseLogits: [Float]
  }

  /// One Medusa step (§2.1): candidates from the root (the base argmax; in the sampling modes
  /// a draw, in lossless sampling from the residual the previous step ended with) and the
  /// heads' top-k, one tree forward, posterior evaluation, KV rows of the accepted path kept,
  /// the next step's base and head logits taken at the last accepted node.
  func step(baseLogits: [Float], verification: Verification, recordLogits: Bool) throws(MedusaError)
    -> StepOutcome
  {
    let baseToken: Int
    var rootDraw: ResidualDraw? = nil
    switch verification {
    case .lossless(let processor, _):
      let draw = baseLogits.withUnsafeBufferPointer {
        LosslessTreeSampling.drawRoot(
          logits: $0, excluding: residualExclusions, processor: processor,
          decisions: &decisions)
      }
      rootDraw = draw
      baseToken = draw.token
    case .greedy, .typical:
      baseToken = baseLogits.withUnsafeBufferPointer { Greedy.argmax($0) }
    case .typicalSampling(let acceptance, _):
      baseToken = Sampling.typicalToken(logits: baseLogits, acceptance: acceptance, using: &random)
    case .nucleus(let temperature, let topP, _):
      baseToken = Sampling.nucleusToken(
        logits: baseLogits, temperature: temperature, topP: topP, using: &random)
    }
    let headTopK = headLogits.map {
      Kernels.topK($0.base, count: heads.vocabularySize, k: MedusaChoices.topK)
    }
    let candidates: Candidates
    do {
      candidates = try Candidates(baseToken: baseToken, headTopK: headTopK, buffers: tree)
    } catch {
      throw .tree(error.description)
    }
    let committed = state.cache.length
    do {
      try model.forward(
        tokens: candidates.treeCandidates, positions: tree.depth.map { committed + $0 },
        plan: plan, logitsFor: Array(0..<tree.nodeCount), state: state)
    } catch {
      throw .backbone(error.description)
    }
    let (verdict, trace) = try verify(
      candidates: candidates, verification: verification, rootDraw: rootDraw)
    let path = Array(tree.retrieveIndices[verdict.bestCandidate][0...verdict.acceptLength])
    let tokens = Array(candidates.candidates[verdict.bestCandidate][0...verdict.acceptLength])
    do {
      try state.cache.keepRows(path.map { committed + $0 })
    } catch {
      throw .backbone(error.description)
    }
    guard let last = path.last else { throw .tree("empty accepted path") }
    let record = MedusaStepRecord(
      treeCandidates: candidates.treeCandidates, candidates: candidates.candidates,
      bestCandidate: verdict.bestCandidate, acceptLength: verdict.acceptLength, tokens: tokens,
      sampling: trace)
    let outcome = StepOutcome(
      record: record,
      logits: recordLogits ? [baseLogits] + path.dropLast().map { Array(state.logits($0)) } : [],
      treeLogits: recordLogits ? (0..<tree.nodeCount).map { Array(state.logits($0)) } : [],
      nextBaseLogits: Array(state.logits(last)))
    computeHeadLogits(hidden: state.hiddenState(last))
    return outcome
  }

  /// Posterior evaluation (§2.3) on the logits of the tree forward still in the state.
  /// Greedy needs only each node's argmax, taken once per node; the original's modes gather
  /// the full per-path logits as it does; lossless sampling walks the tree from the root
  /// (``LosslessTreeSampling``), reading the logits of the nodes it visits, and returns its
  /// random decisions for the trace.
  private func verify(candidates: Candidates, verification: Verification, rootDraw: ResidualDraw?)
    throws(MedusaError) -> (Verdict, LosslessStepTrace?)
  {
    do {
      switch verification {
      case .greedy:
        let nodeArgmax = (0..<tree.nodeCount).map { Greedy.argmax(state.logits($0)) }
        let pathArgmax = tree.retrieveIndices.map { row in
          row.map { nodeArgmax[$0 < 0 ? tree.nodeCount - 1 : $0] }
        }
        return (Posterior.greedy(pathArgmax: pathArgmax, candidates: candidates), nil)
      case .typical(let acceptance):
        let verdict = try Posterior.typical(
          pathLogits: pathLogits(), candidates: candidates, acceptance: acceptance)
        return (verdict, nil)
      case .typicalSampling(let acceptance, _):
        let sampled = try Posterior.typicalSampling(
          pathLogits: pathLogits(), candidates: candidates, acceptance: acceptance,
          using: &random)
        return (sampled.verdict, nil)
      case .nucleus(let temperature, let topP, _):
        let sampled = try Posterior.nucleusSampling(
          pathLogits: pathLogits(), candidates: candidates, temperature: temperature, topP: topP,
          using: &random)
        return (sampled.verdict, nil)
      case .lossless(let processor, _):
        let walk = LosslessTreeSampling.walk(
          treeCandidates: candidates.treeCandidates, children: children, processor: processor,
          maxAccepted: acceptBudget, rule: residualRule, nodeLogits: { self.state.logits($0) },
          decisions: &decisions)
        residualExclusions = walk.rejectedAtLast
        let trace = rootDraw.map { LosslessStepTrace(root: $0, trials: walk.trials) }
        return (LosslessTreeSampling.verdict(lastNode: walk.lastNode, tree: tree), trace)
      }
    } catch {
      throw .tree(error.description)
    }
  }

  /// The logits of every candidate path, gathered as the original's `tree_decoding` does.
  private func pathLogits() throws(PosteriorError) -> [[[Float]]] {
    let nodeLogits = (0..<tree.nodeCount).map { Array(state.logits($0)) }
    return try Posterior.gatherPathLogits(
      nodeLogits: nodeLogits, retrieveIndices: tree.retrieveIndices)
  }

  /// Runs the heads the tree uses (only `maxDepth` of them) on one hidden state, batched
  /// (§2.1.1; one LM-head pass for all heads in the shared layout, one fan-out in the original).
  private func computeHeadLogits(hidden: UnsafeBufferPointer<Float>) {
    guard let base = hidden.baseAddress else { return }
    heads.logits(
      hidden: base, heads: tree.maxDepth, into: headLogitsBuffer.base, work: headWork.base,
      parallelism: state.parallelism)
  }
}

/// One head's logits inside ``MedusaDecoder/headLogitsBuffer`` (`count` floats at `base`).
struct HeadLogitsRow {
  /// The first logit.
  let base: UnsafeMutablePointer<Float>
  /// `vocabularySize`.
  let count: Int
}
