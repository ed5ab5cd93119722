import Medusa

/// Building `medusa_choices` from measured head accuracies (paper §2.3.3, "optimized tree
/// construction"; the original's `medusa/eval/gen_results.py`).
///
/// With `a[k][i]` the probability that head k's rank-i candidate is right (``HeadAccuracy``),
/// and heads assumed independent, a node (index path `[i_0, ..., i_d]`) is accepted with
/// probability `a[0][i_0] · a[1][i_1] · ... · a[d][i_d]`, and the expected number of tokens a
/// tree adds to a step is the sum of its nodes' values. The greedy construction starts from
/// `[0]` and repeatedly adds the best frontier node: for every node already taken, in the order
/// taken, its next sibling (`[..., i + 1]`, if `i + 1 <` the number of ranks) and then its first
/// child (`[..., i, 0]`, if shallower than the number of heads); the first one with the strictly
/// highest value wins (ties go to the earlier candidate, as in the original's
/// `if neighbor_expectation > best`). Every prefix of the result is itself such a tree, so the
/// paths are prefix-closed.
public enum TreeConstruction {
  /// A constructed tree: its index paths in the order added and each node's value.
  public struct Tree: Sendable, Equatable {
    /// The index paths, in the order they were added.
    public var paths: [[Int]]
    /// The acceptance probability of each node (the product along its path).
    public var values: [Double]

    /// Expected tokens per decoding step: the base model's token plus the expected accepted
    /// nodes, `1 + Σ values`.
    public var expectedTokensPerStep: Double { 1 + values.reduce(0, +) }
  }

  /// The greedy tree of `nodes` nodes (not counting the root) for the rank-accuracy table
  /// `accuracy[head][rank]`. Stops early only when no frontier node is left.
  public static func greedy(accuracy: [[Double]], nodes: Int) -> Tree {
    let depthLimit = accuracy.count
    let ranks = accuracy.map(\.count).min() ?? 0
    guard nodes > 0, depthLimit > 0, ranks > 0 else { return Tree(paths: [], values: []) }
    func value(_ path: [Int]) -> Double {
      path.enumerated().reduce(1) { $0 * accuracy[$1.offset][$1.element] }
    }
    var tree = Tree(paths: [[0]], values: [value([0])])
    var taken: Set<[Int]> = [[0]]
    while tree.paths.count < nodes {
      var best: [Int]? = nil
      var bestValue = -Double.infinity
      for path in tree.paths {
        var neighbors: [[Int]] = []
        if let last = path.last, last + 1 < ranks { neighbors.append(path.dropLast() + [last + 1]) }
        if path.count < depthLimit { neighbors.append(path + [0]) }
        for neighbor in neighbors where !taken.contains(neighbor) {
          let v = value(neighbor)
          if v > bestValue {
            best = neighbor
            bestValue = v
          }
        }
      }
      guard let best else { break }
      tree.paths.append(best)
      tree.values.append(bestValue)
      taken.insert(best)
    }
    return tree
  }

  /// One point of the speed model behind `medusa tree --auto`.
  public struct SpeedPoint: Sendable, Equatable {
    /// Tree nodes besides the root.
    public var nodes: Int
    /// Expected tokens per step (``Tree/expectedTokensPerStep``).
    public var tokensPerStep: Double
    /// Cost of a forward pass of `nodes + 1` tokens relative to one token.
    public var relativeCost: Double
    /// Expected speed relative to autoregressive decoding: `tokensPerStep / relativeCost`.
    public var speedup: Double { tokensPerStep / relativeCost }
  }

  /// The speed model for every tree size the cost curve covers: `relativeCost[T - 1]` is the
  /// cost of a forward of T tokens over that of one (T = 1, 2, ...). The tree of N nodes runs a
  /// forward of N + 1 tokens (root included), so N goes up to `relativeCost.count - 1`; the best
  /// N maximises `(1 + Σ values) / cost(N + 1)`.
  ///
  /// `headCost[d - 1]`, when given, is the cost of the logits of the first d heads (relative to
  /// the same one-token forward), which a step adds for a tree of depth d: then a step costs
  /// `cost(N + 1) + headCost[depth(N) - 1]`. With own projections the heads read d vocabulary
  /// matrices per step; with the shared LM head one pass of d tokens (``HeadProjection``).
  ///
  /// `logitRowCost`, when not 0, is the cost of one LM-head row and `relativeCost` that of
  /// forwards without logits: greedy verification computes the logits of the root and of each
  /// accepted node only (`MedusaDecoder`'s `TreeLogits`), one row per token the step yields, so
  /// a step adds `tokensPerStep x logitRowCost`.
  public static func speedCurve(
    accuracy: [[Double]], relativeCost: [Double], headCost: [Double] = [],
    logitRowCost: Double = 0
  ) -> [SpeedPoint] {
    let largest = relativeCost.count - 1
    guard largest >= 1 else { return [] }
    let tree = greedy(accuracy: accuracy, nodes: largest)
    var points: [SpeedPoint] = []
    var sum = 1.0
    var depth = 0
    for (index, value) in tree.values.enumerated() {
      sum += value
      depth = max(depth, tree.paths[index].count)
      let heads = headCost.isEmpty ? 0 : headCost[min(depth, headCost.count) - 1]
      points.append(
        SpeedPoint(
          nodes: index + 1, tokensPerStep: sum,
          relativeCost: relativeCost[index + 1] + heads + sum * logitRowCost))
    }
    return points
  }
}
