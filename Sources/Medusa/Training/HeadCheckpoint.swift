import Foundation
import MedusaFormats

/// A training checkpoint folder, every file replaced atomically:
/// - `medusa_lm_head.safetensors`: the heads in the original layout (`{k}.{l}.linear.weight`
///   `[H][H]`, `{k}.{l}.linear.bias` `[H]`, `{k}.{L}.weight` `[V][H]`), `F32` master weights,
///   loadable by ``MedusaHeads/load(directory:backbone:)``;
/// - `config.json`: `medusa_num_heads`, `medusa_num_layers`, `hidden_size`, `vocab_size`,
///   `base_model_name_or_path` (the original's `MedusaConfig` fields);
/// - `optimizer.safetensors`: AdamW's `exp_avg.{name}` and `exp_avg_sq.{name}` per tensor;
/// - `trainer_state.json`: `step` and the options, written last.
/// Both safetensors files carry `step` in their metadata; a resume checks that the three agree,
/// so an interrupted save is detected rather than silently mixed.
public enum HeadCheckpoint {
  /// The heads' file name.
  public static let headsFile = "medusa_lm_head.safetensors"
  /// The optimizer state's file name.
  public static let optimizerFile = "optimizer.safetensors"
  /// The trainer state's file name.
  public static let stateFile = "trainer_state.json"

  /// Writes the trainer's current weights and state into `directory` (created if needed).
  public static func save(_ trainer: HeadTrainer, to directory: URL, baseModel: String)
    throws(TrainingError)
  {
    let shape = trainer.shape
    let step = String(trainer.completedSteps)
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try SafetensorsWriter.write(
        tensors(shape, trainer.firstMoment, prefix: "exp_avg.")
          + tensors(shape, trainer.secondMoment, prefix: "exp_avg_sq."),
        metadata: ["step": step], to: directory.appendingPathComponent(optimizerFile))
      try SafetensorsWriter.write(
        tensors(shape, trainer.parameters, prefix: ""), metadata: ["format": "pt", "step": step],
        to: directory.appendingPathComponent(headsFile))
      try writeJSON(
        [
          "medusa_num_heads": shape.heads, "medusa_num_layers": shape.layers,
          "hidden_size": shape.hidden, "vocab_size": shape.vocabulary,
          "base_model_name_or_path": baseModel,
        ], to: directory.appendingPathComponent("config.json"))
      let o = trainer.options
      try writeJSON(
        [
          "step": trainer.completedSteps, "steps": o.steps, "batch_rows": o.batchRows,
          "learning_rate": Double(o.learningRate), "warmup_steps": o.warmupSteps,
          "weight_decay": Double(o.weightDecay), "max_grad_norm": o.maxGradientNorm,
          "head_decay": Double(o.headDecay), "seed": String(o.seed),
        ], to: directory.appendingPathComponent(stateFile))
    } catch let error as TrainingError {
      throw error
    } catch {
      throw .checkpoint(file: directory.path, reason: "\(error)")
    }
  }

  /// Reads a checkpoint written by ``save(_:to:baseModel:)`` and restores `trainer` from it.
  /// The heads' shape, batch size and seed must match the trainer's (the data order depends on
  /// them). Returns the restored step.
  @discardableResult
  public static func restore(_ trainer: HeadTrainer, from directory: URL) throws(TrainingError)
    -> Int
  {
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

  /// Writes `object` as sorted, indented JSON, atomically.
  static func writeJSON(_ object: [String: Any], to url: URL) throws {
    var data = try JSONSerialization.data(
      withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    data.append(UInt8(ascii: "\n"))
    try data.write(to: url, options: .atomic)
  }
}
