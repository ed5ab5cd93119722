import Medusa

/// Every tree of the Golden pack by name: the nine published trees (``PublishedTrees``) and the
/// small trees the Golden files use (`Golden/cases/medusa/trees.json`,
/// `Golden/cases/trees/buffers.json`, `Golden/cases/conformance/`), so that each can be named
/// on the command line (`medusa tree show chain_4`, `--tree tiny_3`).
public enum ConformanceTrees {
  /// The small Golden trees, by name, as the Golden files list them.
  public static let small: [(name: String, paths: [[Int]])] = [
    ("chain_3", [[0], [0, 0], [0, 0, 0]]),
    ("chain_4", [[0], [0, 0], [0, 0, 0], [0, 0, 0, 0]]),
    ("tiny_3", [[0], [1], [0, 0]]),
    ("unsorted_branching", [[1], [0, 1], [0], [1, 3], [0, 1, 2], [2], [0, 0], [1, 3, 9]]),
  ]

  /// Every name: the published trees, then the small ones.
  public static var names: [String] { PublishedTrees.names + small.map(\.name) }

  /// The paths of the Golden tree `name`, or nil when no Golden tree has that name.
  public static func paths(named name: String) -> [[Int]]? {
    PublishedTrees.paths(named: name) ?? small.first { $0.name == name }?.paths
  }
}

extension MedusaChoices {
  /// The Golden tree `name` (a published tree or one of ``ConformanceTrees/small``), validated
  /// for `headCount` heads; nil when no Golden tree has that name.
  public static func named(_ name: String, headCount: Int) throws(TreeError) -> MedusaChoices? {
    guard let paths = ConformanceTrees.paths(named: name) else { return nil }
    return try MedusaChoices(paths: paths, headCount: headCount)
  }
}
