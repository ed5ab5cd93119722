/// A Medusa tree as index paths (`medusa_choices` in the original; paper §2.1.2 tree attention).
///
/// Each path names one tree node below the root: `[i0, i1, ..., ik]` is the candidate made of
/// the `i0`-th most likely token of head 1, then the `i1`-th of head 2, and so on, so a path
/// of length `d` sits at depth `d` and its last index picks a top-k slot of head `d`. The root
/// (the base model's own next token) is implicit.
///
/// A valid tree is non-empty, has at most ``maxPaths`` paths, has no empty or repeated path,
/// uses top-k slots `0..<topK`, is no deeper than the number of heads, and is prefix-closed
/// (every path's parent is a path).
public struct MedusaChoices: Equatable, Sendable {
  /// Top-k slots per head, the original's `TOPK = 10` ("a placeholder and it is sufficient").
  public static let topK = 10
  /// The most paths a tree may have: 1023, so that a tree step is a forward pass of at most
  /// 1024 tokens (the published trees have 63; on a CPU the best trees have 1-8).
  public static let maxPaths = 1023

  /// The paths, validated, in the order they were given.
  public let paths: [[Int]]
  /// The number of Medusa heads the tree was validated against.
  public let headCount: Int

  /// Validates `paths` for a model with `headCount` Medusa heads.
  ///
  /// Checks each path in input order (empty, top-k slot range, depth), then duplicates, then
  /// prefix closure, and throws the first ``TreeError`` found.
  public init(paths: [[Int]], headCount: Int) throws(TreeError) {
    guard !paths.isEmpty else { throw .noPaths }
    guard paths.count <= Self.maxPaths else {
      throw .tooManyPaths(count: paths.count, limit: Self.maxPaths)
    }
    var firstPosition: [[Int]: Int] = [:]
    for (position, path) in paths.enumerated() {
      guard !path.isEmpty else { throw .emptyPath(position: position) }
      for (offset, index) in path.enumerated() where index < 0 || index >= Self.topK {
        throw .indexOutOfRange(
          path: path, position: position, depth: offset + 1, index: index, topK: Self.topK)
      }
      guard path.count <= headCount else {
        throw .tooDeep(path: path, position: position, headCount: headCount)
      }
      if let first = firstPosition[path] {
        throw .duplicate(path: path, position: position, firstPosition: first)
      }
      firstPosition[path] = position
    }
    for (position, path) in paths.enumerated() where path.count > 1 {
      let parent = Array(path.dropLast())
      guard firstPosition[parent] != nil else {
        throw .missingParent(path: path, position: position, parent: parent)
      }
    }
    self.paths = paths
    self.headCount = headCount
  }

  /// The published tree `name` (see ``PublishedTrees``), validated for `headCount` heads;
  /// nil when no published tree has that name.
  public static func published(_ name: String, headCount: Int) throws(TreeError) -> MedusaChoices? {
    guard let paths = PublishedTrees.paths(named: name) else { return nil }
    return try MedusaChoices(paths: paths, headCount: headCount)
  }

  /// The paths in the original's node order: by length, then lexicographically
  /// (`sorted(medusa_choices, key=lambda x: (len(x), x))` in `generate_medusa_buffers`).
  public var sortedPaths: [[Int]] { paths.sorted(by: Self.precedes) }

  /// The depth of the deepest path.
  public var maxDepth: Int { paths.map(\.count).max() ?? 0 }

  /// The original's order on paths: shorter first, equal lengths lexicographically.
  static func precedes(_ a: [Int], _ b: [Int]) -> Bool {
    if a.count != b.count { return a.count < b.count }
    return a.lexicographicallyPrecedes(b)
  }
}
