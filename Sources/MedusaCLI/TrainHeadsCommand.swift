import Foundation
import Llama
import Medusa
import MedusaFormats
import MedusaKernels
import MedusaTraining

/// `medusa train-heads`: Medusa-1 training (paper §2.2.1) of K heads on a frozen backbone from
/// `DATA/sequences.jsonl` (written by `medusa distill`). The backbone's hidden states are
/// computed once (``TrainingExamples``; `--cache FILE` keeps them on disk for later runs); then
/// ``HeadTrainer`` steps with AdamW, warmup + cosine schedule and global-norm clipping. Progress
/// (loss, top-1 accuracy per head over the last window, rows/s, ETA) goes to stderr;
/// checkpoints (``HeadCheckpoint``) to `--out`. `--projection base-lm-head` trains heads that
/// project through the backbone's frozen LM head (``HeadProjection``; ResBlocks only);
/// `--export DIR` writes the finished heads alone (`--export-dtype f16` to ship them small).
enum TrainHeadsCommand {
  /// `medusa train-heads --data DIR --out DIR [options]`.
  static let spec = CommandSpec(
    name: "train-heads",
    summary:
      "Medusa-1 training of K heads on a frozen backbone from DATA/sequences.jsonl "
      + "(medusa distill); checkpoints to --out.",
    options: [
      .option("model", "DIR|FILE", "the backbone (default: the embedded model)"),
      .option("data", "DIR", "a folder with sequences.jsonl", required: true),
      .option("out", "DIR", "the checkpoint folder", required: true),
      .flag("resume", "continue from the checkpoint in --out"),
      .flag(
        "force", "replace an existing checkpoint in --out (unless --resume) and --export folder"),
      .option("heads", "N", "the number of heads K (default 4)"),
      .option("layers", "L", "ResBlocks per head (default 1)"),
      .option(
        "projection", "own|base-lm-head", "own vocabulary projections (default) or the base LM head"
      ),
      .option("steps", "S", "optimizer steps (default 1000)"),
      .option("batch", "ROWS", "rows per step (default 256)"),
      .option("lr", "LR", "peak learning rate (default 1e-3)"),
      .option(
        "warmup", "STEPS", "linear warmup steps before the cosine decay (default: steps / 10)"),
      .option("weight-decay", "W", "AdamW weight decay (default 0)"),
      .option("max-grad-norm", "G", "global-norm clipping (default 1; 0: off)"),
      .option("head-decay", "D", "head k's loss weighted D^k (default 1)"),
      .option("seed", "S", "the seed of the data order (default 0)"),
      .option("save-every", "N", "checkpoint every N steps (default: steps / 10)"),
      .option("log-every", "N", "progress line every N steps (default: steps / 100)"),
      .option("threads", "N", "kernel threads (default: all cores)"),
      .option("cache", "FILE", "keep the backbone's hidden states here for later runs"),
      .option("export", "DIR", "after the last step, write the heads alone here (to ship)"),
      .option("export-dtype", "f32|f16|bf16", "the exported heads' type (default f32)"),
    ])

  /// `--projection`: `own` (the original layout, default) or `base-lm-head`.
  static func projection(_ value: String?) throws -> HeadProjection {
    switch value {
    case nil, "own": return .own
    case "base-lm-head", HeadProjection.baseLanguageModelHead.rawValue:
      return .baseLanguageModelHead
    case let other?:
      throw UsageError("--projection '\(other)' is not own or base-lm-head")
    }
  }

  /// `--export-dtype`: f32, f16 or bf16.
  static func exportType(_ value: String?) throws -> TensorDType {
    switch value?.lowercased() {
    case nil, "f32": return .f32
    case "f16": return .f16
    case "bf16": return .bf16
    case let other?: throw UsageError("--export-dtype '\(other)' is not f32, f16 or bf16")
    }
  }

  /// Runs `train-heads` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let modelURL = try ModelLocator.model(arguments.string("model"))
    guard let dataPath = arguments.string("data"), let outPath = arguments.string("out") else {
      throw UsageError("give --data DIR and --out DIR")
    }
    let heads = try arguments.int("heads", default: 4, in: 1...64)
    let layers = try arguments.int("layers", default: 1, in: 0...64)
    let projection = try projection(arguments.string("projection"))
    let steps = try arguments.int("steps", default: 1000, in: 1...100_000_000)
    var options = HeadTrainingOptions(
      steps: steps, batchRows: try arguments.int("batch", default: 256, in: 1...1_000_000),
      learningRate: Float(try arguments.double("lr", default: 1e-3, in: 0...10)),
      warmupSteps: try arguments.int("warmup", default: steps / 10, in: 0...steps),
      weightDecay: Float(try arguments.double("weight-decay", default: 0, in: 0...10)),
      maxGradientNorm: try arguments.double("max-grad-norm", default: 1, in: 0...1e9),
      headDecay: Float(try arguments.double("head-decay", default: 1, in: 0...1)))
    options.seed = UInt64(try arguments.int("seed", default: 0, in: 0...Int.max))
    let resume = arguments.flag("resume")
    let force = arguments.flag("force")
    let saveEvery = try arguments.int("save-every", default: max(1, steps / 10), in: 1...Int.max)
    let logEvery = try arguments.int("log-every", default: max(1, steps / 100), in: 1...Int.max)
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let cachePath = arguments.string("cache")
    let exportPath = arguments.string("export")
    let exportDType = try exportType(arguments.string("export-dtype"))
    try arguments.finish()
    let out = URL(fileURLWithPath: outPath)
    let resumable = try HeadCheckpoint.prepare(out, resume: resume, force: force)
    if let exportPath {
      try HeadCheckpoint.checkExportTarget(URL(fileURLWithPath: exportPath), force: force)
    }

    let parallelism = Parallelism(threads: threads)
    let model = try ModelLocator.load(modelURL)
    let config = model.config
    let dataURL = URL(fileURLWithPath: dataPath).appendingPathComponent(DistilledSequence.fileName)
    let sequences = try DistilledSequence.read(dataURL, vocabulary: config.vocabularySize)
    let examples = try hiddenStates(
      model: model, sequences: sequences, dataURL: dataURL, heads: heads, cache: cachePath,
      parallelism: parallelism)
    let shape = HeadShape(
      heads: heads, layers: layers, hidden: config.hiddenSize, vocabulary: config.vocabularySize,
      projection: projection)
    let trainer = try HeadTrainer(
      shape: shape, options: options, examples: examples,
      parameters: shape.initialParameters(languageModelHead: model.languageModelHead),
      parallelism: parallelism,
      languageModelHead: projection == .own ? nil : model.languageModelHead)
    Output.error(
      "\(shape.parameterCount) trainable parameters (\(heads) heads x \(layers) ResBlocks, "
        + (projection == .own
          ? "own \(config.vocabularySize)x\(config.hiddenSize) projections)"
          : "projection: the base model's \(model.languageModelHead.type.name) LM head, frozen)"))
    if resumable {
      let step = try HeadCheckpoint.restore(trainer, from: out)
      Output.error("resuming after step \(step)")
    }
    try loop(trainer, steps: steps, logEvery: logEvery, saveEvery: saveEvery) {
      try HeadCheckpoint.save(trainer, to: out, baseModel: modelURL.path)
    }
    Output.line(
      "wrote \(heads) heads to \(out.appendingPathComponent(HeadCheckpoint.headsFile).path)")
    if let exportPath {
      let folder = URL(fileURLWithPath: exportPath)
      try HeadCheckpoint.export(
        trainer, to: folder, baseModel: modelURL.lastPathComponent, dtype: exportDType,
        replacing: force)
      Output.line(
        "exported the heads (\(exportDType.rawValue)) to "
          + folder.appendingPathComponent(HeadCheckpoint.headsFile).path)
    }
  }

  /// The training rows: read from `--cache FILE` when it was made from the same model, data
  /// and head count (a fingerprint with an FNV-1a 64 hash of the data file), else computed by
  /// the backbone and, with `--cache`, saved there.
  static func hiddenStates(
    model: LlamaModel, sequences: [DistilledSequence], dataURL: URL, heads: Int, cache: String?,
    parallelism: Parallelism
  ) throws -> TrainingExamples {
    let start = Date()
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in try Data(contentsOf: dataURL) { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    let fingerprint =
      "model=\((model.ggufFile ?? model.directory).standardizedFileURL.path) heads=\(heads) "
      + "data-fnv1a64=\(String(hash, radix: 16))"
    let cacheURL = cache.map { URL(fileURLWithPath: $0) }
    if let cacheURL,
      let cached = try TrainingExamples.cached(
        at: cacheURL, fingerprint: fingerprint, heads: heads, hiddenSize: model.config.hiddenSize)
    {
      Output.error("\(cached.rows) training rows from \(cacheURL.path)")
      return cached
    }
    let examples = try TrainingExamples.build(
      model: model, sequences: sequences, heads: heads, parallelism: parallelism
    ) { done, total in
      guard done % max(1, total / 20) == 0 || done == total else { return }
      FileHandle.standardError.write(Data("\rhidden states \(done)/\(total) sequences".utf8))
    }
    Output.error(
      String(
        format: "\n%d training rows from %d sequences (%.1f s)", examples.rows, sequences.count,
        Date().timeIntervalSince(start)))
    if let cacheURL { try examples.write(to: cacheURL, fingerprint: fingerprint) }
    return examples
  }

  /// Steps until `steps`, logging every `logEvery` steps and saving every `saveEvery` and at
  /// the end.
  static func loop(
    _ trainer: HeadTrainer, steps: Int, logEvery: Int, saveEvery: Int, save: () throws -> Void
  ) throws {
    let heads = trainer.shape.heads
    var correct = [Int](repeating: 0, count: heads)
    var counted = [Int](repeating: 0, count: heads)
    var lossSum = 0.0
    var window = 0
    let first = trainer.completedSteps
    let start = Date()
    while trainer.completedSteps < steps {
      let report = trainer.step()
      lossSum += report.loss
      window += 1
      for k in 0..<heads {
        correct[k] += trainer.workspace.headCorrect(k)
        counted[k] += trainer.workspace.headTargetCount(k)
      }
      let step = report.step
      if step % logEvery == 0 || step == steps {
        let seconds = Date().timeIntervalSince(start)
        let rows = Double((step - first) * trainer.options.batchRows) / max(seconds, 1e-9)
        let eta = seconds / Double(step - first) * Double(steps - step)
        let accuracy = (0..<heads).map {
          String(format: "%.3f", Double(correct[$0]) / Double(max(1, counted[$0])))
        }
        Output.error(
          "step \(step)/\(steps)  "
            + String(format: "loss %.4f", lossSum / Double(window))
            + "  top-1 [\(accuracy.joined(separator: " "))]  "
            + String(
              format: "lr %.2e  |g| %.3f  %.0f rows/s", Double(report.learningRate),
              report.gradientNorm, rows) + "  ETA \(clock(eta))")
        correct = [Int](repeating: 0, count: heads)
        counted = correct
        lossSum = 0
        window = 0
      }
      if step % saveEvery == 0 || step == steps { try save() }
    }
  }

  /// `seconds` as `h:mm:ss` or `m:ss`.
  static func clock(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    return s >= 3600
      ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
      : String(format: "%d:%02d", s / 60, s % 60)
  }
}
