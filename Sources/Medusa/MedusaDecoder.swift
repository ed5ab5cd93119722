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
  /// The sparse tree (`medusa_choices`).
  public let choices: MedusaChoices
  /// The tree's buffers.
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
  /// How this generation verifies candidates, set by
  /// ``prefill(prompt:maxNewTokens:verification:)``.
  var verification = Verification.greedy
  /// The base model's logits at the last accepted node (after the prefill: the prompt's last
  /// token), from which the next step takes its root.
  var baseLogits: [Float] = []
  /// The sampling modes' generator, reseeded by every
  /// ``prefill(prompt:maxNewTokens:verification:)``.
  var random = SplitMix64(seed: 0)
  /// Lossless sampling's decisions: ``SplitMix64`` seeded by `prefill`, or ``decisionsOverride``.
  var decisions: any SamplingDecisions = SplitMix64(seed: 0)
  /// Test hook: decisions `prefill` installs instead of a seeded generator in lossless sampling
  /// (the exact-enumeration test walks every branch with it).
  var decisionsOverride: (any SamplingDecisions)?
  /// Test hook: the residual rule of lossless sampling; only the default is lossless.
  var residualRule = LosslessTreeSampling.ResidualRule.renormalized
  /// Lossless sampling: the drafts the previous step rejected at its last node, removed from
  /// that node's distribution (this step's base logits) before the root draw.
  var residualExclusions: [Int] = []
  /// Lossless sampling: how many drafts a step may still accept (the remaining token budget
  /// minus the root), set by the decode loop before each step.
  var acceptBudget = Int.max
  /// Every node's children in node order, for the lossless walk.
  let children: [[Int]]
  /// Which tree nodes' logits the current step has computed (``TreeLogits``).
  var treeLogits: TreeLogits

  /// A decoder over `model` and `heads` with the tree `choices` and a cache of `capacity`
  /// positions (``capacity(promptLength:maxNewTokens:choices:)``: the prompt, the output and
  /// one tree must fit).
  public init(
    model: LlamaModel, heads: MedusaHeads, choices: MedusaChoices, capacity: Int,
    parallelism: Parallelism = .machine
  ) throws(MedusaError) {
    guard choices.maxDepth <= heads.headCount else {
      throw .tree("the tree is \(choices.maxDepth) deep but there are \(heads.headCount) heads")
    }
    self.model = model
    self.heads = heads
    self.choices = choices
    tree = TreeBuffers(choices: choices)
    do throws(LlamaError) {
      state = try model.makeState(
        capacity: capacity, maxBatch: max(64, tree.nodeCount), parallelism: parallelism)
      plan = try AttentionPlan.tree(parents: tree.parents)
    } catch {
      throw .backbone(error)
    }
    let vocabulary = heads.vocabularySize
    let buffer = FloatBuffer(tree.maxDepth * vocabulary)
    headLogitsBuffer = buffer
    headLogits = (0..<tree.maxDepth).map {
      HeadLogitsRow(base: buffer.base + $0 * vocabulary, count: vocabulary)
    }
    children = LosslessTreeSampling.children(parents: tree.parents)
    treeLogits = TreeLogits(nodeCount: tree.nodeCount)
    headWork = FloatBuffer(heads.workCount(heads: tree.maxDepth))
  }

  /// The KV-cache positions a generation needs: the prompt, `maxNewTokens` output tokens and
  /// one whole tree of uncommitted nodes (`len(medusa_choices) + 1`) past them. The one
  /// place this sum is written; pass it as `capacity`.
  public static func capacity(promptLength: Int, maxNewTokens: Int, choices: MedusaChoices)
    -> Int
  {
    promptLength + maxNewTokens + choices.paths.count + 1
  }

  /// Generates after `prompt` until `stop` says so:
  /// ``prefill(prompt:maxNewTokens:verification:)``, then the decode loop
  /// (``decode(stop:recordLogits:observe:)``). `recordLogits` keeps, for every output token,
  /// the logits it was verified against (the base model's at that position); `recordSteps`
  /// keeps a ``MedusaStepRecord`` per step (its tokens after the stop rule); `onTokens` sees
  /// each step's tokens within the stop rule as soon as they are accepted.
  public func generate(
    prompt: [Int], stop: StopRule, verification: Verification = .greedy,
    recordLogits: Bool = false, recordSteps: Bool = false, onTokens: ([Int]) -> Void = { _ in }
  ) throws(MedusaError) -> GenerationResult {
    var result = GenerationResult()
    let start = Clock.now()
    try prefill(prompt: prompt, maxNewTokens: stop.maxNewTokens, verification: verification)
    result.prefillSeconds = Clock.now() - start
    let decodeStart = Clock.now()
    result.outputIDs = try decode(stop: stop, recordLogits: recordLogits) { step in
      result.steps += 1
      if recordLogits { result.outputLogits += step.outcome.logits.prefix(step.appended.count) }
      if recordSteps {
        var record = step.outcome.record
        record.tokens = step.appended
        result.medusaSteps.append(record)
      }
      onTokens(step.appended)
    }
    result.decodeSeconds = Clock.now() - decodeStart
    return result
  }

  /// Starts a generation (paper §2.1, before the first step): resets the sampling state for
  /// `verification` (generators seeded with its seed, no residual), checks that the cache
  /// holds ``capacity(promptLength:maxNewTokens:choices:)``, runs the prompt (``Prefill``)
  /// and computes the first root logits and head logits at its last token.
  public func prefill(prompt: [Int], maxNewTokens: Int, verification: Verification = .greedy)
    throws(MedusaError)
  {
    random = SplitMix64(seed: verification.seed ?? 0)
    if case .lossless(let processor, _) = verification {
      do { try processor.validate() } catch { throw .invalidOption(error.description) }
    }
    decisions = decisionsOverride ?? SplitMix64(seed: verification.seed ?? 0)
    residualExclusions = []
    self.verification = verification
    let needed = Self.capacity(
      promptLength: prompt.count, maxNewTokens: maxNewTokens, choices: choices)
    guard needed <= state.cache.capacity else {
      throw .backbone(.cacheOverflow(needed: needed, capacity: state.cache.capacity))
    }
    do throws(LlamaError) {
      try state.cache.truncate(to: 0)
      try Prefill.run(model: model, state: state, prompt: prompt)
    } catch {
      throw .backbone(error)
    }
    baseLogits = Array(state.logits(0))
    computeHeadLogits(hidden: state.hiddenState(state.tokenCount - 1))
  }

  /// The decode loop, the only one: `generate`, the conformance `StepDriver` and the tests run
  /// it. After ``prefill(prompt:maxNewTokens:verification:)`` it steps until `stop`
  /// ends generation (at `maxNewTokens` tokens or a stop token, even inside an accepted
  /// chunk), telling lossless sampling how many drafts the token budget still allows, and
  /// hands each step to `observe` after its KV compaction, before the next step. Returns the
  /// output ids.
  package func decode(
    stop: StopRule, recordLogits: Bool, observe: (StepObservation) throws(MedusaError) -> Void
  ) throws(MedusaError) -> [Int] {
    defer { acceptBudget = .max }
    var output: [Int] = []
    var index = 0
    while output.count < stop.maxNewTokens {
      acceptBudget = stop.maxNewTokens - output.count - 1
      let committed = state.cache.length
      let outcome = try step(recordLogits: recordLogits)
      let before = output.count
      let done = stop.append(outcome.record.tokens, to: &output)
      try observe(
        StepObservation(
          index: index, committed: committed, outcome: outcome,
          appended: Array(output[before...])))
      if done { break }
      index += 1
    }
    return output
  }

  /// One Medusa step (§2.1), with the verification given to
  /// ``prefill(prompt:maxNewTokens:verification:)``:
  /// 1. the root, from the base logits (``chooseRoot()``), and every head's top-k;
  /// 2. the candidates, arranged as the tree (§2.1.2, ``propose(root:headTopK:)``);
  /// 3. one forward of the whole tree with tree attention (``forwardTree(_:committed:allLogits:)``),
  ///    with every node's logits only for the modes that read them all (``TreeLogits``);
  /// 4. posterior evaluation picks the accepted path (§2.3, ``verify(candidates:rootDraw:)``),
  ///    computing the logits of the nodes it reaches;
  /// 5. KV compaction keeps that path's rows (``accept(path:committed:)``), and the next
  ///    step's base and head logits are taken at its last node.
  /// `recordLogits` keeps the logits the step read (``StepOutcome``).
  func step(recordLogits: Bool) throws(MedusaError) -> StepOutcome {
    let root = chooseRoot()
    let headTopK = headLogits.map {
      Kernels.topK($0.base, count: heads.vocabularySize, k: MedusaChoices.topK)
    }
    let candidates = try propose(root: root.token, headTopK: headTopK)
    let committed = state.cache.length
    try forwardTree(
      candidates.treeCandidates, committed: committed, allLogits: readsEveryNode(recordLogits))
    let (verdict, trace) = try verify(candidates: candidates, rootDraw: root.draw)
    let path = Array(tree.retrieveIndices[verdict.bestCandidate][0...verdict.acceptLength])
    try accept(path: path, committed: committed)
    guard let last = path.last else { throw .tree("empty accepted path") }
    let lastLogits = Array(try treeLogits.row(last, model: model, state: state))
    let outcome = StepOutcome(
      record: MedusaStepRecord(
        treeCandidates: candidates.treeCandidates, candidates: candidates.candidates,
        bestCandidate: verdict.bestCandidate, acceptLength: verdict.acceptLength,
        tokens: Array(candidates.candidates[verdict.bestCandidate][0...verdict.acceptLength]),
        sampling: trace),
      logits: recordLogits ? [baseLogits] + path.dropLast().map { Array(state.logits($0)) } : [],
      treeLogits: recordLogits ? (0..<tree.nodeCount).map { Array(state.logits($0)) } : [],
      headLogits: recordLogits ? headLogits.map { Array($0.buffer) } : [], headTopK: headTopK)
    baseLogits = lastLogits
    computeHeadLogits(hidden: state.hiddenState(last))
    return outcome
  }

  /// The root of the tree (§2.1.2, `generate_candidates`): the argmax of the base logits
  /// (greedy and typical acceptance, ``Greedy``), a draw in the original's sampling modes, or
  /// in lossless sampling a draw from the residual the previous step ended with.
  private func chooseRoot() -> (token: Int, draw: ResidualDraw?) {
    switch verification {
    case .lossless(let processor, _):
      let draw = baseLogits.withUnsafeBufferPointer {
        LosslessTreeSampling.drawRoot(
          logits: $0, excluding: residualExclusions, processor: processor,
          decisions: &decisions)
      }
      return (draw.token, draw)
    case .greedy, .typical:
      return (Greedy.argmax(baseLogits), nil)
    case .typicalSampling(let acceptance, _):
      return (
        Sampling.typicalToken(logits: baseLogits, acceptance: acceptance, using: &random), nil
      )
    case .nucleus(let temperature, let topP, _):
      let token = Sampling.nucleusToken(
        logits: baseLogits, temperature: temperature, topP: topP, using: &random)
      return (token, nil)
    }
  }

  /// The candidates (§2.1.2, `generate_candidates`): the root and every head's top-k,
  /// arranged as the tree's nodes and its candidate paths.
  private func propose(root: Int, headTopK: [[Int]]) throws(MedusaError) -> Candidates {
    do throws(CandidatesError) {
      return try Candidates(baseToken: root, headTopK: headTopK, buffers: tree)
    } catch {
      throw .candidates(error)
    }
  }

  /// Whether this step reads the logits of every tree node: recorded logits and the original's
  /// typical and sampling paths (they gather every path's logits); greedy verification and
  /// lossless sampling read only the nodes they reach (``TreeLogits``).
  private func readsEveryNode(_ recordLogits: Bool) -> Bool {
    switch verification {
    case .greedy, .lossless: return recordLogits
    case .typical, .typicalSampling, .nucleus: return true
    }
  }

  /// Tree attention (§2.1.2, `tree_decoding`): one forward of every node at position
  /// `committed + depth`, each seeing its ancestors, with logits for every node when
  /// `allLogits` (else verification computes the ones it reads); the new K/V rows stay
  /// uncommitted at `committed + node`.
  private func forwardTree(_ treeCandidates: [Int], committed: Int, allLogits: Bool)
    throws(MedusaError)
  {
    do throws(LlamaError) {
      try model.forward(
        tokens: treeCandidates, positions: tree.depth.map { committed + $0 }, plan: plan,
        logitsFor: allLogits ? Array(0..<tree.nodeCount) : [], state: state)
    } catch {
      throw .backbone(error)
    }
    if allLogits { treeLogits.markAllComputed() } else { treeLogits.reset() }
  }

  /// KV compaction (§2.1, `update_inference_inputs`): the rows of the accepted `path`'s nodes
  /// move down to `committed …` and are committed, without being recomputed.
  private func accept(path: [Int], committed: Int) throws(MedusaError) {
    do throws(LlamaError) {
      try state.cache.keepRows(path.map { committed + $0 })
    } catch {
      throw .backbone(error)
    }
  }

  /// Posterior evaluation (§2.3) on the logits of the tree forward.
  /// Greedy needs only the argmax of each node on an accepted prefix, computed once per node;
  /// the original's modes gather the full per-path logits as it does; lossless sampling walks
  /// the tree from the root (``LosslessTreeSampling``), reading the logits of the nodes it
  /// visits, and returns its random decisions for the trace.
  private func verify(candidates: Candidates, rootDraw: ResidualDraw?)
    throws(MedusaError) -> (Verdict, LosslessStepTrace?)
  {
    switch verification {
    case .greedy:
      // Pads trail their rows and the rule never reads a column whose successor is a pad, so
      // every column it reads is a real node.
      let indices = tree.retrieveIndices
      let verdict = try Posterior.greedy(candidates: candidates) {
        row, column throws(MedusaError) in
        try treeLogits.argmax(indices[row][column], model: model, state: state)
      }
      return (verdict, nil)
    case .lossless(let processor, _):
      let walk = try LosslessTreeSampling.walk(
        treeCandidates: candidates.treeCandidates, children: children, processor: processor,
        maxAccepted: acceptBudget, rule: residualRule,
        nodeLogits: { node throws(MedusaError) in
          try self.treeLogits.row(node, model: self.model, state: self.state)
        },
        decisions: &decisions)
      residualExclusions = walk.rejectedAtLast
      let trace = rootDraw.map { LosslessStepTrace(root: $0, trials: walk.trials) }
      return (LosslessTreeSampling.verdict(lastNode: walk.lastNode, tree: tree), trace)
    case .typical(let acceptance):
      let verdict = try posterior { () throws(PosteriorError) in
        try Posterior.typical(
          pathLogits: pathLogits(), candidates: candidates, acceptance: acceptance)
      }
      return (verdict, nil)
    case .typicalSampling(let acceptance, _):
      let sampled = try posterior { () throws(PosteriorError) in
        try Posterior.typicalSampling(
          pathLogits: pathLogits(), candidates: candidates, acceptance: acceptance,
          using: &random)
      }
      return (sampled.verdict, nil)
    case .nucleus(let temperature, let topP, _):
      let sampled = try posterior { () throws(PosteriorError) in
        try Posterior.nucleusSampling(
          pathLogits: pathLogits(), candidates: candidates, temperature: temperature, topP: topP,
          using: &random)
      }
      return (sampled.verdict, nil)
    }
  }

  /// Runs a posterior rule, its errors as ``MedusaError/posterior(_:)``.
  private func posterior<T>(_ rule: () throws(PosteriorError) -> T) throws(MedusaError) -> T {
    do throws(PosteriorError) {
      return try rule()
    } catch {
      throw .posterior(error)
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

  /// The row as a buffer.
  var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: base, count: count) }
}
