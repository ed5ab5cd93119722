import Foundation
import Llama
import Medusa
import MedusaConformance
import MedusaKernels
import MedusaTokenizer

/// `medusa generate`: decode after a prompt (token ids or text) with Medusa or
/// autoregressively; stream text, print ids, or one JSON object with `--json` (the stable
/// interface for other backends).
enum GenerateCommand {
  /// `--max-new-tokens` when not given.
  static let defaultMaxNewTokens = 64

  /// `medusa generate [options] [TEXT]`.
  static let spec = CommandSpec(
    name: "generate",
    summary:
      "Decode after a prompt (--prompt-ids, TEXT, or stdin) with Medusa or autoregressively; "
      + "stream text, or print one JSON object with --json.",
    operands: "[TEXT]",
    options: ModelBundle.options + DecodingOptions.options(defaultMaxNewTokens: defaultMaxNewTokens)
      + Prompt.options + [
        .flag("json", "print one JSON object (output ids, stats, steps) instead of streaming"),
        .flag("trace", "print every step's tree on stderr, the accepted path marked *"),
        .flag("verify", "check every step against one-token-at-a-time decoding first (slow)"),
      ])

  /// Runs `generate` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let options = try DecodingOptions(
      &arguments, bundle: bundle, defaultMaxNewTokens: defaultMaxNewTokens,
      autoregressiveSampling: true)
    let json = arguments.flag("json")
    let trace = arguments.flag("trace")
    let verify = arguments.flag("verify")
    let prompt = try Prompt.ids(&arguments, tokenizer: bundle.tokenizer)
    try arguments.finish()

    let printer = TokenPrinter(
      tokenizer: json ? nil : bundle.tokenizer, idsOnly: prompt.text == nil, context: prompt.ids)
    let result: GenerationResult
    switch options.decoder {
    case .autoregressive:
      let decoder = try AutoregressiveDecoder(
        model: bundle.model,
        capacity: AutoregressiveDecoder.capacity(
          promptLength: prompt.ids.count, maxNewTokens: options.stop.maxNewTokens),
        parallelism: bundle.parallelism)
      result = try decoder.generate(
        prompt: prompt.ids, stop: options.stop, sampling: options.sampling, seed: options.seed
      ) {
        if !json { printer.stream($0) }
      }
    case .medusa(let heads, let choices):
      let decoder = try MedusaDecoder(
        model: bundle.model, heads: heads, choices: choices,
        capacity: MedusaDecoder.capacity(
          promptLength: prompt.ids.count, maxNewTokens: options.stop.maxNewTokens,
          choices: choices),
        parallelism: bundle.parallelism)
      if verify {
        switch options.verification {
        case .greedy, .typical: break
        default:
          throw UsageError(
            "--verify compares tree candidates with an argmax root: use it without --sampling")
        }
        let report = try MedusaSelfCheck.run(
          decoder: decoder, prompt: prompt.ids, stop: options.stop,
          verification: options.verification)
        Output.error("medusa: verify: \(report)")
        guard report.passed else { throw UsageError("verify failed: \(report)") }
      }
      result = try decoder.generate(
        prompt: prompt.ids, stop: options.stop, verification: options.verification,
        recordSteps: json || trace
      ) {
        if !json { printer.stream($0) }
      }
      if trace {
        for (index, step) in result.medusaSteps.enumerated() {
          Output.error(
            TraceRenderer.render(step: step, index: index, tree: decoder.tree, printer: printer))
        }
      }
    }
    if json {
      try Output.json(report(result, prompt: prompt.ids, options: options))
    } else {
      printer.finish()
      Output.error(Summary.line(result))
    }
  }

  /// The `--json` object: `output_ids`, `stats`, `sampling` when sampled and, for Medusa,
  /// `steps` (with `root_draw` and `trials` in lossless sampling).
  static func report(_ result: GenerationResult, prompt: [Int], options: DecodingOptions)
    -> [String: Any]
  {
    var object: [String: Any] = [
      "output_ids": result.outputIDs,
      "prompt_tokens": prompt.count,
      "decoder": options.decoderName,
      "stats": Summary.statistics(result),
    ]
    if let sampling = options.samplingReport { object["sampling"] = sampling }
    if case .medusa = options.decoder {
      object["steps"] = result.medusaSteps.map { step -> [String: Any] in
        var record: [String: Any] = [
          "tree_candidates": step.treeCandidates,
          "candidates": step.candidates,
          "best_candidate": step.bestCandidate,
          "accept_length": step.acceptLength,
          "tokens": step.tokens,
        ]
        if let trace = step.sampling { record.merge(samplingFields(trace)) { $1 } }
        return record
      }
    }
    return object
  }

  /// A lossless step's random decisions: `root_draw {token, excluded, uniform}` and
  /// `trials [{node, token, probability, uniform, accepted}]` in draw order.
  static func samplingFields(_ trace: LosslessStepTrace) -> [String: Any] {
    [
      "root_draw": [
        "token": trace.root.token, "excluded": trace.root.excluded,
        "uniform": trace.root.uniform,
      ] as [String: Any],
      "trials": trace.trials.map { trial -> [String: Any] in
        [
          "node": trial.node, "token": trial.token, "probability": trial.probability,
          "uniform": trial.uniform, "accepted": trial.accepted,
        ]
      },
    ]
  }
}
