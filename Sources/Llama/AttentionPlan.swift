/// Which tokens each new token of a forward pass may attend to.
///
/// Every new token sees all committed rows of the KV cache (the accepted prefix, in order),
/// then the new tokens listed in `visibility[t]`, in ascending index order, which must end with
/// `t` itself. Prefill, one-token decoding and a Medusa tree are all just plans:
/// causal prefill lets token t see 0...t; a tree lets a node see its ancestors and itself
/// (Medusa §2.1.2, "tree attention"). Because tree nodes are numbered by depth, ascending
/// order is logical sequence order, which is what makes the attention kernel batch-invariant.
public struct AttentionPlan: Sendable, Equatable {
  /// For each new token, the new tokens it sees (ascending, ending with itself).
  public let visibility: [[Int]]

  /// Number of new tokens the plan covers.
  public var count: Int { visibility.count }

  /// Validates a plan: indices ascending, in range, and each token seeing itself last.
  public init(visibility: [[Int]]) throws(LlamaError) {
    for (token, seen) in visibility.enumerated() {
      guard seen.last == token else {
        throw .invalidForward(reason: "plan: token \(token) must see itself last")
      }
      for (a, b) in zip(seen, seen.dropFirst()) where !(0 <= a && a < b) {
        throw .invalidForward(reason: "plan: token \(token) visibility is not ascending")
      }
    }
    self.visibility = visibility
  }

  private init(trusted visibility: [[Int]]) {
    self.visibility = visibility
  }

  /// Causal attention over `count` new tokens: token t sees 0...t.
  public static func causal(_ count: Int) -> AttentionPlan {
    AttentionPlan(trusted: (0..<count).map { Array(0...$0) })
  }

  /// Tree attention: node i sees its ancestors (root first) and itself. `parents[i]` is the
  /// parent node of i, smaller than i, or -1 for a root.
  public static func tree(parents: [Int]) throws(LlamaError) -> AttentionPlan {
    var visibility: [[Int]] = []
    for (node, parent) in parents.enumerated() {
      guard parent < node, parent >= -1 else {
        throw .invalidForward(reason: "tree: node \(node) has parent \(parent)")
      }
      visibility.append(parent < 0 ? [node] : visibility[parent] + [node])
    }
    return AttentionPlan(trusted: visibility)
  }
}
