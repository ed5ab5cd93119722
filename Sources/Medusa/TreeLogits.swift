import Llama

/// The base model's logits of the tree nodes of one step, computed when verification first
/// reads a node rather than for every node in the tree forward.
///
/// Greedy verification (§2.3) reads the logits of the root and of each node whose draft it
/// accepts: a step that accepts `a` drafts needs `a + 1` rows, whatever the tree's size, since
/// siblings hold distinct tokens and at most one of them equals their parent's argmax. Lossless
/// sampling (Docs/MEDUSA.md §7) reads the nodes its walk visits. Each LM-head row is a full
/// pass over the vocabulary matrix (49152 x 576 for SmolLM2, a fifth of a token's arithmetic),
/// so a tree of T nodes costs a T-token backbone pass plus a + 1 rows instead of T.
/// The LM head is batch-invariant, so a row computed here has the bits the tree forward would
/// have given it (``LlamaModel/computeLogits(ofToken:state:)``).
///
/// Modes that read every node (the original's typical acceptance and sampling paths, and
/// recorded logits) compute all rows in the forward and mark them ready with
/// ``markAllComputed()``.
struct TreeLogits {
  /// Whether node n's row is in the state.
  private var computed: [Bool]
  /// Node n's argmax, once taken.
  private var argmaxes: [Int?]

  /// No node computed, for a tree of `nodeCount` nodes.
  init(nodeCount: Int) {
    computed = [Bool](repeating: false, count: nodeCount)
    argmaxes = [Int?](repeating: nil, count: nodeCount)
  }

  /// Forgets every row: after a tree forward that computed none.
  mutating func reset() {
    for node in computed.indices {
      computed[node] = false
      argmaxes[node] = nil
    }
  }

  /// Every row is in the state: after a tree forward that computed all of them.
  mutating func markAllComputed() {
    reset()
    for node in computed.indices { computed[node] = true }
  }

  /// How many rows are in the state.
  var computedCount: Int { computed.lazy.filter { $0 }.count }

  /// Node `node`'s logits, computing its LM-head row first if no one has read it yet.
  mutating func row(_ node: Int, model: LlamaModel, state: InferenceState) throws(MedusaError)
    -> UnsafeBufferPointer<Float>
  {
    if !computed[node] {
      do throws(LlamaError) {
        try model.computeLogits(ofToken: node, state: state)
      } catch {
        throw .backbone(error)
      }
      computed[node] = true
    }
    return state.logits(node)
  }

  /// The argmax of node `node`'s logits (``Greedy``), computing the row if needed.
  mutating func argmax(_ node: Int, model: LlamaModel, state: InferenceState)
    throws(MedusaError) -> Int
  {
    if let known = argmaxes[node] { return known }
    let value = Greedy.argmax(try row(node, model: model, state: state))
    argmaxes[node] = value
    return value
  }
}
