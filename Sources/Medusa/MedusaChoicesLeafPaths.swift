/// Conversion between the full, prefix-closed `medusa_choices` list and the paths-only form
/// used by TensorRT-LLM's Medusa configuration, which lists only the leaf paths (every prefix
/// of a leaf is implied). Paper §2.1.2 tree attention: both describe the same tree.
extension MedusaChoices {
  /// The leaf paths (paths that no other path extends), in the original's node order
  /// (by length, then lexicographically).
  public var leafPaths: [[Int]] {
    let parents = Set(paths.filter { $0.count > 1 }.map { Array($0.dropLast()) })
    return sortedPaths.filter { !parents.contains($0) }
  }

  /// Expands leaf paths (TensorRT-LLM's paths-only form) to the full prefix-closed tree, in
  /// the original's node order, and validates it for `headCount` heads.
  ///
  /// Prefixes shared by several leaves appear once. A leaf that is a prefix of another leaf is
  /// accepted (it is simply an inner node); a repeated leaf is a ``TreeError/duplicate``.
  public init(leafPaths: [[Int]], headCount: Int) throws(TreeError) {
    guard !leafPaths.isEmpty else { throw .noPaths }
    var seenLeaves: [[Int]: Int] = [:]
    var all = Set<[Int]>()
    for (position, leaf) in leafPaths.enumerated() {
      guard !leaf.isEmpty else { throw .emptyPath(position: position) }
      if let first = seenLeaves[leaf] {
        throw .duplicate(path: leaf, position: position, firstPosition: first)
      }
      seenLeaves[leaf] = position
      for length in 1...leaf.count { all.insert(Array(leaf.prefix(length))) }
    }
    try self.init(paths: all.sorted(by: Self.precedes), headCount: headCount)
  }
}
