import Foundation
import Llama
import Medusa
import MedusaKernels
import MedusaTraining

/// `medusa tree --accuracy FILE (--nodes N | --auto)`: builds a `medusa_choices` tree from the
/// head accuracies `medusa eval-heads --json` wrote, by the paper's greedy construction
/// (§2.3.3, ``TreeConstruction``). The tree (a JSON array of index paths, usable by `--tree
/// FILE`) goes to stdout or `--out FILE`; the expected tokens per step to stderr.
///
/// `--auto` measures this machine's cost of one forward pass of T = 1 ... `--max-tokens` tokens
/// (after a 64-token prefix, logits for every token, as a tree step computes them; see
/// ``ForwardCost/forwardSeconds(model:maxTokens:repeats:parallelism:)``) and picks the N maximising
/// `(1 + expected accepted tokens(N)) / cost(N + 1)`, printing the curve and the choice. With
/// `--heads DIR` the step cost also counts the heads' logits for the tree's depth, measured on
/// this machine (``ForwardCost/headSeconds(heads:repeats:parallelism:)``): with a large vocabulary, heads
/// with their own projections cost several LM heads per step, shared-LM-head heads about one.
enum TreeBuildCommand {
  /// `medusa tree --accuracy FILE [options]`.
  static let spec = CommandSpec(
    name: "tree",
    summary:
      "Build a tree from head accuracies (eval-heads --json) by the paper's greedy construction "
      + "(--accuracy FILE with --nodes N or --auto).",
    options: [
      .option(
        "accuracy", "FILE", "head accuracies written by medusa eval-heads --json", required: true),
      .option("nodes", "N", "a tree of N nodes"),
      .flag("auto", "choose N from this machine's measured cost of a forward of T tokens"),
      .option("model", "DIR|FILE", "--auto: the model to measure (default: the embedded model)"),
      .option("heads", "DIR", "--auto: count the measured cost of these heads' logits too"),
      .option("max-tokens", "T", "--auto: measure T = 1 ... T tokens (default 64)"),
      .option("repeats", "R", "--auto: samples per size; medians are used (default 5)"),
      .option("threads", "N", "--auto: kernel threads (default: all cores)"),
      .option("out", "FILE", "write the tree (a JSON array of index paths) here, not to stdout"),
      .flag("force", "with --out: replace an existing file"),
    ],
    notes: ["Give exactly one of --nodes N and --auto."])

  /// Runs the build form of `tree` with the words after `tree`.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    guard let accuracyPath = arguments.string("accuracy") else {
      throw UsageError("give show, normalize or --accuracy FILE (see medusa tree --help)")
    }
    let auto = arguments.flag("auto")
    let nodes = try arguments.int("nodes", default: 0, in: 1...10_000)
    let modelPath = arguments.string("model")
    let headsPath = arguments.string("heads")
    let maxTokens = try arguments.int("max-tokens", default: 64, in: 2...1024)
    let repeats = try arguments.int("repeats", default: 5, in: 1...1000)
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let outPath = arguments.string("out")
    let force = arguments.flag("force")
    try arguments.finish()
    if let outPath { try OutputFile.refuseToReplace(outPath, force: force) }
    guard auto != (nodes > 0) else { throw UsageError("give exactly one of --nodes N and --auto") }

    let url = URL(fileURLWithPath: accuracyPath)
    let accuracy = try HeadAccuracy.rankTable(json: try Data(contentsOf: url), source: url.path)
    var size = nodes
    if auto {
      let model = try ModelLocator.load(try ModelLocator.model(modelPath))
      let parallelism = Parallelism(threads: threads)
      let seconds = try ForwardCost.forwardSeconds(
        model: model, maxTokens: maxTokens, repeats: repeats, parallelism: parallelism,
        logits: false)
      let row = try ForwardCost.logitRowSeconds(
        model: model, repeats: repeats, parallelism: parallelism)
      let token = seconds[0] + row
      let cost = seconds.map { $0 / token }
      Output.error(
        String(
          format: "one LM-head row: %.3f of a one-token forward (greedy verification computes"
            + " one per token a step yields)", row / token))
      var headCost: [Double] = []
      if let headsPath {
        let heads = try MedusaHeads.load(directory: URL(fileURLWithPath: headsPath), model: model)
        headCost = ForwardCost.headSeconds(
          heads: heads, repeats: repeats, parallelism: parallelism
        ).map { $0 / token }
        Output.error(
          "heads (\(heads.headProjection.rawValue)) cost for depth 1...\(headCost.count), relative to a one-token forward: "
            + headCost.map { String(format: "%.3f", $0) }.joined(separator: " "))
      }
      let curve = TreeConstruction.speedCurve(
        accuracy: accuracy, relativeCost: cost, headCost: headCost, logitRowCost: row / token)
      guard let best = curve.max(by: { $0.speedup < $1.speedup }) else {
        throw UsageError("no tree size to choose from")
      }
      Output.error(
        "nodes  step cost (forward of T = nodes + 1, a logits row per token"
          + (headCost.isEmpty ? "" : ", heads")
          + ", relative to T = 1)  tokens/step  expected speedup")
      for point in curve {
        Output.error(
          String(
            format: "%5d  %6.3f  %6.3f  %6.3f", point.nodes, point.relativeCost,
            point.tokensPerStep, point.speedup) + (point.nodes == best.nodes ? "  <- chosen" : ""))
      }
      if best.speedup < 1 {
        Output.error(
          String(format: "expected speedup %.3f < 1", best.speedup)
            + ": on this machine no tree beats autoregressive decoding with these heads (each"
            + " step costs more than the tokens it accepts); the best one is written anyway")
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
      try OutputFile.write(Data((text + "\n").utf8), to: outPath)
    } else {
      Output.line(text)
    }
  }

}
