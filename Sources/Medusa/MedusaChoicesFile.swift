import Foundation

/// Why a tree file in either form (``MedusaChoices/init(eitherFormFile:headCount:)``) gave no
/// tree. The descriptions are the command line's messages.
public enum TreeFileError: Error, Sendable, CustomStringConvertible {
  /// The file could not be read.
  case unreadable(path: String, reason: String)
  /// The file is not a JSON array of index paths.
  case notIndexPaths(path: String)
  /// The paths are not a valid tree.
  case invalid(TreeError)

  /// One line naming the file and what is wrong.
  public var description: String {
    switch self {
    case .unreadable(let path, let reason): "\(path): \(reason)"
    case .notIndexPaths(let path):
      "\(path): expected a JSON array of index paths such as [[0], [0, 0], [1]]"
    case .invalid(let error): error.description
    }
  }
}

extension MedusaChoices {
  /// The index paths of a JSON tree file (`[[0], [0, 0], [1]]`), unvalidated: the full
  /// `medusa_choices` list or the leaf-paths form alike.
  public static func indexPaths(contentsOfFile path: String) throws(TreeFileError) -> [[Int]] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw .unreadable(path: path, reason: error.localizedDescription)
    }
    guard let paths = try? JSONDecoder().decode([[Int]].self, from: data) else {
      throw .notIndexPaths(path: path)
    }
    return paths
  }

  /// The tree of a JSON file in either form: the full `medusa_choices` list if its paths are
  /// one, else TensorRT-LLM's leaf paths (``init(leafPaths:headCount:)``); validated for
  /// `headCount` heads (default: the tree's own depth).
  public init(eitherFormFile path: String, headCount: Int?) throws(TreeFileError) {
    let paths = try Self.indexPaths(contentsOfFile: path)
    let depth = paths.map(\.count).max() ?? 0
    if let full = try? MedusaChoices(paths: paths, headCount: headCount ?? depth) {
      self = full
      return
    }
    do {
      self = try MedusaChoices(leafPaths: paths, headCount: headCount ?? depth)
    } catch {
      throw .invalid(error)
    }
  }
}
