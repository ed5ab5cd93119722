/// Errors of the Medusa layer: heads that do not fit the backbone, bad decoding options.
/// Errors of the layers below arrive wrapped, with their own message.
public enum MedusaError: Error, CustomStringConvertible, Equatable {
  /// No heads file in a folder.
  case noHeads(directory: String)
  /// A heads checkpoint whose tensor names do not form Medusa heads.
  case malformedHeads(origin: String, reason: String)
  /// Heads whose hidden size or vocabulary differs from the backbone's.
  case headsMismatch(origin: String, reason: String)
  /// A decoding option out of range (named in `reason`).
  case invalidOption(String)
  /// An error of the backbone or its files.
  case backbone(String)
  /// A tree that failed validation.
  case tree(String)

  /// One line naming what is wrong and where.
  public var description: String {
    switch self {
    case .noHeads(let directory):
      return
        "\(directory): no Medusa heads (medusa_lm_head.safetensors, medusa_lm_head.pt or medusa_head.* tensors)"
    case .malformedHeads(let origin, let reason): return "\(origin): \(reason)"
    case .headsMismatch(let origin, let reason):
      return "\(origin): heads do not fit the model: \(reason)"
    case .invalidOption(let reason): return reason
    case .backbone(let message): return message
    case .tree(let message): return message
    }
  }
}
