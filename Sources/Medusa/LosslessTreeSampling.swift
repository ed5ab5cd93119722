/// A token drawn from a residual distribution: the root of a lossless Medusa step.
public struct ResidualDraw: Equatable, Sendable {
  /// The token drawn.
  public var token: Int
  /// The drafts rejected at the node whose distribution this is (the previous step's last
  /// accepted node), removed before the draw; empty when no draft was rejected there.
  public var excluded: [Int]
  /// The uniform that decided the draw.
  public var uniform: Double

  /// A draw of `token` by `uniform` after removing `excluded`.
  public init(token: Int, excluded: [Int], uniform: Double) {
    self.token = token
    self.excluded = excluded
    self.uniform = uniform
  }
}

/// One draft token tried against the target distribution.
public struct DraftTrial: Equatable, Sendable {
  /// The tree node tried (its parent is the node being verified).
  public var node: Int
  /// Its token.
  public var token: Int
  /// Its probability under the residual at the time of the try: the acceptance probability.
  public var probability: Double
  /// The uniform that decided it.
  public var uniform: Double
  /// Whether it was accepted.
  public var accepted: Bool

  /// A trial record.
  public init(node: Int, token: Int, probability: Double, uniform: Double, accepted: Bool) {
    self.node = node
    self.token = token
    self.probability = probability
    self.uniform = uniform
    self.accepted = accepted
  }
}

/// Lossless Medusa sampling: the tree of deterministic candidates verified by speculative
/// (rejection) sampling, generalised from one draft (Leviathan et al. 2023, Chen et al. 2023)
/// to several drafts per node (SpecInfer, Miao et al. 2024, multi-step speculative sampling).
///
/// Medusa's drafts are not samples of a draft distribution but fixed top-k picks, i.e. each
/// draft `x` is a point mass `δ_x`. Speculative sampling's rule — accept with probability
/// `min(1, r(x) / δ_x(x)) = r(x)`, on rejection continue with `norm(max(0, r - δ_x))` — then
/// becomes: at a node with target distribution `p` (the processed distribution of the base
/// model after the node's path), set `r = p`; try the node's children in node order; accept
/// child `x` with probability `r(x)`; on rejection set `r(x) = 0` and renormalise; when every
/// child fails, the next token is drawn from the final `r`. An accepted child becomes the node
/// being verified, with a fresh `r` = its own target distribution.
///
/// Why the output is distributed exactly as autoregressive sampling (Docs/MEDUSA.md §7): with
/// distinct children `x_1 … x_m` and `S_i = 1 - Σ_{j<=i} p(x_j)`, child `i` is reached with
/// probability `S_{i-1}` and then accepted with `r(x_i) = p(x_i) / S_{i-1}`: it is emitted with
/// probability `p(x_i)`. All fail with probability `S_m`, and the final residual gives every
/// other token `y` probability `p(y) / S_m`: `p(y)` overall. So the next token is distributed as
/// `p` whatever the drafts, conditionally on everything drawn before; since `p` is (bit for bit)
/// the autoregressive distribution after the emitted prefix, the chain rule gives every output
/// sequence its autoregressive probability.
///
/// Siblings in a Medusa tree are distinct tokens (distinct top-k slots of one head), which the
/// argument needs; a repeated token would have residual probability 0 and always be rejected.
public enum LosslessTreeSampling {
  /// How a rejected draft changes the residual. Only ``renormalized`` is lossless; the other
  /// is a deliberately biased variant that the statistical and enumeration tests must reject.
  enum ResidualRule: Sendable {
    /// `r(x) = 0`, renormalised (the speculative-sampling residual `norm(max(0, r - δ_x))`).
    case renormalized
    /// Biased: the residual is left unchanged after a rejection, so a rejected draft can still
    /// come out of the final draw (the classic bug of sampling the fallback from `p`).
    case unchanged
  }

  /// What the walk down one step's tree decided.
  struct Walk: Equatable {
    /// The accepted node deepest in the tree (0 when no draft was accepted).
    var lastNode: Int
    /// Every draft tried, in order.
    var trials: [DraftTrial]
    /// The drafts rejected at ``lastNode``: removed from its distribution before the next
    /// step's root draw.
    var rejectedAtLast: [Int]
  }

  /// The children of every node, in node order (hence in the order of their head's top-k
  /// slots, the most likely draft first).
  static func children(parents: [Int]) -> [[Int]] {
    var children = [[Int]](repeating: [], count: parents.count)
    for (node, parent) in parents.enumerated() where parent >= 0 { children[parent].append(node) }
    return children
  }

  /// The root of a step: a token drawn from the processed `logits` with `excluded` removed
  /// (the residual the previous step ended with; its full distribution on the first step).
  /// One ``SamplingDecisions/draw(weights:)``.
  static func drawRoot<D: SamplingDecisions>(
    logits: UnsafeBufferPointer<Float>, excluding excluded: [Int], processor: LogitsProcessor,
    decisions: inout D
  ) -> ResidualDraw {
    var weights = processor.weights(logits)
    for token in excluded where weights.indices.contains(token) { weights[token] = 0 }
    let choice = decisions.draw(weights: weights)
    return ResidualDraw(token: choice.value, excluded: excluded, uniform: choice.uniform)
  }

  /// Walks the tree from the root (node 0): at the node being verified, its children are tried
  /// in order, each with one ``SamplingDecisions/accept(weight:total:)`` against the current
  /// residual (weight `r(x)`, total `Σ r` in ascending id order); the first accepted child is
  /// verified next. The walk ends at a node whose children all fail, at a leaf, or once
  /// `maxAccepted` drafts are accepted (tokens past the caller's budget would be dropped; this
  /// only prunes the tree, which keeps the rule lossless). `nodeLogits(n)` are the base
  /// model's logits at node `n` from the tree forward pass, read only for the nodes the walk
  /// verifies (the decoder computes them then, ``TreeLogits``).
  static func walk<D: SamplingDecisions>(
    treeCandidates: [Int], children: [[Int]], processor: LogitsProcessor, maxAccepted: Int,
    rule: ResidualRule = .renormalized,
    nodeLogits: (Int) throws(MedusaError) -> UnsafeBufferPointer<Float>, decisions: inout D
  ) throws(MedusaError) -> Walk {
    var node = 0
    var accepted = 0
    var trials: [DraftTrial] = []
    while accepted < maxAccepted, !children[node].isEmpty {
      var residual = processor.weights(try nodeLogits(node))
      var rejected: [Int] = []
      var next: Int? = nil
      for child in children[node] {
        let token = treeCandidates[child]
        let weight = residual.indices.contains(token) ? residual[token] : 0
        let total = residual.reduce(0, +)
        let choice = decisions.accept(weight: weight, total: total)
        let probability = total > 0 ? weight / total : 0
        trials.append(
          DraftTrial(
            node: child, token: token, probability: probability, uniform: choice.uniform,
            accepted: choice.value == 1))
        if choice.value == 1 {
          next = child
          break
        }
        rejected.append(token)
        if rule == .renormalized, residual.indices.contains(token) { residual[token] = 0 }
      }
      guard let next else {
        return Walk(
          lastNode: node, trials: trials, rejectedAtLast: rule == .renormalized ? rejected : [])
      }
      node = next
      accepted += 1
    }
    return Walk(lastNode: node, trials: trials, rejectedAtLast: [])
  }

  /// The verdict of a walk ending at `lastNode`: the first candidate row through it, accept
  /// length its depth. Every node lies on some root-to-leaf row.
  static func verdict(lastNode: Int, tree: TreeBuffers) -> Verdict {
    let depth = tree.depth[lastNode]
    let row = tree.retrieveIndices.firstIndex { $0.count > depth && $0[depth] == lastNode } ?? 0
    return Verdict(bestCandidate: row, acceptLength: depth)
  }
}
