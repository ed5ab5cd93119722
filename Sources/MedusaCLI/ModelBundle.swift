import Foundation
import Llama
import Medusa
import MedusaConformance
import MedusaKernels
import MedusaTokenizer

/// What a command needs to generate: the backbone, its Medusa heads and tokenizer when the
/// folder has them, and the tree. Heads come from `--heads DIR`, else `MODEL/medusa/`, else a
/// full Medusa-2 checkpoint in the model folder itself. The tree is `--tree`, else the
/// `medusa_choices.json` beside the heads (a tree chosen for those heads, e.g. by
/// `medusa tree --auto`), else `mc_sim_7b_63`.
struct ModelBundle {
  let model: LlamaModel
  let heads: MedusaHeads?
  let tokenizer: Tokenizer?
  let choices: MedusaChoices?
  let parallelism: Parallelism

  /// `--model`, `--heads`, `--tree` and `--threads`, read by ``load(_:needHeads:)``.
  static let options: [OptionSpec] = [
    .option(
      "model", "DIR|FILE",
      "a Hugging Face model folder or GGUF file (default: SmolLM2 once fetched, else the embedded model)"
    ),
    .option(
      "heads", "DIR", "Medusa heads (default: MODEL/medusa/, else heads inside the model folder)"),
    .option(
      "tree", "NAME|FILE",
      "a published tree or a JSON file of index paths (default: medusa_choices.json beside "
        + "the heads, else mc_sim_7b_63)"),
    .option("threads", "N", "kernel threads (default: all cores); results do not depend on it"),
  ]

  /// Loads from `--model`, `--heads`, `--tree` and `--threads`.
  static func load(_ arguments: inout Arguments, needHeads: Bool) throws -> ModelBundle {
    let modelURL = try ModelLocator.model(arguments.string("model"))
    let headsPath = arguments.string("heads")
    let treeOption = arguments.string("tree")
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...256)
    let model = try LlamaModel(
      path: modelURL, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
    var heads: MedusaHeads? = nil
    var headsURL = model.directory
    if let headsPath {
      headsURL = URL(fileURLWithPath: headsPath)
      heads = try MedusaHeads.load(directory: headsURL, model: model)
    } else if needHeads {
      let nested = model.directory.appendingPathComponent("medusa")
      headsURL = FileManager.default.fileExists(atPath: nested.path) ? nested : model.directory
      heads = try Self.headsIfPresent(headsURL, model: model)
    }
    for note in heads?.notes ?? [] { Output.error("medusa: note: \(note)") }
    var choices: MedusaChoices? = nil
    if let heads {
      let shipped = headsURL.appendingPathComponent("medusa_choices.json").path
      let treeName =
        treeOption ?? (FileManager.default.fileExists(atPath: shipped) ? shipped : "mc_sim_7b_63")
      choices = try Self.tree(treeName, headCount: heads.headCount)
    }
    let tokenizer = try ModelTokenizer.load(for: model)
    return ModelBundle(
      model: model, heads: heads, tokenizer: tokenizer, choices: choices,
      parallelism: Parallelism(threads: threads))
  }

  /// The heads in `directory`, nil when there are none: no heads means autoregressive only,
  /// but heads that are there and do not load are an error, never a quiet switch to
  /// autoregressive decoding.
  static func headsIfPresent(_ directory: URL, model: LlamaModel) throws -> MedusaHeads? {
    let result = Result { () throws(MedusaError) -> MedusaHeads in
      try MedusaHeads.load(directory: directory, model: model)
    }
    switch result {
    case .success(let heads): return heads
    case .failure(.noHeads): return nil
    case .failure(let error): throw error
    }
  }

  /// A published tree by name, or a JSON file of index paths
  /// (``MedusaChoices/resolve(_:headCount:)``).
  static func tree(_ nameOrPath: String, headCount: Int) throws -> MedusaChoices {
    guard let choices = try MedusaChoices.resolve(nameOrPath, headCount: headCount) else {
      throw UsageError("--tree " + TreeCommand.unknown(nameOrPath))
    }
    return choices
  }

  /// The stop tokens of the model (config + generation config + tokenizer).
  var stopTokens: Set<Int> {
    var tokens = Set(model.config.eosTokenIDs)
    if tokens.isEmpty, let eos = tokenizer?.eosTokenID { tokens.insert(eos) }
    return tokens
  }
}
