import Foundation
import Llama
import MedusaKernels

/// Autoregressive against Medusa decoding of the same prompts in one run, measured: what
/// `medusa bench` tabulates. One ``AutoregressiveDecoder`` and one ``MedusaDecoder`` per tree
/// are made once, with the cache the longest prompt needs for ``newTokens`` new tokens, and
/// reused for every run. Runs are interleaved (for each repeat and prompt: AR, then every tree)
/// so that load changes on a shared machine hit both sides; a tree's speedup is the median of
/// its paired ratios to the AR run just before. Greedy decoding is ``greedy()``, sampling
/// ``sampling(temperatures:)`` (DecoderBenchmarkSampling.swift). Times are wall-clock and differ
/// from run to run; nothing here changes any result of decoding.
package struct DecoderBenchmark {
  /// One tree's greedy measurement.
  package struct GreedyRow {
    /// The tree's name.
    package var tree: String
    /// Tree nodes, the root included.
    package var nodes: Int
    /// Median output tokens per decoding step.
    package var tokensPerStep: Double
    /// Median output tokens per second of decoding.
    package var tokensPerSecond: Double
    /// Median of the paired ratios of tokens/s to the AR run just before.
    package var speedup: Double
  }

  /// The greedy measurement: AR's median tokens/s and one row per tree, in ``trees``' order.
  package struct GreedyResult {
    /// Median output tokens per second of greedy autoregressive decoding.
    package var arTokensPerSecond: Double
    /// One row per tree.
    package var rows: [GreedyRow]
  }

  /// The backbone.
  package let model: LlamaModel
  /// The Medusa heads.
  package let heads: MedusaHeads
  /// The named trees compared with AR.
  package let trees: [(String, MedusaChoices)]
  /// The prompts, token ids.
  package let prompts: [[Int]]
  /// New tokens per run.
  package let newTokens: Int
  /// Runs of every prompt per decoder.
  package let repeats: Int
  /// The threads every decoder runs on.
  package let parallelism: Parallelism

  /// A benchmark of `trees` against AR on `prompts`, `newTokens` new tokens per run, `repeats`
  /// runs of every prompt.
  package init(
    model: LlamaModel, heads: MedusaHeads, trees: [(String, MedusaChoices)], prompts: [[Int]],
    newTokens: Int, repeats: Int, parallelism: Parallelism
  ) {
    self.model = model
    self.heads = heads
    self.trees = trees
    self.prompts = prompts
    self.newTokens = newTokens
    self.repeats = repeats
    self.parallelism = parallelism
  }

  /// The trees compared by default: `shipped` (the heads' own tree) if any, three published
  /// ones, a chain and two small trees (small trees suit CPUs, where a forward of T tokens costs
  /// more than on a GPU).
  package static func defaultTrees(shipped: MedusaChoices?, headCount: Int) throws(TreeError)
    -> [(String, MedusaChoices)]
  {
    var trees: [(String, MedusaChoices)] = []
    if let shipped { trees.append(("default", shipped)) }
    for name in ["mc_sim_7b_63", "vicuna_7b_stage2", "zephyr_stage2"] {
      if let tree = try MedusaChoices.published(name, headCount: headCount) {
        trees.append((name, tree))
      }
    }
    for depth in 1...min(headCount, 3) {
      let chain = (1...depth).map { [Int](repeating: 0, count: $0) }
      trees.append(("chain-\(depth)", try MedusaChoices(paths: chain, headCount: headCount)))
    }
    trees.append(("small-4", try MedusaChoices(paths: [[0], [1], [0, 0]], headCount: headCount)))
    let small8 = [[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0]].filter { $0.count <= headCount }
    trees.append(("small-8", try MedusaChoices(paths: small8, headCount: headCount)))
    return trees
  }

  /// Four fixed prompts of 8, 16, 24 and 32 token ids below `vocabularySize`: the prompts for
  /// a model without a tokenizer.
  package static func syntheticPrompts(vocabularySize: Int) -> [[Int]] {
    (0..<4).map { index in
      (0..<(8 + 8 * index)).map { ($0 * 7919 + 13 * index + 1) % vocabularySize }
    }
  }

  /// Output tokens per decoding step.
  static func tokensPerStep(_ result: GenerationResult) -> Double {
    Double(result.outputIDs.count) / Double(max(result.steps, 1))
  }

  /// The AR decoder and one Medusa decoder per tree, each with the cache the longest prompt
  /// needs for ``newTokens`` new tokens.
  func decoders() throws -> (AutoregressiveDecoder, [MedusaDecoder]) {
    let longest = prompts.map(\.count).max() ?? 1
    let ar = try AutoregressiveDecoder(
      model: model,
      capacity: AutoregressiveDecoder.capacity(promptLength: longest, maxNewTokens: newTokens),
      parallelism: parallelism)
    let decoders = try trees.map { _, choices in
      try MedusaDecoder(
        model: model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: longest, maxNewTokens: newTokens, choices: choices),
        parallelism: parallelism)
    }
    return (ar, decoders)
  }

  /// Greedy AR and greedy Medusa on every tree, interleaved.
  package func greedy() throws -> GreedyResult {
    let stop = StopRule(maxNewTokens: newTokens, stopTokens: [])
    let (ar, decoders) = try decoders()
    var arRates: [Double] = []
    var rates = [[Double]](repeating: [], count: trees.count)
    var perStep = [[Double]](repeating: [], count: trees.count)
    var ratios = [[Double]](repeating: [], count: trees.count)
    for _ in 0..<repeats {
      for prompt in prompts {
        let arRate = try ar.generate(prompt: prompt, stop: stop).outputTokensPerSecond
        arRates.append(arRate)
        for (index, decoder) in decoders.enumerated() {
          let result = try decoder.generate(prompt: prompt, stop: stop)
          let rate = result.outputTokensPerSecond
          rates[index].append(rate)
          perStep[index].append(Self.tokensPerStep(result))
          ratios[index].append(arRate > 0 ? rate / arRate : 0)
        }
      }
    }
    let rows = trees.indices.map { index in
      GreedyRow(
        tree: trees[index].0, nodes: trees[index].1.paths.count + 1,
        tokensPerStep: Statistics.median(perStep[index]),
        tokensPerSecond: Statistics.median(rates[index]),
        speedup: Statistics.median(ratios[index]))
    }
    return GreedyResult(arTokensPerSecond: Statistics.median(arRates), rows: rows)
  }
}

extension GenerationResult {
  /// Output tokens per second of decoding: every output token counts, the prompt does not
  /// (``decodeTokensPerSecond`` counts one token fewer).
  package var outputTokensPerSecond: Double {
    decodeSeconds > 0 ? Double(outputIDs.count) / decodeSeconds : 0
  }
}
