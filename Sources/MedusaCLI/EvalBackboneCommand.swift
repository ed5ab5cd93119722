import Foundation
import Llama
import Medusa
import MedusaKernels
import MedusaTraining

/// `medusa eval-backbone`: how far a backbone trained with Medusa-2 moved from the original
/// (``BackboneQuality``) on held-out sequences: both perplexities over the reply tokens, the
/// mean KL(reference ‖ model) of the next-token distributions and the top-1 agreement.
enum EvalBackboneCommand {
  /// `medusa eval-backbone --model DIR --reference DIR --data DIR [options]`.
  static let spec = CommandSpec(
    name: "eval-backbone",
    summary:
      "Perplexity, KL from the reference and top-1 agreement of a trained backbone "
      + "(medusa train-medusa2) over the replies of DATA/sequences.jsonl.",
    options: [
      .option(
        "model", "DIR|FILE", "the trained model (e.g. the --out of train-medusa2)", required: true),
      .option("reference", "DIR|FILE", "the original model", required: true),
      .option("data", "DIR", "a folder with sequences.jsonl (held out)", required: true),
      .option("max-sequences", "N", "use the first N sequences only"),
      .flag("json", "print one JSON object"),
      .option("threads", "N", "kernel threads (default: all cores)"),
    ])

  /// Runs `eval-backbone` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    guard let modelPath = arguments.string("model"),
      let referencePath = arguments.string("reference"), let dataPath = arguments.string("data")
    else {
      throw UsageError("give --model DIR, --reference DIR and --data DIR")
    }
    let maxSequences = try arguments.int("max-sequences", default: Int.max, in: 1...Int.max)
    let json = arguments.flag("json")
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    try arguments.finish()

    let ignored = [MedusaHeads.fullCheckpointPrefix]
    let trained = try LlamaModel(path: URL(fileURLWithPath: modelPath), ignoredPrefixes: ignored)
    let reference = try LlamaModel(
      path: URL(fileURLWithPath: referencePath), ignoredPrefixes: ignored)
    let dataURL = URL(fileURLWithPath: dataPath).appendingPathComponent(DistilledSequence.fileName)
    let sequences = Array(
      try DistilledSequence.read(dataURL, vocabulary: trained.config.vocabularySize)
        .prefix(maxSequences))
    let quality = try BackboneQuality.measure(
      trained: trained, original: reference, data: sequences,
      parallelism: Parallelism(threads: threads))
    if json {
      try Output.json([
        "model": modelPath, "reference": referencePath, "sequences": sequences.count,
        "positions": quality.positions, "perplexity": quality.perplexity,
        "reference_perplexity": quality.originalPerplexity, "kl": quality.kl,
        "top1_agreement": quality.top1Agreement,
      ])
      return
    }
    Output.line("\(sequences.count) sequences, \(quality.positions) reply positions")
    Output.line(
      String(
        format: "perplexity %.4f (reference %.4f)", quality.perplexity, quality.originalPerplexity))
    Output.line(String(format: "KL(reference || model) %.6f nats per position", quality.kl))
    Output.line(String(format: "top-1 agreement %.4f", quality.top1Agreement))
  }
}
