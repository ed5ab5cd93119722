import Foundation

/// Everything that can go wrong between a model folder and a forward pass.
///
/// Each case names the file, field or tensor at fault so that the CLI can print one useful
/// line. Errors from the safetensors layer arrive wrapped in ``checkpoint(_:)``.
public enum LlamaError: Error, CustomStringConvertible, Equatable {
  /// A config file could not be read or parsed.
  case unreadableConfig(file: String, reason: String)
  /// A config field is missing, has the wrong JSON type or an impossible value.
  case invalidConfig(file: String, field: String, reason: String)
  /// `model_type` names an architecture this backbone does not implement.
  case unsupportedModelType(file: String, modelType: String)
  /// A config asks for a feature this backbone does not implement (named in `feature`).
  case unsupportedFeature(file: String, feature: String)
  /// A tensor the architecture needs is absent from the checkpoint.
  case missingTensor(name: String, directory: String)
  /// The checkpoint holds tensors the architecture does not use.
  case unexpectedTensors(names: [String], directory: String)
  /// A tensor's shape disagrees with config.json.
  case shapeMismatch(tensor: String, expected: [Int], found: [Int])
  /// A tensor is stored in a dtype the kernels cannot read.
  case unsupportedDType(tensor: String, dtype: String)
  /// The KV cache cannot hold the tokens asked for.
  case cacheOverflow(needed: Int, capacity: Int)
  /// The tokens asked for do not fit the model's context (`max_position_embeddings` or the
  /// GGUF's `context_length`).
  case contextTooLong(needed: Int, limit: Int)
  /// The system refused an allocation (`what` names the buffer, `bytes` its size).
  case outOfMemory(what: String, bytes: Int)
  /// A forward pass produced a NaN or infinity (`layer`: after that decoder layer, or nil for
  /// the logits; `position`: the token's position).
  case nonFinite(layer: Int?, position: Int)
  /// A token id outside `0..<vocab_size`.
  case tokenOutOfRange(token: Int, vocabularySize: Int)
  /// A forward call whose arguments contradict each other (named in `reason`).
  case invalidForward(reason: String)
  /// The safetensors layer rejected a file.
  case checkpoint(String)

  /// One line naming what is wrong and where.
  public var description: String {
    switch self {
    case .unreadableConfig(let file, let reason):
      return "\(file): cannot read config: \(reason)"
    case .invalidConfig(let file, let field, let reason):
      return "\(file): field '\(field)': \(reason)"
    case .unsupportedModelType(let file, let modelType):
      return
        "\(file): architecture '\(modelType)' is not supported (supported: llama, mistral, qwen2; GGUF: llama, qwen2)"
    case .unsupportedFeature(let file, let feature):
      return "\(file): unsupported: \(feature)"
    case .missingTensor(let name, let directory):
      return "\(directory): missing tensor '\(name)'"
    case .unexpectedTensors(let names, let directory):
      let shown = names.prefix(5).joined(separator: ", ")
      let more = names.count > 5 ? " and \(names.count - 5) more" : ""
      return "\(directory): unexpected tensors \(shown)\(more)"
    case .shapeMismatch(let tensor, let expected, let found):
      return "tensor '\(tensor)': shape \(found) does not match config (expected \(expected))"
    case .unsupportedDType(let tensor, let dtype):
      return
        "tensor '\(tensor)': type \(dtype) is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K are)"
    case .cacheOverflow(let needed, let capacity):
      return "KV cache overflow: \(needed) positions needed, capacity is \(capacity)"
    case .contextTooLong(let needed, let limit):
      return
        "\(needed) positions (prompt + max new tokens) exceed the model's context of \(limit)"
    case .outOfMemory(let what, let bytes):
      return "cannot allocate \(what): \(bytes == Int.max ? "size overflows" : "\(bytes) bytes")"
    case .nonFinite(let layer, let position):
      let place = layer.map { "the hidden state after layer \($0)" } ?? "the logits"
      return
        "non-finite values (NaN or infinity) in \(place) at position \(position): check the weights"
    case .tokenOutOfRange(let token, let vocabularySize):
      return "token id \(token) is outside the vocabulary (0..<\(vocabularySize))"
    case .invalidForward(let reason):
      return "invalid forward: \(reason)"
    case .checkpoint(let message):
      return message
    }
  }
}
