/// Why a Medusa tree (`medusa_choices`, paper §2.1.2 tree attention) was rejected.
///
/// The original `generate_medusa_buffers` trusts its input: a missing parent raises a bare
/// `ValueError` from `list.index`, a duplicate silently adds a second node, and a path deeper
/// than the number of heads reads a top-k slot of a head that does not exist. Here every such
/// tree is rejected, and the message names the offending path and where it was found.
public enum TreeError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The tree has no path at all (the original fails on `max([])`).
  case noPaths
  /// The tree has `count` paths, more than ``MedusaChoices/maxPaths``.
  case tooManyPaths(count: Int, limit: Int)
  /// The path at `position` in the input is empty; the root is implicit.
  case emptyPath(position: Int)
  /// The path at `position` picks top-k slot `index` at `depth` (1-based), outside `0..<topK`.
  case indexOutOfRange(path: [Int], position: Int, depth: Int, index: Int, topK: Int)
  /// The path at `position` is deeper than the number of Medusa heads.
  case tooDeep(path: [Int], position: Int, headCount: Int)
  /// The path at `position` repeats the path first seen at `firstPosition`.
  case duplicate(path: [Int], position: Int, firstPosition: Int)
  /// The path at `position` has no parent path in the tree: the tree is not prefix-closed.
  case missingParent(path: [Int], position: Int, parent: [Int])
  /// A JSON tree file could not be read.
  case unreadableFile(path: String, reason: String)
  /// A JSON tree is not valid JSON (truncated, stray characters ...).
  case malformedJSON(source: String, detail: String)
  /// A JSON tree is valid JSON but not an array of arrays of integers.
  case wrongJSONType(source: String, location: String, detail: String)

  /// A one-line message naming the offending path, position or file.
  public var description: String {
    switch self {
    case .noPaths:
      return "medusa choices: the tree has no paths"
    case .tooManyPaths(let count, let limit):
      return "medusa choices: the tree has \(count) paths, more than the limit of \(limit) "
        + "(a tree of N paths is a forward pass of N + 1 tokens)"
    case .emptyPath(let position):
      return "medusa choices: path #\(position) is empty (the root is implicit)"
    case .indexOutOfRange(let path, let position, let depth, let index, let topK):
      return "medusa choices: path \(path) (#\(position)) uses top-k slot \(index) at depth "
        + "\(depth), outside 0..<\(topK)"
    case .tooDeep(let path, let position, let headCount):
      return "medusa choices: path \(path) (#\(position)) has depth \(path.count), "
        + "more than the \(headCount) Medusa heads"
    case .duplicate(let path, let position, let firstPosition):
      return "medusa choices: path \(path) (#\(position)) repeats path #\(firstPosition)"
    case .missingParent(let path, let position, let parent):
      return "medusa choices: path \(path) (#\(position)) has no parent path \(parent) "
        + "(the tree must be prefix-closed)"
    case .unreadableFile(let path, let reason):
      return "medusa choices: cannot read \(path): \(reason)"
    case .malformedJSON(let source, let detail):
      return "medusa choices: \(source) is not valid JSON: \(detail)"
    case .wrongJSONType(let source, let location, let detail):
      return "medusa choices: \(source) at \(location): \(detail); "
        + "expected an array of index paths such as [[0], [0, 0], [1]]"
    }
  }
}
