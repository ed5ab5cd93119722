import Foundation
import Llama
import Medusa
import MedusaKernels
import MedusaTraining

/// `medusa train-medusa2`: Medusa-2 training (paper §2.2.2) of the backbone and the heads
/// together from `DATA/sequences.jsonl` (the model's own replies, `medusa distill`), with
/// ``Medusa2Trainer``: AdamW per parameter group (the heads' matrices at `--lr` times
/// `--head-lr-multiplier`), warmup + cosine schedule, global-norm clipping, the backbone's term
/// self-distillation (`kl`, default) or cross-entropy (`ce`), optionally after
/// `--heads-only-steps` of Medusa-1 warmup. The initial heads are `--heads DIR`, else
/// `MODEL/medusa`, else heads inside the model folder, else the original's initialisation.
/// Progress goes to stderr; checkpoints (``Medusa2Checkpoint``, a whole model folder with its
/// heads, loadable by `--model OUT`) to `--out`.
enum TrainMedusa2Command {
  /// `medusa train-medusa2 --model DIR --data DIR --out DIR [options]`.
  static let spec = CommandSpec(
    name: "train-medusa2",
    summary:
      "Medusa-2 training of the backbone and the heads together from DATA/sequences.jsonl "
      + "(medusa distill); checkpoints, whole models with heads, to --out.",
    options: [
      .option("model", "DIR", "the base model: a Hugging Face folder", required: true),
      .option("data", "DIR", "a folder with sequences.jsonl", required: true),
      .option("out", "DIR", "the checkpoint folder (a model folder with heads)", required: true),
      .option(
        "heads", "DIR",
        "initial Medusa-1 heads (default: MODEL/medusa, else heads inside MODEL, else fresh)"),
      .flag("resume", "continue from the checkpoint in --out"),
      .flag("force", "replace an existing checkpoint in --out"),
      .option("steps", "S", "optimizer steps, heads-only steps included (default 200)"),
      .option("batch", "SEQUENCES", "sequences per step (default 8)"),
      .option("lr", "LR", "peak learning rate of the backbone (default 1e-4)"),
      .option("head-lr-multiplier", "M", "the heads' matrices learn at LR x M (default 4)"),
      .option(
        "warmup", "STEPS", "linear warmup steps before the cosine decay (default: steps / 10)"),
      .option("weight-decay", "W", "AdamW weight decay of matrices (default 0)"),
      .option("max-grad-norm", "G", "global-norm clipping (default 1; 0: off)"),
      .option("heads-coefficient", "C", "the heads' loss weight lambda_0 (default 0.2)"),
      .option("decay-coefficient", "D", "head k's loss weighted C * D^k (default 0.8)"),
      .option(
        "backbone-loss", "kl|ce",
        "the backbone's term: self-distillation from the original (default) or cross-entropy"),
      .option("heads-only-steps", "N", "first train the heads alone for N steps (default 0)"),
      .option("seed", "S", "the seed of the data order (default 0)"),
      .option("save-every", "N", "checkpoint every N steps (default: steps / 10)"),
      .option("log-every", "N", "progress line every N steps (default: steps / 100)"),
      .option("threads", "N", "kernel threads (default: all cores)"),
      .option("num-heads", "K", "without initial heads: the number of heads (default 4)"),
      .option("layers", "L", "without initial heads: ResBlocks per head (default 1)"),
    ])

  /// `--backbone-loss`: `kl` (default) or `ce`.
  static func backboneLoss(_ value: String?) throws -> Medusa2Options.BackboneLoss {
    guard let value else { return .selfDistillation }
    guard let loss = Medusa2Options.BackboneLoss(rawValue: value.lowercased()) else {
      throw UsageError("--backbone-loss '\(value)' is not kl or ce")
    }
    return loss
  }

  /// Runs `train-medusa2` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    guard let modelPath = arguments.string("model"), let dataPath = arguments.string("data"),
      let outPath = arguments.string("out")
    else {
      throw UsageError("give --model DIR, --data DIR and --out DIR")
    }
    let headsPath = arguments.string("heads")
    let steps = try arguments.int("steps", default: 200, in: 1...100_000_000)
    let options = Medusa2Options(
      steps: steps, batchSequences: try arguments.int("batch", default: 8, in: 1...1_000_000),
      learningRate: Float(try arguments.double("lr", default: 1e-4, in: 0...10)),
      headLearningRateMultiplier: Float(
        try arguments.double("head-lr-multiplier", default: 4, in: 0...1e6)),
      warmupSteps: try arguments.int("warmup", default: steps / 10, in: 0...steps),
      weightDecay: Float(try arguments.double("weight-decay", default: 0, in: 0...10)),
      maxGradientNorm: try arguments.double("max-grad-norm", default: 1, in: 0...1e9),
      headsCoefficient: Float(try arguments.double("heads-coefficient", default: 0.2, in: 0...1e6)),
      decayCoefficient: Float(try arguments.double("decay-coefficient", default: 0.8, in: 0...1)),
      backboneLoss: try backboneLoss(arguments.string("backbone-loss")),
      headsOnlySteps: try arguments.int("heads-only-steps", default: 0, in: 0...steps),
      seed: UInt64(try arguments.int("seed", default: 0, in: 0...Int.max)))
    let resume = arguments.flag("resume")
    let force = arguments.flag("force")
    let saveEvery = try arguments.int("save-every", default: max(1, steps / 10), in: 1...Int.max)
    let logEvery = try arguments.int("log-every", default: max(1, steps / 100), in: 1...Int.max)
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let numHeads =
      arguments.has("num-heads") ? try arguments.int("num-heads", default: 4, in: 1...64) : nil
    let layers = arguments.has("layers") ? try arguments.int("layers", default: 1, in: 0...64) : nil
    try arguments.finish()
    guard !(resume && force) else { throw UsageError("give --resume or --force, not both") }

    let modelURL = URL(fileURLWithPath: modelPath)
    if try LlamaModel.ggufFile(at: modelURL) != nil {
      throw UsageError(
        "--model \(modelPath): Medusa-2 trains the backbone and writes a safetensors checkpoint "
          + "of it; give a Hugging Face model folder (config.json + safetensors), not a GGUF file")
    }
    let out = URL(fileURLWithPath: outPath)
    func same(_ a: URL, _ b: URL) -> Bool {
      a.standardizedFileURL.resolvingSymlinksInPath().path
        == b.standardizedFileURL.resolvingSymlinksInPath().path
    }
    let given = headsPath.map { URL(fileURLWithPath: $0) }
    guard !same(out, modelURL), !(given.map { same(out, $0) } ?? false) else {
      throw UsageError("--out \(outPath) must be a folder of its own, not --model or --heads")
    }
    let resumable = try Medusa2Checkpoint.prepare(out, resume: resume, force: force)

    let parallelism = Parallelism(threads: threads)
    let model = try LlamaModel(
      directory: modelURL, ignoredPrefixes: [MedusaHeads.fullCheckpointPrefix])
    let config = model.config
    let dataURL = URL(fileURLWithPath: dataPath).appendingPathComponent(DistilledSequence.fileName)
    let sequences = try DistilledSequence.read(dataURL, vocabulary: config.vocabularySize)
    let (headsURL, shape, initial) = try initialHeads(
      given: given, model: model, numHeads: numHeads, layers: layers,
      headsOnlySteps: options.headsOnlySteps)
    let trainer = try Medusa2Trainer(
      model: model, headShape: shape, initialHeads: initial, options: options, data: sequences,
      parallelism: parallelism)
    Output.error(
      "\(trainer.layout.parameterCount) backbone + \(shape.parameterCount) head parameters "
        + "(\(shape.heads) heads x \(shape.layers) ResBlocks), \(sequences.count) sequences, "
        + "backbone loss \(options.backboneLoss.rawValue)")
    if resumable {
      let step = try Medusa2Checkpoint.restore(trainer, from: out)
      Output.error("resuming after step \(step)")
    }
    let replies = sequences.filter { !$0.outputIDs.isEmpty }
    let meanTokens =
      Double(replies.reduce(0) { $0 + $1.tokens.count }) / Double(max(replies.count, 1))
    try loop(trainer, logEvery: logEvery, saveEvery: saveEvery, meanTokens: meanTokens) {
      try Medusa2Checkpoint.save(trainer, to: out, baseModel: modelURL, heads: headsURL)
    }
    Output.line(
      "wrote the Medusa-2 model (step \(trainer.completedSteps)) to \(out.path); "
        + "medusa --model \(out.path) decodes with its heads")
  }

  /// The initial heads: `--heads DIR`, else `MODEL/medusa`, else heads inside the model folder
  /// (loaded, widened to `f32`), else the original's initialisation of `--num-heads` heads of
  /// `--layers` ResBlocks. Returns the folder they came from, their shape and weights.
  static func initialHeads(
    given: URL?, model: LlamaModel, numHeads: Int?, layers: Int?, headsOnlySteps: Int
  ) throws -> (URL?, HeadShape, TrainingBuffer) {
    var folder = given
    var heads: MedusaHeads? = nil
    if let given {
      heads = try MedusaHeads.load(directory: given, model: model)
    } else {
      let nested = model.directory.appendingPathComponent("medusa")
      if FileManager.default.fileExists(atPath: nested.path) {
        folder = nested
        heads = try MedusaHeads.load(directory: nested, model: model)
      } else if let inside = try ModelBundle.headsIfPresent(model.directory, model: model) {
        folder = model.directory
        heads = inside
      }
    }
    guard let heads, let folder else {
      let shape = HeadShape(
        heads: numHeads ?? 4, layers: layers ?? 1, hidden: model.config.hiddenSize,
        vocabulary: model.config.vocabularySize)
      Output.error(
        "no initial heads: \(shape.heads) heads start as the original's initialisation"
          + (headsOnlySteps == 0 ? " (consider --heads-only-steps to train them first)" : ""))
      return (nil, shape, shape.initialParameters(languageModelHead: model.languageModelHead))
    }
    for note in heads.notes { Output.error("medusa: note: \(note)") }
    let (shape, weights) = try heads.masterWeights()
    if let numHeads, numHeads != shape.heads {
      throw UsageError("--num-heads \(numHeads), but \(folder.path) holds \(shape.heads) heads")
    }
    if let layers, layers != shape.layers {
      throw UsageError("--layers \(layers), but \(folder.path) holds \(shape.layers) per head")
    }
    Output.error("initial heads from \(heads.origin)")
    return (folder, shape, weights)
  }

  /// Steps until the trainer's last step, logging every `logEvery` steps (means over the
  /// window; tokens/s counts `meanTokens` per sequence) and saving every `saveEvery` and at the
  /// end.
  static func loop(
    _ trainer: Medusa2Trainer, logEvery: Int, saveEvery: Int, meanTokens: Double,
    save: () throws -> Void
  ) throws {
    let steps = trainer.options.steps
    let k = trainer.headShape.heads
    var total = 0.0
    var backbone = 0.0
    var heads = [Double](repeating: 0, count: k)
    var window = 0
    let first = trainer.completedSteps
    let start = Date()
    while trainer.completedSteps < steps {
      let report = trainer.step()
      total += report.loss.total
      backbone += report.loss.backbone
      for (index, loss) in report.loss.heads.enumerated() where index < k { heads[index] += loss }
      window += 1
      let step = report.step
      if step % logEvery == 0 || step == steps {
        let seconds = Date().timeIntervalSince(start)
        let tokens =
          Double((step - first) * trainer.options.batchSequences) * meanTokens / max(seconds, 1e-9)
        let eta = seconds / Double(step - first) * Double(steps - step)
        let n = Double(window)
        let perHead = heads.map { String(format: "%.3f", $0 / n) }.joined(separator: " ")
        Output.error(
          "step \(step)/\(steps)" + (report.trainedBackbone ? "" : " (heads only)")
            + String(format: "  loss %.4f  backbone %.4f", total / n, backbone / n)
            + "  heads [\(perHead)]  "
            + String(
              format: "lr x%.3f  |g| %.3f  %.0f tokens/s", Double(report.scheduleFactor),
              report.gradientNorm, tokens) + "  ETA \(TrainHeadsCommand.clock(eta))")
        total = 0
        backbone = 0
        heads = [Double](repeating: 0, count: k)
        window = 0
      }
      if step % saveEvery == 0 || step == steps { try save() }
    }
  }
}
