import Medusa

/// Errors of head training, evaluation and tree construction: bad data files, checkpoints that
/// do not fit, options out of range. Messages name the file, line or field.
public enum TrainingError: Error, CustomStringConvertible, Equatable {
  /// A data file (sequences, prompts, accuracies) that cannot be used.
  case invalidData(file: String, reason: String)
  /// A checkpoint that cannot be resumed from or written.
  case checkpoint(file: String, reason: String)
  /// An option out of range or inconsistent with the data.
  case invalidOption(String)
  /// An error of the backbone or of the layers below, with its own message.
  case backbone(String)

  /// The message, naming the file, line or field at fault.
  public var description: String {
    switch self {
    case .invalidData(let file, let reason): return "\(file): \(reason)"
    case .checkpoint(let file, let reason): return "\(file): checkpoint: \(reason)"
    case .invalidOption(let reason): return reason
    case .backbone(let message): return message
    }
  }
}
