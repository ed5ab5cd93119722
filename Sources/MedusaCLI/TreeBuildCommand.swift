import Foundation
import Llama
import Medusa
import MedusaKernels

/// `medusa tree --accuracy FILE (--nodes N | --auto)`: builds a `medusa_choices` tree from the
/// head accuracies `medusa eval-heads --json` wrote, by the paper's greedy construction
/// (§2.3.3, ``TreeConstruction``). The tree (a JSON array of index paths, usable by `--tree
/// FILE`) goes to stdout or `--out FILE`; the expected tokens per step to stderr.
///
/// `--auto` measures this machine's cost of one forward pass of T = 1 ... `--max-tokens` tokens
/// (after a 64-token prefix, logits for every token, as a tree step computes them; see
/// ``forwardCost(model:maxTokens:repeats:parallelism:)``) and picks the N maximising
/// `(1 + expected accepted tokens(N)) / cost(N + 1)`, printing the curve and the choice.
enum TreeBuildCommand {
  static let usage = """
    usage: medusa tree --accuracy FILE (--nodes N | --auto [--model DIR] [--max-tokens T]
                       [--repeats R] [--threads N]) [--out FILE]
    """

  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, flagNames: ["auto"])
    guard let accuracyPath = arguments.string("accuracy") else { throw UsageError(usage) }
    let auto = arguments.flag("auto")
    let nodes = try arguments.int("nodes", default: 0, in: 1...10_000)
    let modelPath = arguments.string("model")
    let maxTokens = try arguments.int("max-tokens", default: 64, in: 2...1024)
    let repeats = try arguments.int("repeats", default: 5, in: 1...1000)
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let outPath = arguments.string("out")
    try arguments.finish()
    guard auto != (nodes > 0) else {
      throw UsageError("give exactly one of --nodes N and --auto\n" + usage)
    }

    let url = URL(fileURLWithPath: accuracyPath)
    let accuracy = try HeadAccuracy.rankTable(json: try Data(contentsOf: url), source: url.path)
    var size = nodes
    if auto {
      let model = try LlamaModel(directory: try ModelLocator.model(modelPath))
      let cost = try forwardCost(
        model: model, maxTokens: maxTokens, repeats: repeats,
        parallelism: Parallelism(threads: threads))
      let curve = TreeConstruction.speedCurve(accuracy: accuracy, relativeCost: cost)
      guard let best = curve.max(by: { $0.speedup < $1.speedup }) else {
        throw UsageError("no tree size to choose from")
      }
      Output.error(
        "nodes  forward cost (T = nodes + 1, relative to T = 1)  tokens/step  expected speedup")
      for point in curve {
        Output.error(
          String(
            format: "%5d  %6.3f  %6.3f  %6.3f", point.nodes, point.relativeCost,
            point.tokensPerStep, point.speedup) + (point.nodes == best.nodes ? "  <- chosen" : ""))
      }
      size = best.nodes
    }
    let tree = TreeConstruction.greedy(accuracy: accuracy, nodes: size)
    let choices = try MedusaChoices(paths: tree.paths, headCount: accuracy.count)
    let text =
      "["
      + choices.sortedPaths.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
      .joined(separator: ", ") + "]"
    Output.error(
      "tree of \(tree.paths.count) nodes: "
        + String(format: "%.4f", tree.expectedTokensPerStep) + " expected tokens per step")
    if let outPath {
      try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: outPath), options: .atomic)
    } else {
      Output.line(text)
    }
  }

  /// Cost of a forward of T tokens (T = 1 ... maxTokens) after a 64-token prefix, divided by
  /// that of T = 1; element T - 1 is T's cost. One sample of T times enough back-to-back
  /// forwards to last about 10 ms (tiny models run a forward in microseconds); the sizes take
  /// turns, `repeats` rounds, so that load on a shared machine spreads over all of them; each
  /// size's cost is the median of its samples.
  static func forwardCost(
    model: LlamaModel, maxTokens: Int, repeats: Int, parallelism: Parallelism
  ) throws -> [Double] {
    let state = try model.makeState(
      capacity: 64 + maxTokens, maxBatch: max(64, maxTokens), parallelism: parallelism)
    let vocabulary = model.config.vocabularySize
    let prefix = (0..<64).map { ($0 * 31 + 5) % vocabulary }
    try model.forward(
      tokens: prefix, positions: Array(0..<64), plan: .causal(64), logitsFor: [], state: state)
    try state.cache.commit(64)
    func seconds(_ size: Int, _ count: Int) throws -> Double {
      let tokens = (0..<size).map { ($0 * 17 + 3) % vocabulary }
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<count {
        try model.forward(
          tokens: tokens, positions: Array(64..<(64 + size)), plan: .causal(size),
          logitsFor: Array(0..<size), state: state)
      }
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }
    let counts = try (1...maxTokens).map { size in
      _ = try seconds(size, 1)
      return max(1, Int(0.01 / max(try seconds(size, 1), 1e-9)))
    }
    var samples = [[Double]](repeating: [], count: maxTokens)
    for _ in 0..<repeats {
      for size in 1...maxTokens {
        samples[size - 1].append(try seconds(size, counts[size - 1]))
      }
    }
    let medians = samples.map { $0.sorted()[$0.count / 2] }
    return medians.map { $0 / medians[0] }
  }
}
