import Foundation
import Llama
import Medusa

/// Finds the embedded default model wherever the binary runs from: the package root is the
/// nearest ancestor of the executable (or, failing that, of this source file) that holds
/// `Package.swift` and `Golden/`.
enum ModelLocator {
  /// The folder of the embedded default model.
  static let defaultModelPath = "Golden/models/default"
  /// The real model, once `bash Golden/tools/fetch_smollm2.sh` has fetched it.
  static let realModelPath =
    "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"

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

  /// `--model` if given, else the default model: SmolLM2-135M-Instruct when it has been
  /// fetched (and its shipped heads are beside it), otherwise the embedded model (with a
  /// one-line hint on stderr when `hint`).
  static func model(_ path: String?, hint: Bool = false) throws -> URL {
    if let path { return URL(fileURLWithPath: path) }
    guard let root = packageRoot() else {
      throw UsageError("no --model given and the embedded default model was not found")
    }
    let real = root.appendingPathComponent(realModelPath)
    let heads = real.deletingLastPathComponent().appendingPathComponent("medusa").path
    if FileManager.default.fileExists(atPath: real.path),
      FileManager.default.fileExists(atPath: heads)
    {
      return real
    }
    if hint {
      Output.error(
        "medusa: running the embedded 4M-parameter model; for SmolLM2-135M-Instruct run `bash Golden/tools/fetch_smollm2.sh`"
      )
    }
    return root.appendingPathComponent(defaultModelPath)
  }

  /// Loads the backbone at `url` (a Hugging Face folder or a GGUF file); a Medusa-2 model
  /// folder's `medusa_head.*` tensors are allowed beside it, so every command takes one.
  static func load(_ url: URL) throws -> LlamaModel {
    try LlamaModel(path: url, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
  }
}
