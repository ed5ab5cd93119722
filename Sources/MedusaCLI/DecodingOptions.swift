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

  /// "medusa" or "ar".
  var decoderName: String {
    if case .medusa = decoder { return "medusa" }
    return "ar"
  }

  /// Reads `--decoder`, `--temperature`, `--posterior-threshold`, `--posterior-alpha`,
  /// `--sampling`, `--top-p`, `--seed`, `--max-new-tokens` and `--ignore-eos`.
  init(_ arguments: inout Arguments, bundle: ModelBundle, defaultMaxNewTokens: Int = 64) throws {
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
    let sampling = arguments.string("sampling")
    let topP = try arguments.double("top-p", default: 0.8, in: 0.000001...1)
    let seed = try arguments.int("seed", default: 0, in: 0...Int.max)
    let acceptance = TypicalAcceptance(
      temperature: temperature, posteriorThreshold: threshold, posteriorAlpha: alpha)
    switch (temperature > 0, sampling) {
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
    case (true, let other?):
      throw UsageError("--sampling must be typical or nucleus, got '\(other)'")
    }
    if temperature > 0, case .autoregressive = decoder {
      throw UsageError("--temperature > 0 selects a Medusa acceptance rule: use --decoder medusa")
    }
    let maxNewTokens = try arguments.int(
      "max-new-tokens", default: defaultMaxNewTokens, in: 0...1_000_000)
    let ignoreEOS = arguments.flag("ignore-eos")
    stop = StopRule(maxNewTokens: maxNewTokens, stopTokens: ignoreEOS ? [] : bundle.stopTokens)
  }
}
