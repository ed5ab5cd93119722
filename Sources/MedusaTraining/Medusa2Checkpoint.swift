import Foundation
import Llama
import Medusa
import MedusaFormats

/// A Medusa-2 training checkpoint (``Medusa2Trainer``): one step's files saved and replaced as
/// one atomic set, in the folder layout of ``CheckpointFolder`` (a `current` link to the step's
/// folder, every file also linked at the top level, so that `OUT` reads as a model folder):
/// - `model.safetensors`: every backbone tensor under its Hugging Face name and the heads as
///   `medusa_head.{k}.{l}.linear.weight` `[H][H]`, `medusa_head.{k}.{l}.linear.bias` `[H]`,
///   `medusa_head.{k}.{L}.weight` `[V][H]`, all `F32` master weights; metadata `format: pt` and
///   `step`. It loads as a model with heads inside (``MedusaHeads/fullCheckpointPrefix``);
/// - `config.json`: the base model's, keys in its order, with `medusa_num_heads` and
///   `medusa_num_layers` added and `dtype`/`torch_dtype` set to `float32` where present;
/// - `optimizer.safetensors`: AdamW's `exp_avg.{name}` and `exp_avg_sq.{name}` for every tensor
///   of `model.safetensors`; metadata `step`;
/// - copies of the base model's `tokenizer.json`, `tokenizer_config.json`,
///   `special_tokens_map.json`, `generation_config.json` and of the initial heads'
///   `medusa_choices.json`, each when it exists;
/// - `trainer_state.json`: `step`, every option, the heads' shape and `base_model`, written last.
/// A resume checks that the three `step`s agree.
public enum Medusa2Checkpoint {
  /// The weights' file name (backbone and heads).
  public static let modelFile = TensorStore.singleFileName
  /// The optimizer state's file name.
  public static let optimizerFile = HeadCheckpoint.optimizerFile
  /// The trainer state's file name.
  public static let stateFile = HeadCheckpoint.stateFile
  /// Files of the base model folder copied into each step when they exist.
  public static let copiedModelFiles = [
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
    "generation_config.json",
  ]
  /// The tree file copied from the initial heads' folder when it exists.
  public static let choicesFile = "medusa_choices.json"

  /// Every file a step may hold.
  static let files =
    [modelFile, "config.json", optimizerFile, stateFile] + copiedModelFiles + [choicesFile]

  /// The checkpoint folder at `directory`.
  static func folder(_ directory: URL) -> CheckpointFolder {
    CheckpointFolder(url: directory, files: files)
  }

  /// Checks what may be done with the checkpoint folder `directory` before a run writes into it,
  /// as ``HeadCheckpoint/prepare(_:resume:force:)`` does: a checkpoint there is continued with
  /// `resume` (after removing what interrupted saves left), replaced at the first save with
  /// `force`, otherwise refused. Returns whether there is a checkpoint to ``restore(_:from:)``.
  public static func prepare(_ directory: URL, resume: Bool, force: Bool) throws(TrainingError)
    -> Bool
  {
    try folder(directory).prepare(
      resume: resume, force: force, holding: "a training checkpoint or model files")
  }

  /// Saves the trainer's weights and state as the new current step of the checkpoint folder
  /// `directory` (created if needed), replacing the previous step in one atomic switch.
  /// `baseModel` is the Hugging Face folder the run started from (its config.json and
  /// tokenizer files are copied); `heads` the initial heads' folder, if any (its
  /// `medusa_choices.json` is copied).
  public static func save(
    _ trainer: Medusa2Trainer, to directory: URL, baseModel: URL, heads: URL? = nil
  ) throws(TrainingError) {
    var budget = WriteBudget()
    try save(trainer, to: directory, baseModel: baseModel, heads: heads, budget: &budget)
  }

  /// ``save(_:to:baseModel:heads:)`` with every filesystem operation counted by `budget`.
  static func save(
    _ trainer: Medusa2Trainer, to directory: URL, baseModel: URL, heads: URL? = nil,
    budget: inout WriteBudget
  ) throws(TrainingError) {
    let step = String(trainer.completedSteps)
    let backbone = backboneEntries(trainer.layout)
    let head = headEntries(trainer.headShape)
    let config = try configText(
      baseModel.appendingPathComponent("config.json"), shape: trainer.headShape)
    var copies = copiedModelFiles.map { baseModel.appendingPathComponent($0) }
    if let heads { copies.append(heads.appendingPathComponent(choicesFile)) }
    copies = copies.filter { FileManager.default.fileExists(atPath: $0.path) }
    do {
      try folder(directory).commit(step: trainer.completedSteps, budget: &budget) {
        folder, budget in
        let optimizer = folder.appendingPathComponent(optimizerFile)
        try budget.next(optimizer)
        try SafetensorsWriter.write(
          tensors(backbone, trainer.backboneMoments.first, prefix: "exp_avg.")
            + tensors(head, trainer.headMoments.first, prefix: "exp_avg.")
            + tensors(backbone, trainer.backboneMoments.second, prefix: "exp_avg_sq.")
            + tensors(head, trainer.headMoments.second, prefix: "exp_avg_sq."),
          metadata: ["step": step], to: optimizer)
        let model = folder.appendingPathComponent(modelFile)
        try budget.next(model)
        try SafetensorsWriter.write(
          tensors(backbone, trainer.backbone, prefix: "")
            + tensors(head, trainer.heads, prefix: ""),
          metadata: ["format": "pt", "step": step], to: model)
        try budget.next(folder.appendingPathComponent("config.json"))
        try AtomicFile.replace(
          [Array(config.utf8)], to: folder.appendingPathComponent("config.json"))
        for source in copies {
          let target = folder.appendingPathComponent(source.lastPathComponent)
          try budget.next(target)
          try AtomicFile.replace([Array(try Data(contentsOf: source))], to: target)
        }
        try budget.next(folder.appendingPathComponent(stateFile))
        try HeadCheckpoint.writeJSON(
          state(trainer, baseModel: baseModel), to: folder.appendingPathComponent(stateFile))
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: directory.path, reason: "\(error)")
    }
  }

  /// The contents of `trainer_state.json`.
  static func state(_ trainer: Medusa2Trainer, baseModel: URL) -> [String: Any] {
    let o = trainer.options
    return [
      "step": trainer.completedSteps, "steps": o.steps, "batch_sequences": o.batchSequences,
      "learning_rate": Double(o.learningRate),
      "head_lr_multiplier": Double(o.headLearningRateMultiplier), "warmup_steps": o.warmupSteps,
      "weight_decay": Double(o.weightDecay), "beta1": Double(o.beta1), "beta2": Double(o.beta2),
      "epsilon": Double(o.epsilon), "max_grad_norm": o.maxGradientNorm,
      "heads_coefficient": Double(o.headsCoefficient),
      "decay_coefficient": Double(o.decayCoefficient), "backbone_loss": o.backboneLoss.rawValue,
      "heads_only_steps": o.headsOnlySteps, "seed": String(o.seed),
      "medusa_num_heads": trainer.headShape.heads, "medusa_num_layers": trainer.headShape.layers,
      "base_model": baseModel.standardizedFileURL.path,
    ]
  }

  /// Reads the current step of a checkpoint written by ``save(_:to:baseModel:heads:)`` and
  /// restores `trainer` from it. The options that decide the data order and the loss (steps,
  /// batch, seed, backbone loss) and the heads' shape must match the trainer's; both safetensors
  /// files must hold the step trainer_state.json names. Returns the restored step.
  @discardableResult
  public static func restore(_ trainer: Medusa2Trainer, from checkpoint: URL) throws(TrainingError)
    -> Int
  {
    let folder = folder(checkpoint)
    let directory = folder.currentStep
    if let target = folder.pointerTarget,
      !FileManager.default.fileExists(atPath: directory.appendingPathComponent(stateFile).path)
    {
      throw .checkpoint(
        file: checkpoint.appendingPathComponent(CheckpointFolder.pointer).path,
        reason: "names \(target), which holds no \(stateFile)")
    }
    let statePath = directory.appendingPathComponent(stateFile)
    guard let data = try? Data(contentsOf: statePath),
      let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let step = (object["step"] as? NSNumber)?.intValue, step >= 0
    else {
      throw .checkpoint(
        file: statePath.path, reason: "missing, not JSON, or without an integer 'step'")
    }
    let o = trainer.options
    let expected: [(key: String, value: String, option: String)] = [
      ("steps", String(o.steps), "--steps"),
      ("batch_sequences", String(o.batchSequences), "--batch"),
      ("seed", String(o.seed), "--seed"),
      ("backbone_loss", o.backboneLoss.rawValue, "--backbone-loss"),
      ("medusa_num_heads", String(trainer.headShape.heads), "--num-heads"),
      ("medusa_num_layers", String(trainer.headShape.layers), "--layers"),
    ]
    for field in expected {
      let stored =
        object[field.key].map { ($0 as? String) ?? ($0 as? NSNumber)?.stringValue ?? "\($0)" }
        ?? "nothing"
      guard stored == field.value else {
        throw .checkpoint(
          file: statePath.path,
          reason:
            "holds \(field.key) \(stored), this run has \(field.value) (\(field.option)); resume "
            + "with the options of the first run")
      }
    }
    let backbone = backboneEntries(trainer.layout)
    let head = headEntries(trainer.headShape)
    let (b, h) = (trainer.layout.parameterCount, trainer.headShape.parameterCount)
    let model = directory.appendingPathComponent(modelFile)
    let optimizer = directory.appendingPathComponent(optimizerFile)
    try trainer.restore(
      step: step,
      backbone: Medusa2State(
        parameters: try read(model, backbone, b, prefix: "", step: step),
        firstMoment: try read(optimizer, backbone, b, prefix: "exp_avg.", step: step),
        secondMoment: try read(optimizer, backbone, b, prefix: "exp_avg_sq.", step: step)),
      heads: Medusa2State(
        parameters: try read(model, head, h, prefix: "", step: step),
        firstMoment: try read(optimizer, head, h, prefix: "exp_avg.", step: step),
        secondMoment: try read(optimizer, head, h, prefix: "exp_avg_sq.", step: step)))
    return step
  }

  /// A named tensor of a packed buffer.
  typealias Entry = (name: String, offset: Int, shape: [Int])

  /// The backbone's tensors under their Hugging Face names.
  static func backboneEntries(_ layout: BackboneLayout) -> [Entry] {
    layout.tensors.map { ($0.tensor.huggingFaceName, $0.offset, $0.shape) }
  }

  /// The heads' tensors under `medusa_head.` names.
  static func headEntries(_ shape: HeadShape) -> [Entry] {
    shape.tensors.map { (MedusaHeads.fullCheckpointPrefix + $0.name, $0.offset, $0.shape) }
  }

  /// The tensors `entries` of `buffer`, named with `prefix`, as `F32` bytes.
  static func tensors(_ entries: [Entry], _ buffer: TrainingBuffer, prefix: String)
    -> [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])]
  {
    entries.map { entry in
      let count = entry.shape.reduce(1, *)
      let bytes = Array(UnsafeRawBufferPointer(start: buffer.base + entry.offset, count: count * 4))
      return (prefix + entry.name, .f32, entry.shape, bytes)
    }
  }

  /// The `count` packed floats of the `F32` tensors `entries` stored under `prefix` in `url`,
  /// checked against their shapes and `step`.
  static func read(_ url: URL, _ entries: [Entry], _ count: Int, prefix: String, step: Int)
    throws(TrainingError) -> [Float]
  {
    var values = [Float](repeating: 0, count: count)
    do {
      let file = try SafetensorsFile(url: url)
      guard file.metadata["step"] == String(step) else {
        throw TrainingError.checkpoint(
          file: url.path,
          reason: "holds step \(file.metadata["step"] ?? "none"), \(stateFile) says \(step)")
      }
      for entry in entries {
        let name = prefix + entry.name
        let stored = try file.tensor(name)
        guard stored.shape == entry.shape, stored.dtype == .f32 else {
          throw TrainingError.checkpoint(
            file: url.path,
            reason: "tensor '\(name)' is \(stored.dtype.rawValue) \(stored.shape), expected "
              + "F32 \(entry.shape)")
        }
        let floats = try stored.floats()
        values.withUnsafeMutableBufferPointer {
          ($0.baseAddress.map { $0 + entry.offset })?.update(from: floats, count: floats.count)
        }
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: url.path, reason: "\(error)")
    }
    return values
  }

  /// The base model's config.json as text, keys in their order, with the heads' shape added and
  /// the stored type set to `float32`.
  static func configText(_ url: URL, shape: HeadShape) throws(TrainingError) -> String {
    let members: [(key: String, value: JSONValue)]
    do {
      guard let object = try JSONValue.read(url).objectMembers else {
        throw TrainingError.invalidData(file: url.path, reason: "not a JSON object")
      }
      members = object
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .invalidData(file: url.path, reason: "\(error)")
    }
    var out = members.filter { $0.key != "medusa_num_heads" && $0.key != "medusa_num_layers" }
      .map { member -> (key: String, value: JSONValue) in
        ["dtype", "torch_dtype"].contains(member.key) ? (member.key, .string("float32")) : member
      }
    out += [
      ("medusa_num_heads", .integer(shape.heads)), ("medusa_num_layers", .integer(shape.layers)),
    ]
    return json(.object(out), indent: "") + "\n"
  }

  /// `value` as indented JSON (numbers in Swift's shortest round-trip form).
  static func json(_ value: JSONValue, indent: String) -> String {
    let inner = indent + "  "
    switch value {
    case .object(let members):
      guard !members.isEmpty else { return "{}" }
      let fields = members.map {
        inner + JSONText.quoted($0.key) + ": " + json($0.value, indent: inner)
      }
      return "{\n" + fields.joined(separator: ",\n") + "\n" + indent + "}"
    case .array(let elements):
      guard !elements.isEmpty else { return "[]" }
      return "[\n" + elements.map { inner + json($0, indent: inner) }.joined(separator: ",\n")
        + "\n"
        + indent + "]"
    case .string(let text): return JSONText.quoted(text)
    case .integer(let number): return String(number)
    case .number(let number): return String(number)
    case .bool(let flag): return String(flag)
    case .null: return "null"
    }
  }
}

extension MedusaHeads {
  /// The heads' weights widened exactly to `f32` in the packed layout of their ``HeadShape``
  /// (own projections), the initial heads of a ``Medusa2Trainer``. A file that stores one
  /// ResBlock per head applied L times gives L equal blocks.
  public func masterWeights() throws(TrainingError) -> (
    shape: HeadShape, parameters: TrainingBuffer
  ) {
    guard headProjection == .own else {
      throw .invalidOption(
        "\(origin): the heads share the base model's LM head; Medusa-2 trains heads with their "
          + "own projections")
    }
    let shape = HeadShape(
      heads: headCount, layers: layerCount, hidden: hiddenSize, vocabulary: vocabularySize)
    let buffer = TrainingBuffer(shape.parameterCount)
    let h = hiddenSize
    for (k, head) in heads.enumerated() {
      for (l, block) in head.blocks.enumerated() {
        let base = buffer.base + shape.blockOffset(head: k, layer: l)
        for row in 0..<h { block.weight.widenRow(row, into: base + row * h) }
        (base + h * h).update(from: block.bias.base, count: h)
      }
      let projection = buffer.base + shape.projectionOffset(head: k)
      for row in 0..<vocabularySize { head.projection.widenRow(row, into: projection + row * h) }
    }
    return (shape, buffer)
  }
}
