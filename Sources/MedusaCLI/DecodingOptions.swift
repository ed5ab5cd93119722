import Foundation
import Medusa

/// The decoding options of `generate`, `chat` and the default run: which decoder, which
/// verification, when to stop.
struct DecodingOptions {
  enum Decoder {
    case autoregressive
    case medusa(MedusaHeads, MedusaChoices)
  }

  var decoder: Decoder
  var verification: Verification
  var stop: StopRule
  /// Autoregressive sampling's distribution (`--decoder ar --temperature T > 0`), nil for
  /// greedy; the seed is `--seed`.
  var sampling: LogitsProcessor?
  /// `--seed`.
  var seed: UInt64

  /// "medusa" or "ar".
  var decoderName: String {
    if case .medusa = decoder { return "medusa" }
    return "ar"
  }

  /// The options read by ``init(_:bundle:defaultMaxNewTokens:autoregressiveSampling:)``, with
  /// the command's default for `--max-new-tokens`.
  static func options(defaultMaxNewTokens: Int) -> [OptionSpec] {
    [
      .option("decoder", "medusa|ar", "Medusa (default when there are heads) or autoregressive"),
      .option("max-new-tokens", "N", "at most N new tokens (default \(defaultMaxNewTokens))"),
      .flag("ignore-eos", "do not stop at EOS: exactly N tokens"),
      .option(
        "temperature", "T",
        "T > 0: typical acceptance at T (Medusa), or sampling with --sampling or --decoder ar"),
      .option("posterior-threshold", "E", "typical acceptance's epsilon (default 0.09)"),
      .option("posterior-alpha", "D", "typical acceptance's delta (default 0.3)"),
      .option(
        "sampling", "lossless|typical|nucleus",
        "Medusa sampling: lossless (AR sampling's distribution) or the original's biased paths"),
      .option("top-k", "K", "sampling: keep the K most likely tokens (default 0: off)"),
      .option("top-p", "P", "sampling: keep the smallest top set above probability P"),
      .option("min-p", "M", "sampling: keep tokens at least M times as likely as the top one"),
      .option("seed", "S", "the seed of every sampling mode (SplitMix64, default 0)"),
    ]
  }

  /// Reads `--decoder`, `--temperature`, `--posterior-threshold`, `--posterior-alpha`,
  /// `--sampling`, `--top-k`, `--top-p`, `--min-p`, `--seed`, `--max-new-tokens` and
  /// `--ignore-eos`. Autoregressive sampling is accepted only where the caller runs it
  /// (`autoregressiveSampling`); elsewhere `--decoder ar --temperature T` stays an error.
  init(
    _ arguments: inout Arguments, bundle: ModelBundle, defaultMaxNewTokens: Int = 64,
    autoregressiveSampling: Bool = false
  ) throws {
    let requested = arguments.string("decoder")
    switch requested {
    case "ar":
      decoder = .autoregressive
    case "medusa", nil:
      if let heads = bundle.heads, let choices = bundle.choices {
        decoder = .medusa(heads, choices)
      } else if requested == "medusa" {
        throw UsageError("--decoder medusa needs heads: give --heads DIR")
      } else {
        decoder = .autoregressive
      }
    case let other?:
      throw UsageError("--decoder must be medusa or ar, got '\(other)'")
    }
    let temperature = try arguments.double("temperature", default: 0, in: 0...100)
    let threshold = try arguments.double("posterior-threshold", default: 0.09, in: 0...1)
    let alpha = try arguments.double("posterior-alpha", default: 0.3, in: 0...1)
    let samplingName = arguments.string("sampling")
    let givenTopP = arguments.string("top-p") != nil
    let lossless = samplingName == "lossless"
    let autoregressive: Bool
    if case .autoregressive = decoder { autoregressive = true } else { autoregressive = false }
    let sampled = lossless || autoregressive
    let topP = try arguments.double(
      "top-p", default: sampled ? 1 : 0.8, in: 0.000001...1)
    let topK = try arguments.int("top-k", default: 0, in: 0...1_000_000)
    let minP = try arguments.double("min-p", default: 0, in: 0...1)
    let seed = try arguments.int("seed", default: 0, in: 0...Int.max)
    self.seed = UInt64(seed)
    let processor = LogitsProcessor(temperature: temperature, topK: topK, topP: topP, minP: minP)
    if (topK > 0 || minP > 0 || givenTopP) && temperature == 0 {
      throw UsageError("--top-k, --top-p and --min-p need --temperature > 0")
    }
    if (topK > 0 || minP > 0) && !sampled {
      throw UsageError("--top-k and --min-p apply to --sampling lossless and --decoder ar")
    }
    if givenTopP && !sampled && samplingName != "nucleus" {
      throw UsageError("--top-p applies to --sampling lossless|nucleus and --decoder ar")
    }
    let acceptance = TypicalAcceptance(
      temperature: temperature, posteriorThreshold: threshold, posteriorAlpha: alpha)
    sampling = nil
    switch (temperature > 0, samplingName) {
    case (false, nil):
      verification = .greedy
    case (false, _?):
      throw UsageError("--sampling needs --temperature > 0")
    case (true, nil):
      verification = .typical(acceptance)
    case (true, "typical"):
      verification = .typicalSampling(acceptance, seed: UInt64(seed))
    case (true, "nucleus"):
      verification = .nucleus(temperature: temperature, topP: topP, seed: UInt64(seed))
    case (true, "lossless"):
      verification = .lossless(processor, seed: UInt64(seed))
    case (true, let other?):
      throw UsageError("--sampling must be lossless, typical or nucleus, got '\(other)'")
    }
    if temperature > 0, case .autoregressive = decoder {
      guard autoregressiveSampling else {
        throw UsageError(
          "--temperature > 0 with --decoder ar is supported by `medusa generate` only")
      }
      guard samplingName == nil else {
        throw UsageError("--sampling selects a Medusa verification: drop it with --decoder ar")
      }
      sampling = processor
      verification = .greedy
    }
    let maxNewTokens = try arguments.int(
      "max-new-tokens", default: defaultMaxNewTokens, in: 0...1_000_000)
    let ignoreEOS = arguments.flag("ignore-eos")
    stop = StopRule(maxNewTokens: maxNewTokens, stopTokens: ignoreEOS ? [] : bundle.stopTokens)
  }

  /// The JSON description of the sampling mode (`--json`'s `sampling`), nil when greedy.
  var samplingReport: [String: Any]? {
    func processorReport(_ p: LogitsProcessor, mode: String) -> [String: Any] {
      [
        "mode": mode, "temperature": p.temperature, "top_k": p.topK, "top_p": p.topP,
        "min_p": p.minP, "seed": seed, "generator": "SplitMix64",
      ]
    }
    if let sampling { return processorReport(sampling, mode: "autoregressive") }
    switch verification {
    case .greedy: return nil
    case .typical(let a):
      return [
        "mode": "typical", "temperature": a.temperature,
        "posterior_threshold": a.posteriorThreshold, "posterior_alpha": a.posteriorAlpha,
      ]
    case .typicalSampling(let a, let seed):
      return ["mode": "typical-sampling", "temperature": a.temperature, "seed": seed]
    case .nucleus(let temperature, let topP, let seed):
      return ["mode": "nucleus", "temperature": temperature, "top_p": topP, "seed": seed]
    case .lossless(let p, _):
      return processorReport(p, mode: "lossless")
    }
  }
}
