import Foundation
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

extension MedusaChoices {
  /// The tree `--tree NAME|FILE` names: the Golden tree `nameOrPath` (``named(_:headCount:)``),
  /// else the JSON file of index paths at that path (``init(contentsOfFile:headCount:)``),
  /// validated for `headCount` heads; nil when it is neither a Golden tree nor a file.
  public static func resolve(_ nameOrPath: String, headCount: Int) throws(TreeError)
    -> MedusaChoices?
  {
    if let golden = try named(nameOrPath, headCount: headCount) { return golden }
    guard FileManager.default.fileExists(atPath: nameOrPath) else { return nil }
    return try MedusaChoices(contentsOfFile: nameOrPath, headCount: headCount)
  }
}

extension ConformanceTrees {
  /// The tree `source` names (`medusa tree show`, `medusa conformance --tree`), with the name
  /// it is shown under: the Golden tree of that name, or a JSON file in either form
  /// (``MedusaChoices/init(eitherFormFile:headCount:)``) shown under its file name without
  /// extension; validated for `headCount` heads (default: the tree's own depth). Nil when
  /// `source` is neither a Golden tree nor a file.
  public static func resolve(_ source: String, headCount: Int?) throws(TreeFileError) -> (
    name: String, choices: MedusaChoices
  )? {
    if let paths = paths(named: source) {
      let depth = paths.map(\.count).max() ?? 0
      do {
        return (source, try MedusaChoices(paths: paths, headCount: headCount ?? depth))
      } catch {
        throw .invalid(error)
      }
    }
    guard FileManager.default.fileExists(atPath: source) else { return nil }
    let name = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
    return (name, try MedusaChoices(eitherFormFile: source, headCount: headCount))
  }
}
