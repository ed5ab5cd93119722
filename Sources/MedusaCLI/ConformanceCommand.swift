import Foundation
import Llama
import Medusa
import MedusaConformance
import MedusaFormats
import MedusaKernels

/// `medusa conformance emit|check` (Docs/CONFORMANCE.md): write a reference file for a model and
/// heads, or compare another backend's candidate file with one (exit 0 pass, 1 fail).
enum ConformanceCommand {
  /// `medusa conformance emit --out FILE [options]`.
  static let emitSpec = CommandSpec(
    name: "conformance emit",
    summary: "Write a reference file (the oracle's cases) for a model and its heads.",
    options: [
      .option("model", "DIR|FILE", "the model (default: the embedded model)"),
      .option("heads", "DIR", "its Medusa heads (default: MODEL/medusa)"),
      .option("out", "FILE", "the reference file to write", required: true),
      .flag("force", "replace an existing --out file"),
      .option(
        "tree", "NAME|FILE", "a tree to emit cases for (default: mc_sim_7b_63)", repeatable: true),
      .option(
        "verification", "greedy|typical:T[:EPS:ALPHA]", "a verification (default: greedy)",
        repeatable: true),
      .option("prompts", "FILE", "prompts as token ids (default: the Golden backbone cases)"),
      .option("max-new-tokens", "N", "at most N new tokens per case (default 40)"),
      .flag("ignore-eos", "do not stop at EOS"),
      .flag("logits", "include every step's logits"),
      .option(
        "top-logits", "K",
        "include the K largest logits (ids and values) of every emitted position, K in 1...1000"),
      .option("threads", "N", "kernel threads (default: all cores)"),
    ])

  /// `medusa conformance check --reference FILE --candidate FILE [options]`.
  static let checkSpec = CommandSpec(
    name: "conformance check",
    summary: "Compare another backend's candidate file with a reference (exit 0 pass, 1 fail).",
    options: [
      .option("reference", "FILE", "the reference file (conformance emit)", required: true),
      .option("candidate", "FILE", "the other backend's file", required: true),
      .option("near-tie", "R", "a divergence within relative margin R is a tie (default 1e-3)"),
      .option("logits-atol", "A", "absolute logit tolerance (default 1e-4)"),
      .option("logits-rtol", "R", "relative logit tolerance (default 1e-4)"),
      .option(
        "semantics", "original|swift-medusa",
        "original: its documented deviations are notes, not failures (default)"),
      .flag("strict", "fail near-ties and the original's deviations too"),
      .flag("json", "print the report as one JSON object"),
    ])

  /// `medusa conformance`: its two forms.
  static let spec = CommandSpec(
    name: "conformance",
    summary:
      "Reference files for other backends, and the check of their output (Docs/CONFORMANCE.md).",
    forms: [emitSpec, checkSpec])

  /// Runs `emit` or `check`.
  static func run(_ words: [String]) throws {
    let rest = Array(words.dropFirst())
    switch words.first {
    case "emit"?: try emit(rest)
    case "check"?: try check(rest)
    case "--help"?, "-h"?: throw HelpRequest(text: spec.help)
    case nil: throw UsageError("give emit or check (see medusa conformance --help)")
    case let other?:
      throw UsageError("unknown conformance command '\(other)' (see medusa conformance --help)")
    }
  }

  /// A failed check: `main` prints it and exits 1.
  struct CheckFailed: Error, CustomStringConvertible {
    let description: String
  }

  /// `medusa conformance check`.
  static func check(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: checkSpec)
    guard let referencePath = arguments.string("reference"),
      let candidatePath = arguments.string("candidate")
    else { throw UsageError("give --reference FILE and --candidate FILE") }
    var nearTie: Double? = nil
    if arguments.string("near-tie") != nil {
      nearTie = try arguments.double("near-tie", default: 0, in: 0...1)
    }
    let atol = try arguments.double("logits-atol", default: 1e-4, in: 0...1e6)
    let rtol = try arguments.double("logits-rtol", default: 1e-4, in: 0...1e6)
    let strict = arguments.flag("strict")
    let json = arguments.flag("json")
    let semanticsName = arguments.string("semantics") ?? Semantics.original.rawValue
    guard let semantics = Semantics(rawValue: semanticsName) else {
      throw UsageError(
        "--semantics must be one of \(Semantics.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    try arguments.finish()
    let reference = try ConformanceFiles.readReference(path: referencePath)
    let candidate = try ConformanceFiles.readCandidate(path: candidatePath)
    let report = ConformanceCheck.run(
      reference: reference, candidate: candidate,
      options: ConformanceCheck.Options(
        nearTieRelative: nearTie, logitsAbsolute: Float(atol), logitsRelative: Float(rtol),
        strict: strict, semantics: semantics))
    if json {
      try Output.json(ConformanceJSON.object(report))
    } else {
      Output.line(
        "reference: \(referencePath) (\(reference.cases.count) cases, model \(reference.model.path))"
      )
      Output.line("candidate: \(candidatePath) (backend: \(candidate.backend ?? "not named"))")
      Output.line(report.render())
    }
    guard report.passed else {
      throw CheckFailed(description: "conformance check failed: \(report.summary)")
    }
  }

  /// `medusa conformance emit`.
  static func emit(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: emitSpec)
    let treeNames = arguments.strings("tree")
    let verificationNames = arguments.strings("verification")
    let verifications = try (verificationNames.isEmpty ? ["greedy"] : verificationNames).map(
      parseVerification)
    let modelArgument = arguments.string("model")
    let modelURL = try ModelLocator.model(modelArgument)
    let headsArgument = arguments.string("heads")
    let promptsPath = arguments.string("prompts")
    let maxNewTokens = try arguments.int("max-new-tokens", default: 40, in: 1...100_000)
    let ignoreEOS = arguments.flag("ignore-eos")
    let includeLogits = arguments.flag("logits")
    var topLogits: Int? = nil
    if arguments.has("top-logits") {
      topLogits = try arguments.int("top-logits", default: 20, in: TopLogits.allowedK)
    }
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...256)
    guard let out = arguments.string("out") else { throw UsageError("give --out FILE") }
    let force = arguments.flag("force")
    try arguments.finish()
    try OutputFile.refuseToReplace(out, force: force)

    let model = try ModelLocator.load(modelURL)
    let headsURL =
      headsArgument.map { URL(fileURLWithPath: $0) }
      ?? model.directory.appendingPathComponent("medusa")
    let heads = try MedusaHeads.load(directory: headsURL, model: model)
    let trees = try (treeNames.isEmpty ? ["mc_sim_7b_63"] : treeNames).map {
      try TreeCommand.load($0, headCount: heads.headCount)
    }
    let prompts = try loadPrompts(promptsPath, modelURL: modelURL)
    let stop = StopRule(
      maxNewTokens: maxNewTokens, stopTokens: ignoreEOS ? [] : Set(model.config.eosTokenIDs))
    let emitter = ConformanceEmitter(
      model: model, heads: heads, modelPath: modelArgument ?? modelURL.path,
      headsPath: headsArgument
        ?? modelArgument.map {
          (model.ggufFile == nil ? $0 : ($0 as NSString).deletingLastPathComponent) + "/medusa"
        } ?? headsURL.path,
      parallelism: Parallelism(threads: threads))
    let reference = try emitter.emit(
      trees: trees, prompts: prompts, stop: stop, includeLogits: includeLogits,
      topLogits: topLogits, verifications: verifications)
    try ConformanceFiles.write(reference, path: out)
    Output.line(
      "wrote \(out): \(reference.cases.count) cases (\(prompts.count) prompts × \(verifications.count) verifications × \(trees.count) trees)"
    )
  }

  /// `greedy`, or `typical:T` with optional `:EPS:ALPHA` (defaults 0.09 and 0.3, the original's).
  static func parseVerification(_ text: String) throws -> Verification {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    if parts == ["greedy"] { return .greedy }
    let numbers = parts.dropFirst().map(Double.init)
    guard parts.first == "typical", (1...3).contains(numbers.count),
      numbers.allSatisfy({ $0.map { $0.isFinite && $0 > 0 } ?? false }),
      let temperature = numbers[0]
    else {
      throw UsageError(
        "--verification must be greedy or typical:T[:EPS:ALPHA] (T > 0), got '\(text)'")
    }
    return .typical(
      TypicalAcceptance(
        temperature: temperature, posteriorThreshold: numbers.count > 1 ? numbers[1] ?? 0.09 : 0.09,
        posteriorAlpha: numbers.count > 2 ? numbers[2] ?? 0.3 : 0.3))
  }

  /// Prompts as token ids from `[[1, 2], ...]`, `{"prompts": [[...]]}` or a Golden backbone case
  /// file (`{"cases": [{"prompt_ids": [...]}]}`); without a file, the Golden backbone cases of
  /// a Golden model of the same folder name.
  static func loadPrompts(_ path: String?, modelURL: URL) throws -> [[Int]] {
    let url: URL
    if let path {
      url = URL(fileURLWithPath: path)
    } else {
      guard let root = ModelLocator.packageRoot() else {
        throw UsageError("give --prompts FILE (a JSON array of token id arrays)")
      }
      url = root.appendingPathComponent(
        "Golden/cases/backbone/\(modelURL.standardizedFileURL.lastPathComponent).json")
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw UsageError("give --prompts FILE (a JSON array of token id arrays)")
      }
    }
    let document = try JSONValue.read(url)
    let items: [JSONValue]
    if let array = document.arrayElements {
      items = array
    } else if let prompts = document["prompts"]?.arrayElements {
      items = prompts
    } else if let cases = document["cases"]?.arrayElements {
      items = cases.map { $0["prompt_ids"] ?? .null }
    } else {
      throw UsageError("\(url.path): expected an array of prompts (arrays of token ids)")
    }
    return try items.enumerated().map { index, item in
      // JSON integers only: 1.9, true and 1e30 are not token ids.
      let ids = item.arrayElements?.compactMap(\.integerValue) ?? []
      guard !ids.isEmpty, ids.count == item.arrayElements?.count, ids.allSatisfy({ $0 >= 0 })
      else {
        throw UsageError(
          "\(url.path): prompt \(index) is not a non-empty array of token ids (JSON integers)")
      }
      return ids
    }
  }
}
