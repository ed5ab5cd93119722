import Foundation
import Llama
import Medusa
import MedusaKernels
import MedusaTraining

/// `medusa eval-heads`: per-head top-1 .. top-k accuracy on stored sequences, the quantity of
/// the original `heads_accuracy.py` (see ``HeadAccuracy``). With `--tree A[,B...]`, it also runs
/// greedy Medusa decoding from each sequence's prompt with every tree and reports the mean tokens
/// per step (the accept length plus the base token) and tokens/s; `--speed` adds autoregressive
/// decoding of the same prompts, interleaved with the trees (prompt by prompt), and reports each
/// tree's speedup and the cost of one Medusa step relative to one autoregressive step. `--json`
/// prints one JSON object, the input of `medusa tree --accuracy`.
enum EvalHeadsCommand {
  /// `medusa eval-heads --heads DIR --data DIR [options]`.
  static let spec = CommandSpec(
    name: "eval-heads",
    summary:
      "Per-head top-1 ... top-k accuracy on stored sequences; with --tree, greedy Medusa "
      + "tokens per step of each tree; --json writes the input of medusa tree --accuracy.",
    options: [
      .option("model", "DIR|FILE", "the backbone (default: the embedded model)"),
      .option("heads", "DIR", "the Medusa heads to evaluate", required: true),
      .option("data", "DIR", "a folder with sequences.jsonl (medusa distill)", required: true),
      .option("top-k", "K", "accuracy up to top-K (default 10)"),
      .option("max-sequences", "N", "use the first N sequences only"),
      .option("tree", "NAME|FILE[,...]", "also decode each sequence's prompt with these trees"),
      .flag("speed", "with --tree: also decode autoregressively and report speedups"),
      .option("max-new-tokens", "N", "with --tree: new tokens per prompt (default 64)"),
      .flag("json", "print one JSON object"),
      .option("threads", "N", "kernel threads (default: all cores)"),
    ])

  /// Greedy decoding of the prompts with one decoder: totals over all prompts.
  struct DecodingRun {
    /// The tree's name or file, `ar` for autoregressive decoding.
    var name: String
    var tokens = 0
    var steps = 0
    var seconds = 0.0
    var tokensPerStep: Double { Double(tokens) / Double(max(steps, 1)) }
    var tokensPerSecond: Double { Double(tokens) / max(seconds, 1e-12) }
    /// Seconds per step (per forward for autoregressive decoding, whose first token comes
    /// from the prefill).
    var secondsPerStep: Double { seconds / Double(max(steps, 1)) }
  }

  /// Runs `eval-heads` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let modelURL = try ModelLocator.model(arguments.string("model"))
    guard let headsPath = arguments.string("heads"), let dataPath = arguments.string("data") else {
      throw UsageError("give --heads DIR and --data DIR")
    }
    let topK = try arguments.int("top-k", default: 10, in: 1...1000)
    let maxSequences = try arguments.int("max-sequences", default: Int.max, in: 1...Int.max)
    let treeNames =
      arguments.string("tree").map {
        $0.split(separator: ",").map { String($0) }
      } ?? []
    let speed = arguments.flag("speed")
    let maxNewTokens = try arguments.int("max-new-tokens", default: 64, in: 1...100_000)
    let json = arguments.flag("json")
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    try arguments.finish()

    let parallelism = Parallelism(threads: threads)
    let model = try ModelLocator.load(modelURL)
    let headsURL = URL(fileURLWithPath: headsPath)
    let heads = try MedusaHeads.load(directory: headsURL, model: model)
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
    var runs: [DecodingRun] = []
    if !treeNames.isEmpty {
      runs = try decode(
        model: model, heads: heads, trees: treeNames, autoregressive: speed,
        sequences: sequences, maxNewTokens: maxNewTokens, parallelism: parallelism)
    }
    let ar = runs.first { $0.name == "ar" }
    let treeRuns = runs.filter { $0.name != "ar" }
    if json {
      var object = accuracy.json
      object["model"] = modelURL.path
      object["heads"] = headsURL.path
      object["head_projection"] = heads.headProjection.rawValue
      object["sequences"] = sequences.count
      if let first = treeRuns.first {
        object["tree"] = first.name
        object["tokens_per_step"] = first.tokensPerStep
        object["trees"] = treeRuns.map { run -> [String: Any] in
          var row: [String: Any] = [
            "tree": run.name, "tokens_per_step": run.tokensPerStep,
            "tokens_per_second": run.tokensPerSecond,
          ]
          if let ar {
            row["speedup"] = run.tokensPerSecond / ar.tokensPerSecond
            row["step_cost"] = run.secondsPerStep / ar.secondsPerStep
          }
          return row
        }
      }
      if let ar { object["ar_tokens_per_second"] = ar.tokensPerSecond }
      try Output.json(object)
      return
    }
    Output.line(
      "\(sequences.count) sequences, positions per head \(accuracy.positions), projection "
        + heads.headProjection.rawValue)
    let shown = [1, 2, 3, 5, 10].filter { $0 <= topK }
    Output.line(
      "head  "
        + shown.map { "top-\($0)".padding(toLength: 8, withPad: " ", startingAt: 0) }.joined())
    for (k, row) in accuracy.topKAccuracy.enumerated() {
      Output.line(
        "\(k)".padding(toLength: 6, withPad: " ", startingAt: 0)
          + shown.map { String(format: "%-8.3f", row[$0 - 1]) }.joined())
    }
    if let ar {
      Output.line(
        "autoregressive: " + String(format: "%.1f", ar.tokensPerSecond) + " tokens/s")
    }
    for run in treeRuns {
      var line =
        "greedy Medusa with tree \(run.name): " + String(format: "%.3f", run.tokensPerStep)
        + " tokens per step, " + String(format: "%.1f", run.tokensPerSecond) + " tokens/s"
      if let ar {
        let cost = run.secondsPerStep / ar.secondsPerStep
        line += String(
          format: ", step cost %.2f AR steps, speedup %.2fx", cost,
          run.tokensPerSecond / ar.tokensPerSecond)
      }
      Output.line(line)
    }
  }

  /// Greedy decoding from every sequence's prompt (EOS ignored, `maxNewTokens` tokens): with
  /// each tree, and autoregressively first when `autoregressive`, decoder after decoder for each
  /// prompt so that load on a shared machine falls on all of them alike.
  static func decode(
    model: LlamaModel, heads: MedusaHeads, trees: [String], autoregressive: Bool,
    sequences: [DistilledSequence], maxNewTokens: Int, parallelism: Parallelism
  ) throws -> [DecodingRun] {
    let longest = sequences.map(\.promptIDs.count).max() ?? 1
    let stop = StopRule(maxNewTokens: maxNewTokens, stopTokens: [])
    var decoders: [MedusaDecoder] = []
    for tree in trees {
      let choices =
        try MedusaChoices.published(tree, headCount: heads.headCount)
        ?? MedusaChoices(contentsOfFile: tree, headCount: heads.headCount)
      decoders.append(
        try MedusaDecoder(
          model: model, heads: heads, choices: choices,
          capacity: MedusaDecoder.capacity(
            promptLength: longest, maxNewTokens: maxNewTokens, choices: choices),
          parallelism: parallelism))
    }
    let ar =
      autoregressive
      ? try AutoregressiveDecoder(
        model: model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: longest, maxNewTokens: maxNewTokens),
        parallelism: parallelism) : nil
    var runs = (ar == nil ? [] : [DecodingRun(name: "ar")]) + trees.map { DecodingRun(name: $0) }
    for sequence in sequences {
      var index = 0
      if let ar {
        let result = try ar.generate(prompt: sequence.promptIDs, stop: stop)
        runs[0].tokens += result.outputIDs.count
        runs[0].steps += max(result.outputIDs.count - 1, 0)
        runs[0].seconds += result.decodeSeconds
        index = 1
      }
      for decoder in decoders {
        let result = try decoder.generate(prompt: sequence.promptIDs, stop: stop)
        runs[index].tokens += result.outputIDs.count
        runs[index].steps += result.steps
        runs[index].seconds += result.decodeSeconds
        index += 1
      }
    }
    return runs
  }
}
