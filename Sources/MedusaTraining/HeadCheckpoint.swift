import Foundation
import Medusa
import MedusaFormats

/// A training checkpoint: four files saved and replaced as one atomic set (the folder layout,
/// a `current` link to the step's folder, is ``CheckpointFolder``'s):
/// - `medusa_lm_head.safetensors`: the heads in the original layout (`{k}.{l}.linear.weight`
///   `[H][H]`, `{k}.{l}.linear.bias` `[H]`, `{k}.{L}.weight` `[V][H]`), `F32` master weights,
///   loadable by ``MedusaHeads/load(directory:model:)``; heads that share the base LM head
///   (``HeadProjection/baseLanguageModelHead``) store no `{k}.{L}.weight`;
/// - `config.json`: `medusa_num_heads`, `medusa_num_layers`, `hidden_size`, `vocab_size`,
///   `base_model_name_or_path` (the original's `MedusaConfig` fields), and for the shared layout
///   `"medusa_head_projection": "base_lm_head"`;
/// - `optimizer.safetensors`: AdamW's `exp_avg.{name}` and `exp_avg_sq.{name}` per tensor;
/// - `trainer_state.json`: `step`, the options and `head_projection`, written last.
/// Both safetensors files carry `step` in their metadata; a resume checks that the three agree.
public enum HeadCheckpoint {
  /// The heads' file name.
  public static let headsFile = "medusa_lm_head.safetensors"
  /// The optimizer state's file name.
  public static let optimizerFile = "optimizer.safetensors"
  /// The trainer state's file name.
  public static let stateFile = "trainer_state.json"

  /// Checks what may be done with the checkpoint folder `directory` before a run writes into it:
  /// a folder holding a checkpoint is continued with `resume`, replaced (at the run's first save)
  /// with `force`, and otherwise refused with an error naming both options. With `resume` it
  /// also removes what interrupted saves left there. Returns whether there is a checkpoint to
  /// ``restore(_:from:)``.
  public static func prepare(_ directory: URL, resume: Bool, force: Bool) throws(TrainingError)
    -> Bool
  {
    try CheckpointFolder(url: directory).prepare(
      resume: resume, force: force, holding: "a training checkpoint")
  }

  /// The folder to read heads from when `directory` is given as heads: a checkpoint's current
  /// step (``CheckpointFolder``), else `directory` itself.
  public static func headsFolder(_ directory: URL) -> URL {
    CheckpointFolder(url: directory).currentStep
  }

  /// Saves the trainer's current weights and state as the new current step of the checkpoint
  /// folder `directory` (created if needed), replacing the previous step in one atomic switch.
  public static func save(_ trainer: HeadTrainer, to directory: URL, baseModel: String)
    throws(TrainingError)
  {
    var budget = WriteBudget()
    try save(trainer, to: directory, baseModel: baseModel, budget: &budget)
  }

  /// ``save(_:to:baseModel:)`` with every filesystem operation counted by `budget`.
  static func save(
    _ trainer: HeadTrainer, to directory: URL, baseModel: String, budget: inout WriteBudget
  ) throws(TrainingError) {
    let shape = trainer.shape
    let step = String(trainer.completedSteps)
    let o = trainer.options
    do {
      try CheckpointFolder(url: directory).commit(step: trainer.completedSteps, budget: &budget) {
        folder, budget in
        try budget.next(folder.appendingPathComponent(optimizerFile))
        try SafetensorsWriter.write(
          tensors(shape, trainer.firstMoment, prefix: "exp_avg.")
            + tensors(shape, trainer.secondMoment, prefix: "exp_avg_sq."),
          metadata: ["step": step], to: folder.appendingPathComponent(optimizerFile))
        try budget.next(folder.appendingPathComponent(headsFile))
        try SafetensorsWriter.write(
          tensors(shape, trainer.parameters, prefix: ""), metadata: ["format": "pt", "step": step],
          to: folder.appendingPathComponent(headsFile))
        try budget.next(folder.appendingPathComponent("config.json"))
        try writeConfig(shape, baseModel: baseModel, to: folder)
        try budget.next(folder.appendingPathComponent(stateFile))
        try writeJSON(
          [
            "step": trainer.completedSteps, "steps": o.steps, "batch_rows": o.batchRows,
            "learning_rate": Double(o.learningRate), "warmup_steps": o.warmupSteps,
            "weight_decay": Double(o.weightDecay), "max_grad_norm": o.maxGradientNorm,
            "head_decay": Double(o.headDecay), "seed": String(o.seed),
            "head_projection": shape.projection.rawValue,
          ], to: folder.appendingPathComponent(stateFile))
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: directory.path, reason: "\(error)")
    }
  }

  /// Reads the current step of a checkpoint written by ``save(_:to:baseModel:)`` (or a folder of
  /// the old layout, the files at the top level) and restores `trainer` from it.
  /// The heads' shape, batch size and seed must match the trainer's (the data order depends on
  /// them). Returns the restored step.
  @discardableResult
  public static func restore(_ trainer: HeadTrainer, from checkpoint: URL) throws(TrainingError)
    -> Int
  {
    let directory = CheckpointFolder(url: checkpoint).currentStep
    let statePath = directory.appendingPathComponent(stateFile)
    guard let data = try? Data(contentsOf: statePath),
      let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let step = (object["step"] as? NSNumber)?.intValue
    else {
      throw .checkpoint(file: statePath.path, reason: "missing or without an integer 'step'")
    }
    let options = trainer.options
    guard (object["batch_rows"] as? NSNumber)?.intValue == options.batchRows,
      object["seed"] as? String == String(options.seed)
    else {
      throw .checkpoint(
        file: statePath.path,
        reason: "was trained with another --batch or --seed; the data order would change")
    }
    let shape = trainer.shape
    let stored = (object["head_projection"] as? String) ?? HeadProjection.own.rawValue
    guard stored == shape.projection.rawValue else {
      throw .checkpoint(
        file: statePath.path,
        reason:
          "holds heads with head_projection \(stored), this run trains \(shape.projection.rawValue)"
      )
    }
    let heads = try read(directory.appendingPathComponent(headsFile), shape, prefix: "", step: step)
    let optimizer = directory.appendingPathComponent(optimizerFile)
    let m = try read(optimizer, shape, prefix: "exp_avg.", step: step)
    let v = try read(optimizer, shape, prefix: "exp_avg_sq.", step: step)
    try trainer.restore(step: step, parameters: heads, firstMoment: m, secondMoment: v)
    return step
  }

  /// The tensors of `buffer` in the layout of `shape`, named with `prefix`, as `F32` bytes.
  static func tensors(_ shape: HeadShape, _ buffer: TrainingBuffer, prefix: String)
    -> [(name: String, dtype: TensorDType, shape: [Int], bytes: [UInt8])]
  {
    shape.tensors.map { tensor in
      let count = tensor.shape.reduce(1, *)
      let bytes = Array(
        UnsafeRawBufferPointer(start: buffer.base + tensor.offset, count: count * 4))
      return (prefix + tensor.name, .f32, tensor.shape, bytes)
    }
  }

  /// The packed parameters stored under `prefix` in `url`, checked against `shape` and `step`.
  static func read(_ url: URL, _ shape: HeadShape, prefix: String, step: Int) throws(TrainingError)
    -> [Float]
  {
    var values = [Float](repeating: 0, count: shape.parameterCount)
    do {
      let file = try SafetensorsFile(url: url)
      guard file.metadata["step"] == String(step) else {
        throw TrainingError.checkpoint(
          file: url.path,
          reason: "holds step \(file.metadata["step"] ?? "none"), trainer_state.json says \(step)")
      }
      let store = try TensorStore(files: [url])
      for tensor in shape.tensors {
        let stored = try store.tensor(prefix + tensor.name)
        guard stored.shape == tensor.shape else {
          throw TrainingError.checkpoint(
            file: url.path,
            reason:
              "tensor '\(prefix + tensor.name)' has shape \(stored.shape), expected \(tensor.shape)"
          )
        }
        let floats = try stored.floats()
        values.withUnsafeMutableBufferPointer {
          ($0.baseAddress.map { $0 + tensor.offset })?.update(from: floats, count: floats.count)
        }
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: url.path, reason: "\(error)")
    }
    return values
  }

  /// Writes the heads' `config.json` (the original's `MedusaConfig` fields, plus the
  /// ``HeadProjection/configKey`` marker for heads that share the base LM head).
  static func writeConfig(_ shape: HeadShape, baseModel: String, to directory: URL) throws {
    var config: [String: Any] = [
      "medusa_num_heads": shape.heads, "medusa_num_layers": shape.layers,
      "hidden_size": shape.hidden, "vocab_size": shape.vocabulary,
      "base_model_name_or_path": baseModel,
    ]
    if shape.projection != .own { config[HeadProjection.configKey] = shape.projection.rawValue }
    try writeJSON(config, to: directory.appendingPathComponent("config.json"))
  }

  /// Checks that `--export DIR` may be written: DIR is absent or an empty folder, or `force`
  /// allows replacing the heads in it.
  public static func checkExportTarget(_ directory: URL, force: Bool) throws(TrainingError) {
    guard force || isAbsentOrEmpty(directory) else {
      throw .invalidOption(
        "\(directory.path) exists and is not empty; give --force to replace the heads in it")
    }
  }

  /// Writes only the heads — `medusa_lm_head.safetensors` with every tensor in `dtype` (`F32`,
  /// `F16` or `BF16`, rounded to nearest even) and `config.json` — into `directory`: the folder
  /// to ship beside a model, without optimizer state. A new folder appears whole: both files are
  /// written into a hidden sibling `.NAME.export-ID`, renamed to `directory` (such siblings left
  /// by an interrupted export are removed first). Into a folder that is not empty (only with
  /// `replacing`) each file is replaced atomically, the heads first.
  public static func export(
    _ trainer: HeadTrainer, to directory: URL, baseModel: String, dtype: TensorDType,
    replacing: Bool = false
  ) throws(TrainingError) {
    let shape = trainer.shape
    guard [.f32, .f16, .bf16].contains(dtype) else {
      throw .invalidOption("heads can be exported as F32, F16 or BF16, not \(dtype.rawValue)")
    }
    try checkExportTarget(directory, force: replacing)
    let manager = FileManager.default
    do {
      let parent = directory.deletingLastPathComponent()
      let staged = ".\(directory.lastPathComponent).export-"
      try manager.createDirectory(at: parent, withIntermediateDirectories: true)
      for name in try manager.contentsOfDirectory(atPath: parent.path)
      where name.hasPrefix(staged) {
        try manager.removeItem(at: parent.appendingPathComponent(name))
      }
      let fresh = isAbsentOrEmpty(directory)
      let folder =
        fresh
        ? parent.appendingPathComponent(staged + UUID().uuidString.prefix(8).lowercased())
        : directory
      try manager.createDirectory(at: folder, withIntermediateDirectories: true)
      let tensors = shape.tensors.map { tensor in
        let count = tensor.shape.reduce(1, *)
        let values = UnsafeBufferPointer(
          start: trainer.parameters.base + tensor.offset, count: count)
        return (tensor.name, dtype, tensor.shape, encode(values, as: dtype))
      }
      try SafetensorsWriter.write(
        tensors,
        metadata: ["format": "pt", "step": String(trainer.completedSteps)],
        to: folder.appendingPathComponent(headsFile))
      try writeConfig(shape, baseModel: baseModel, to: folder)
      if fresh {
        try AtomicFile.syncDirectory(folder)
        try CheckpointFolder.move(folder, to: directory)
        try AtomicFile.syncDirectory(parent)
      }
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: directory.path, reason: "\(error)")
    }
  }

  /// Whether nothing is at `url`, or an empty folder.
  static func isAbsentOrEmpty(_ url: URL) -> Bool {
    var folder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &folder) else {
      return true
    }
    return folder.boolValue
      && (try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty == true
  }

  /// Little-endian bytes of `values` in `dtype` (F32 as is; F16 by `Float16(_:)`; BF16 rounded to
  /// nearest even, NaN kept quiet).
  static func encode(_ values: UnsafeBufferPointer<Float>, as dtype: TensorDType) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * (dtype == .f32 ? 4 : 2))
    for value in values {
      switch dtype {
      case .f16:
        let bits = Float16(value).bitPattern
        bytes += [UInt8(bits & 0xff), UInt8(bits >> 8)]
      case .bf16:
        let raw = value.bitPattern
        let bits =
          value.isNaN
          ? UInt16(raw >> 16) | 0x40
          : UInt16(truncatingIfNeeded: (raw &+ 0x7fff &+ ((raw >> 16) & 1)) >> 16)
        bytes += [UInt8(bits & 0xff), UInt8(bits >> 8)]
      default:
        let bits = value.bitPattern
        bytes += [
          UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff), UInt8(bits >> 24),
        ]
      }
    }
    return bytes
  }

  /// Writes `object` as sorted, indented JSON, atomically and flushed (``AtomicFile``).
  static func writeJSON(_ object: [String: Any], to url: URL) throws {
    var data = try JSONSerialization.data(
      withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    data.append(UInt8(ascii: "\n"))
    try AtomicFile.replace([Array(data)], to: url)
  }
}
