import Foundation
import Llama
import Medusa
import MedusaKernels

/// `medusa bench [--model DIR]`: prefill and decode speed, weight bytes per token, effective
/// bandwidth against this machine's measured read bandwidth (and its triad), the cost of one
/// forward of T tokens relative to T = 1 (the cost of verifying a tree of T candidates), each
/// beside its roofline floor (the measured FMA rate and read bandwidth against the forward's
/// multiply-adds and bytes), and, when the model has Medusa heads, AR against Medusa on several
/// trees (``BenchMedusa``). The measurements are the library's (``MemoryBandwidth``,
/// ``Roofline``, ``ForwardCost``, ``DecoderBenchmark``); this command handles the arguments and
/// prints.
enum BenchCommand {
  /// `medusa bench [options]`.
  static let spec = CommandSpec(
    name: "bench",
    summary:
      "Prefill and decode speed, bandwidth, the cost of a forward of T tokens, and AR against "
      + "Medusa (greedy and sampled) on several trees when the model has heads.",
    options: ModelBundle.options + [
      .option("tokens", "N", "new tokens per run (default 32; Medusa runs decode 2N)"),
      .option(
        "context", "N",
        "decode and the T curve after an N-token context, prefill of N tokens (default 64)"),
      .option("repeats", "N", "repeats of every measurement; medians are reported (default 3)"),
      .flag("json", "print one JSON object"),
      .flag("no-medusa", "skip the AR against Medusa comparisons"),
    ])

  /// Runs `bench` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let bundle = try ModelBundle.load(&arguments, needHeads: true)
    let tokens = try arguments.int("tokens", default: 32, in: 2...4096)
    let repeats = try arguments.int("repeats", default: 3, in: 1...100)
    let context = try arguments.int("context", default: ForwardCost.prefixLength, in: 1...65536)
    let json = arguments.flag("json")
    let skipMedusa = arguments.flag("no-medusa")
    try arguments.finish()

    let model = bundle.model
    let modelURL = model.directory
    let parallelism = bundle.parallelism
    let threads = parallelism.threads
    let bandwidth = MemoryBandwidth.read(threads: threads)
    let triad = MemoryBandwidth.triad(threads: threads)
    let roofline = Roofline(
      bytesPerSecond: bandwidth * 1e9,
      multiplyAddsPerSecond: Roofline.multiplyAddRate(threads: threads))
    let bytes = Double(model.weightBytesPerForward)
    let prompt = (0..<context).map { ($0 * 7919 + 13) % model.config.vocabularySize }

    let capacity = max(
      AutoregressiveDecoder.capacity(promptLength: prompt.count, maxNewTokens: tokens),
      ForwardCost.curveCapacity(prefix: context))
    let decoder = try AutoregressiveDecoder(
      model: model, capacity: capacity, parallelism: parallelism)
    var prefillRates: [Double] = []
    var decodeRates: [Double] = []
    for _ in 0..<repeats {
      let result = try decoder.generate(
        prompt: prompt, stop: StopRule(maxNewTokens: tokens, stopTokens: []))
      prefillRates.append(Double(prompt.count) / result.prefillSeconds)
      decodeRates.append(result.decodeTokensPerSecond)
    }
    let prefillRate = Statistics.median(prefillRates)
    let decodeRate = Statistics.median(decodeRates)
    let effective = bytes * decodeRate / 1e9
    let curve = try ForwardCost.relativeCurve(
      model: model, state: decoder.state, repeats: repeats, prefix: context)
    let prefillFloor = roofline.forward(model, tokens: prompt.count, context: 0, logits: 1)
    let decodeFloor = roofline.forward(model, tokens: 1, context: context + tokens / 2)
    let curveFloors = curve.map { roofline.forward(model, tokens: $0.tokens, context: context) }
    let prefillFraction = prefillFloor.seconds * prefillRate / Double(context)
    let decodeFraction = decodeFloor.seconds * decodeRate

    var medusaLines: [String] = []
    var medusaJSON: [[String: Any]] = []
    if let heads = bundle.heads, !skipMedusa {
      let prompts = try BenchMedusa.prompts(bundle: bundle)
      func benchmark(_ trees: [(String, MedusaChoices)]) -> DecoderBenchmark {
        DecoderBenchmark(
          model: model, heads: heads, trees: trees, prompts: prompts, newTokens: tokens * 2,
          repeats: repeats, parallelism: parallelism)
      }
      let greedy = try benchmark(
        DecoderBenchmark.defaultTrees(shipped: bundle.choices, headCount: heads.headCount)
      ).greedy()
      medusaLines = BenchMedusa.table(greedy)
      medusaJSON = BenchMedusa.json(greedy)
      try BenchSampling.append(
        to: &medusaLines, json: &medusaJSON,
        benchmark: benchmark(
          DecoderBenchmark.samplingTrees(shipped: bundle.choices, headCount: heads.headCount)))
    }
    if json {
      try Output.json([
        "medusa": medusaJSON,
        "model": modelURL.path, "threads": threads, "context_tokens": context,
        "prefill_tokens_per_second": prefillRate,
        "decode_tokens_per_second": decodeRate,
        "weight_bytes_per_token": Int(bytes),
        "effective_gb_per_second": effective,
        "read_gb_per_second": bandwidth,
        "triad_gb_per_second": triad,
        "fraction_of_bandwidth": effective / bandwidth,
        "forward_cost_relative_to_t1": Dictionary(
          uniqueKeysWithValues: curve.map { (String($0.tokens), $0.relative) }),
        "forward_seconds": Dictionary(
          uniqueKeysWithValues: curve.map { (String($0.tokens), $0.seconds) }),
        "multiply_adds_per_second": roofline.multiplyAddsPerSecond,
        "prefill_fraction_of_roofline": prefillFraction,
        "prefill_bound": prefillFloor.bound.rawValue,
        "decode_fraction_of_roofline": decodeFraction,
        "decode_bound": decodeFloor.bound.rawValue,
        "roofline_relative_to_t1": Dictionary(
          uniqueKeysWithValues: zip(curve, curveFloors).map {
            (String($0.tokens), $1.seconds / curve[0].seconds)
          }),
        "roofline_bound": Dictionary(
          uniqueKeysWithValues: zip(curve, curveFloors).map {
            (String($0.tokens), $1.bound.rawValue)
          }),
      ])
      return
    }
    Output.line("model            \(modelURL.lastPathComponent)  (\(threads) thread(s))")
    Output.line(
      String(
        format: "compute          %.1f G multiply-adds/s  (16-lane FMA)",
        roofline.multiplyAddsPerSecond / 1e9))
    Output.line(
      String(
        format: "prefill          %.1f tokens/s  (%d-token prompt; %.0f%% of the roofline, ",
        prefillRate, context, 100 * prefillFraction)
        + "\(prefillFloor.bound.rawValue)-bound)")
    Output.line(
      String(
        format: "decode           %.2f tokens/s  (after it; %.0f%% of the roofline, ",
        decodeRate, 100 * decodeFraction)
        + "\(decodeFloor.bound.rawValue)-bound"
        + (decodeFraction > 1
          ? "; above it: the weights stay in the caches)" : ")"))
    Output.line(String(format: "weights/token    %.1f MB", bytes / 1e6))
    Output.line(String(format: "effective        %.2f GB/s", effective))
    Output.line(
      String(
        format: "read bandwidth   %.2f GB/s  -> decode at %.0f%% of it (triad %.2f GB/s)",
        bandwidth, 100 * effective / bandwidth, triad))
    Output.line(
      "forward cost of T tokens after \(context) relative to T = 1 (floor: the roofline's time "
        + "over T = 1's):")
    for (point, floor) in zip(curve, curveFloors) {
      Output.line(
        String(
          format: "  T = %2d  %6.2fx   floor %6.2fx ", point.tokens, point.relative,
          floor.seconds / curve[0].seconds) + "(\(floor.bound.rawValue))")
    }
    if let first = curveFloors.first, let measured = curve.first, first.seconds > measured.seconds {
      Output.line(
        "  (T = 1 beats its floor: the weights stay in the caches, which read faster than the "
          + "probe's memory)")
    }
    if !medusaLines.isEmpty {
      Output.line("")
      Output.line(
        "AR vs Medusa greedy (medians over prompts and repeats, AR and Medusa interleaved):")
      for line in medusaLines { Output.line(line) }
    }
  }

}
