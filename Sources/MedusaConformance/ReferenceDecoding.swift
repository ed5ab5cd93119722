import Llama
import Medusa
import MedusaKernels

/// The autoregressive side of ``MedusaSelfCheck``: a second cache holding the committed
/// sequence decoded one token at a time, on which tree paths are replayed.
final class ReferenceDecoding {
  let model: LlamaModel
  let heads: MedusaHeads
  let state: InferenceState
  private let headLogits: [FloatBuffer]
  private let headWork: FloatBuffer
  /// The committed sequence's next token (argmax) and the heads' top-k on its last hidden
  /// state.
  private var baseToken = 0
  private var headTopK: [[Int]] = []

  /// Prefills `prompt` (all but the last token in chunks, the last one alone so that its
  /// hidden state is row 0), with room for `extra` more tokens and a tree path.
  init(decoder: MedusaDecoder, prompt: [Int], extra: Int) throws(LlamaError) {
    model = decoder.model
    heads = decoder.heads
    state = try model.makeState(
      capacity: prompt.count + extra + decoder.tree.maxDepth + 2, maxBatch: 64,
      parallelism: decoder.state.parallelism)
    headLogits = (0..<decoder.tree.maxDepth).map { _ in FloatBuffer(decoder.heads.vocabularySize) }
    headWork = FloatBuffer(2 * decoder.heads.hiddenSize)
    guard let last = prompt.last else { throw .invalidForward(reason: "empty prompt") }
    if prompt.count > 1 {
      try Prefill.run(model: model, state: state, prompt: Array(prompt.dropLast()))
    }
    try append([last])
  }

  /// Decodes `tokens` one at a time onto the committed sequence, then refreshes the base token
  /// and the heads' top-k from the last one.
  func append(_ tokens: [Int]) throws(LlamaError) {
    for token in tokens { try forwardOne(token) }
    baseToken = Greedy.argmax(state.logits(0))
    if let hidden = state.hiddenState(0).baseAddress {
      heads.logits(
        hidden: hidden, into: headLogits.map(\.base), work: headWork.base,
        parallelism: state.parallelism)
    }
    headTopK = headLogits.map { Kernels.topK($0.base, count: $0.count, k: MedusaChoices.topK) }
  }

  /// The tree candidates the next step must propose.
  func treeCandidates(tree: TreeBuffers) throws(MedusaError) -> [Int] {
    do {
      return try Candidates(baseToken: baseToken, headTopK: headTopK, buffers: tree).treeCandidates
    } catch {
      throw .candidates(error)
    }
  }

  /// The first node (depth-first order) whose `logits` differ from decoding its path, or nil.
  func firstWrongNode(tree: TreeBuffers, tokens: [Int], logits: [[Float]]) throws(LlamaError)
    -> Int?
  {
    let committed = state.cache.length
    defer { try? state.cache.truncate(to: committed) }
    var children = [[Int]](repeating: [], count: tree.nodeCount)
    for node in 1..<tree.nodeCount { children[tree.parents[node]].append(node) }
    var stack = [0]
    while let node = stack.popLast() {
      try state.cache.truncate(to: committed + tree.depth[node])
      try forwardOne(tokens[node])
      let got = logits[node]
      let want = state.logits(0)
      guard got.count == want.count,
        zip(got, want).allSatisfy({ $0.bitPattern == $1.bitPattern })
      else { return node }
      stack += children[node].reversed()
    }
    return nil
  }

  /// The first cache row past `from` where `cache` differs from this one (or a length
  /// mismatch), or nil.
  func compareCache(with cache: KVCache, from: Int) -> (
    kind: SelfCheckMismatch.Kind, layer: Int?, row: Int?
  )? {
    let mine = state.cache
    guard cache.length == mine.length else { return (.cacheLength, nil, nil) }
    for layer in 0..<mine.layerCount {
      for row in from..<mine.length {
        if !Self.same(cache.keyRow(layer: layer, row: row), mine.keyRow(layer: layer, row: row)) {
          return (.cacheKeys, layer, row)
        }
        if !Self.same(cache.valueRow(layer: layer, row: row), mine.valueRow(layer: layer, row: row))
        {
          return (.cacheValues, layer, row)
        }
      }
    }
    return nil
  }

  /// Decodes one token at the next position and commits its row.
  private func forwardOne(_ token: Int) throws(LlamaError) {
    let position = state.cache.length
    try model.forward(
      tokens: [token], positions: [position], plan: .causal(1), logitsFor: [0], state: state)
    try state.cache.commit(1)
  }

  private static func same(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
  }
}
