import Foundation
import Llama
import Medusa
import MedusaFormats
import MedusaKernels

/// `medusa conformance emit|check` (Docs/CONFORMANCE.md): write a reference file for a model and
/// heads, or compare another backend's candidate file with one (exit 0 pass, 1 fail).
enum ConformanceCommand {
  static let usage = """
    usage: medusa conformance emit --model DIR [--heads DIR] [--tree NAME|FILE ...]
             [--verification greedy|typical:T[:EPS:ALPHA] ...] [--prompts FILE]
             [--max-new-tokens N] [--ignore-eos] [--logits] [--threads N] --out FILE
           medusa conformance check --reference FILE --candidate FILE [--near-tie R]
             [--logits-atol A] [--logits-rtol R] [--semantics original|swift-medusa]
             [--strict] [--json]
    """

  /// Runs `emit` or `check`.
  static func run(_ words: [String]) throws {
    guard let command = words.first else { throw UsageError(usage) }
    let rest = Array(words.dropFirst())
    switch command {
    case "emit": try emit(rest)
    case "check": try check(rest)
    default: throw UsageError("unknown conformance command '\(command)'\n\(usage)")
    }
  }

  /// A failed check: `main` prints it and exits 1.
  struct CheckFailed: Error, CustomStringConvertible {
    let description: String
  }

  static func check(_ words: [String]) throws {
    var arguments = try Arguments(words, flagNames: ["strict", "json"])
    guard let referencePath = arguments.string("reference"),
      let candidatePath = arguments.string("candidate")
    else { throw UsageError("give --reference FILE and --candidate FILE\n\(usage)") }
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

  static func emit(_ words: [String]) throws {
    let (treeNames, afterTrees) = try takeRepeated("tree", from: words)
    let (verificationNames, remaining) = try takeRepeated("verification", from: afterTrees)
    let verifications = try (verificationNames.isEmpty ? ["greedy"] : verificationNames).map(
      parseVerification)
    var arguments = try Arguments(remaining, flagNames: ["ignore-eos", "logits"])
    let modelArgument = arguments.string("model")
    let modelURL = try ModelLocator.model(modelArgument)
    let headsArgument = arguments.string("heads")
    let headsURL =
      headsArgument.map { URL(fileURLWithPath: $0) }
      ?? modelURL.appendingPathComponent("medusa")
    let promptsPath = arguments.string("prompts")
    let maxNewTokens = try arguments.int("max-new-tokens", default: 40, in: 1...100_000)
    let ignoreEOS = arguments.flag("ignore-eos")
    let includeLogits = arguments.flag("logits")
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...256)
    guard let out = arguments.string("out") else { throw UsageError("give --out FILE\n\(usage)") }
    try arguments.finish()

    let model = try LlamaModel(directory: modelURL)
    let heads = try MedusaHeads.load(directory: headsURL, backbone: model.config)
    let trees = try (treeNames.isEmpty ? ["mc_sim_7b_63"] : treeNames).map {
      try TreeCommand.load($0, headCount: heads.headCount)
    }
    let prompts = try loadPrompts(promptsPath, modelURL: modelURL)
    let stop = StopRule(
      maxNewTokens: maxNewTokens, stopTokens: ignoreEOS ? [] : Set(model.config.eosTokenIDs))
    let emitter = ConformanceEmitter(
      model: model, heads: heads, modelPath: modelArgument ?? modelURL.path,
      headsPath: headsArgument ?? modelArgument.map { $0 + "/medusa" } ?? headsURL.path,
      parallelism: Parallelism(threads: threads))
    let reference = try emitter.emit(
      trees: trees, prompts: prompts, stop: stop, includeLogits: includeLogits,
      verifications: verifications)
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

  /// Removes every `--name VALUE` / `--name=VALUE` from `words`, returning the values in order.
  static func takeRepeated(_ name: String, from words: [String]) throws -> ([String], [String]) {
    var values: [String] = []
    var rest: [String] = []
    var index = 0
    while index < words.count {
      let word = words[index]
      if word == "--\(name)" {
        guard index + 1 < words.count else { throw UsageError("--\(name) needs a value") }
        values.append(words[index + 1])
        index += 2
        continue
      }
      if word.hasPrefix("--\(name)=") {
        values.append(String(word.dropFirst(name.count + 3)))
      } else {
        rest.append(word)
      }
      index += 1
    }
    return (values, rest)
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
