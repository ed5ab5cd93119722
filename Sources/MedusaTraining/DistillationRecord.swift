import Foundation
import Medusa

/// How a distillation output (`OUT/sequences.jsonl`) was made: the model, the prompts and the
/// sampling settings, stored as `OUT/distill.json` when a run starts. A rerun continues the
/// output only when its own record agrees (``DistillationOutput``), so one file never mixes
/// continuations of two models, prompt lists or settings.
public struct DistillationRecord: Codable, Equatable, Sendable {
  /// The file name in the output folder.
  public static let fileName = "distill.json"
  /// The bytes hashed at each end of a model file.
  static let sampledBytes = 1 << 20

  /// The model's path as given (for the reader; not compared, a model may move).
  public var model: String
  /// The model's identity: ``modelFingerprint(_:)``.
  public var modelFingerprint: String
  /// The prompts file's path as given (for the reader; not compared).
  public var prompts: String
  /// The SHA-256 of the prompts file.
  public var promptsSHA256: String
  /// `--max-new-tokens`.
  public var maxNewTokens: Int
  /// `--temperature` (0: greedy).
  public var temperature: Double
  /// `--seed`.
  public var seed: UInt64
  /// `--chat`, or nil without a chat format.
  public var chat: String?
  /// `--ignore-eos`.
  public var ignoreEOS: Bool

  /// The JSON keys.
  enum CodingKeys: String, CodingKey {
    case model
    case modelFingerprint = "model_fingerprint"
    case prompts
    case promptsSHA256 = "prompts_sha256"
    case maxNewTokens = "max_new_tokens"
    case temperature, seed, chat
    case ignoreEOS = "ignore_eos"
  }

  /// The record of a run over the model at `model` (a folder or a GGUF file) and the prompts
  /// file `prompts`, fingerprinting both.
  public init(
    model: URL, prompts: URL, maxNewTokens: Int, temperature: Double, seed: UInt64, chat: String?,
    ignoreEOS: Bool
  ) throws(TrainingError) {
    self.model = model.path
    modelFingerprint = try Self.modelFingerprint(model)
    self.prompts = prompts.path
    guard let data = FileManager.default.contents(atPath: prompts.path) else {
      throw .invalidData(file: prompts.path, reason: "cannot read the prompts file")
    }
    promptsSHA256 = SHA256.hex([UInt8](data))
    self.maxNewTokens = maxNewTokens
    self.temperature = temperature
    self.seed = seed
    self.chat = chat
    self.ignoreEOS = ignoreEOS
  }

  /// The first compared field in which `other` differs from this record (in the order model,
  /// prompts, max_new_tokens, temperature, seed, chat, ignore_eos), with this record's value and
  /// `other`'s; nil when they agree.
  public func firstDifference(from other: DistillationRecord) -> (
    field: String, value: String, other: String
  )? {
    func file(_ path: String, _ hash: String) -> String { "\(path) (\(hash.prefix(16)))" }
    let fields: [(field: String, same: Bool, value: String, other: String)] = [
      (
        "model", modelFingerprint == other.modelFingerprint, file(model, modelFingerprint),
        file(other.model, other.modelFingerprint)
      ),
      (
        "prompts", promptsSHA256 == other.promptsSHA256, file(prompts, promptsSHA256),
        file(other.prompts, other.promptsSHA256)
      ),
      (
        CodingKeys.maxNewTokens.rawValue, maxNewTokens == other.maxNewTokens, "\(maxNewTokens)",
        "\(other.maxNewTokens)"
      ),
      ("temperature", temperature == other.temperature, "\(temperature)", "\(other.temperature)"),
      ("seed", seed == other.seed, "\(seed)", "\(other.seed)"),
      ("chat", chat == other.chat, chat ?? "none", other.chat ?? "none"),
      (
        CodingKeys.ignoreEOS.rawValue, ignoreEOS == other.ignoreEOS, "\(ignoreEOS)",
        "\(other.ignoreEOS)"
      ),
    ]
    return fields.first { !$0.same }.map { ($0.field, $0.value, $0.other) }
  }

  /// The identity of a model without reading all its weights: the SHA-256 over, for each file
  /// (the GGUF file itself; for a folder, every `.json`, `.safetensors` and `.gguf` file directly
  /// in it, by name), its name, its size and its first and last MiB.
  public static func modelFingerprint(_ model: URL) throws(TrainingError) -> String {
    let manager = FileManager.default
    var folder: ObjCBool = false
    guard manager.fileExists(atPath: model.path, isDirectory: &folder) else {
      throw .invalidData(file: model.path, reason: "no such model file or folder")
    }
    var files = [model]
    if folder.boolValue {
      let names = (try? manager.contentsOfDirectory(atPath: model.path)) ?? []
      files = names.sorted().filter { name in
        [".json", ".safetensors", ".gguf"].contains { name.hasSuffix($0) }
      }.map { model.appendingPathComponent($0) }
    }
    var summary: [UInt8] = []
    for file in files {
      guard let handle = FileHandle(forReadingAtPath: file.path) else {
        throw .invalidData(file: file.path, reason: "cannot read the model file")
      }
      defer { try? handle.close() }
      do {
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: 0)
        let head = try handle.read(upToCount: sampledBytes) ?? Data()
        try handle.seek(toOffset: size - min(size, UInt64(sampledBytes)))
        let tail = try handle.read(upToCount: sampledBytes) ?? Data()
        summary += Array("\(file.lastPathComponent)\n\(size)\n".utf8)
        summary += SHA256.digest([UInt8](head)) + SHA256.digest([UInt8](tail))
      } catch {
        throw .invalidData(file: file.path, reason: "cannot read the model file: \(error)")
      }
    }
    return SHA256.hex(summary)
  }
}
