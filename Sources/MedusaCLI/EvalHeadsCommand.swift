import Foundation
import Llama
import Medusa
import MedusaKernels

/// `medusa eval-heads`: per-head top-1 .. top-k accuracy on stored sequences, the quantity of
/// the original `heads_accuracy.py` (see ``HeadAccuracy``). With `--tree`, it also runs greedy
/// Medusa decoding from each sequence's prompt and reports the mean tokens per step (the
/// accept length plus the base token). `--json` prints one JSON object, the input of
/// `medusa tree --accuracy`.
enum EvalHeadsCommand {
  static let usage = """
    usage: medusa eval-heads --model DIR --heads DIR --data DIR [--top-k K] [--max-sequences N]
                             [--tree FILE|NAME] [--max-new-tokens N] [--json] [--threads N]
    """

  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, flagNames: ["json"])
    let modelURL = try ModelLocator.model(arguments.string("model"))
    guard let headsPath = arguments.string("heads"), let dataPath = arguments.string("data") else {
      throw UsageError(usage)
    }
    let topK = try arguments.int("top-k", default: 10, in: 1...1000)
    let maxSequences = try arguments.int("max-sequences", default: Int.max, in: 1...Int.max)
    let treeName = arguments.string("tree")
    let maxNewTokens = try arguments.int("max-new-tokens", default: 64, in: 1...100_000)
    let json = arguments.flag("json")
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    try arguments.finish()

    let parallelism = Parallelism(threads: threads)
    let model = try LlamaModel(directory: modelURL)
    let headsURL = URL(fileURLWithPath: headsPath)
    let heads = try MedusaHeads.load(directory: headsURL, backbone: model.config)
    let dataURL = URL(fileURLWithPath: dataPath).appendingPathComponent(DistilledSequence.fileName)
    let sequences = Array(
      try DistilledSequence.read(dataURL, vocabulary: model.config.vocabularySize).prefix(
        maxSequences))
    let accuracy = try HeadAccuracy.measure(
      model: model, heads: heads, sequences: sequences, topK: topK, parallelism: parallelism
    ) { done, total in
      guard !json, done % max(1, total / 20) == 0 || done == total else { return }
      FileHandle.standardError.write(Data("\reval \(done)/\(total) sequences".utf8))
    }
    if !json { FileHandle.standardError.write(Data("\n".utf8)) }
    var tokensPerStep: Double?
    if let treeName {
      tokensPerStep = try medusaTokensPerStep(
        model: model, heads: heads, tree: treeName, sequences: sequences,
        maxNewTokens: maxNewTokens, parallelism: parallelism)
    }
    if json {
      var object = accuracy.json
      object["model"] = modelURL.path
      object["heads"] = headsURL.path
      object["sequences"] = sequences.count
      if let tokensPerStep, let treeName {
        object["tree"] = treeName
        object["tokens_per_step"] = tokensPerStep
      }
      try Output.json(object)
      return
    }
    Output.line("\(sequences.count) sequences, positions per head \(accuracy.positions)")
    let shown = [1, 2, 3, 5, 10].filter { $0 <= topK }
    Output.line(
      "head  "
        + shown.map { "top-\($0)".padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
    for (k, row) in accuracy.topKAccuracy.enumerated() {
      Output.line(
        "\(k)".padding(toLength: 6, withPad: " ", startingAt: 0)
          + shown.map { String(format: "%-8.3f", row[$0 - 1]) }.joined())
    }
    if let tokensPerStep, let treeName {
      Output.line(
        "greedy Medusa with tree \(treeName): " + String(format: "%.3f", tokensPerStep)
          + " tokens per step")
    }
  }

  /// Mean tokens per step of greedy Medusa decoding from every sequence's prompt.
  static func medusaTokensPerStep(
    model: LlamaModel, heads: MedusaHeads, tree: String, sequences: [DistilledSequence],
    maxNewTokens: Int, parallelism: Parallelism
  ) throws -> Double {
    let choices =
      try MedusaChoices.published(tree, headCount: heads.headCount)
      ?? MedusaChoices(contentsOfFile: tree, headCount: heads.headCount)
    let longest = sequences.map(\.promptIDs.count).max() ?? 1
    let decoder = try MedusaDecoder(
      model: model, heads: heads, choices: choices,
      capacity: longest + maxNewTokens + choices.paths.count + 2, parallelism: parallelism)
    var tokens = 0
    var steps = 0
    for sequence in sequences {
      let result = try decoder.generate(
        prompt: sequence.promptIDs, stop: StopRule(maxNewTokens: maxNewTokens, stopTokens: []))
      tokens += result.outputIDs.count
      steps += result.steps
    }
    return Double(tokens) / Double(max(steps, 1))
  }
}
