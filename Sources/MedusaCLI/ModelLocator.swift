import Foundation

/// Finds the embedded default model wherever the binary runs from: the package root is the
/// nearest ancestor of the executable (or, failing that, of this source file) that holds
/// `Package.swift` and `Golden/`.
enum ModelLocator {
  /// The folder of the default model.
  static let defaultModelPath = "Golden/models/default"

  /// The package root, if it can be found.
  static func packageRoot() -> URL? {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    let candidates = [
      URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath(), executable,
      URL(fileURLWithPath: #filePath),
    ]
    for start in candidates {
      var directory = start.deletingLastPathComponent()
      while directory.path != "/" {
        let manifest = directory.appendingPathComponent("Package.swift").path
        let golden = directory.appendingPathComponent("Golden").path
        if FileManager.default.fileExists(atPath: manifest),
          FileManager.default.fileExists(atPath: golden)
        {
          return directory
        }
        directory = directory.deletingLastPathComponent()
      }
    }
    return nil
  }

  /// `--model` if given, else the embedded default.
  static func model(_ path: String?) throws -> URL {
    if let path { return URL(fileURLWithPath: path) }
    guard let root = packageRoot() else {
      throw UsageError("no --model given and the embedded default model was not found")
    }
    return root.appendingPathComponent(defaultModelPath)
  }
}
