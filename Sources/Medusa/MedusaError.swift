import Llama

/// Errors of the Medusa layer: heads that do not fit the backbone, bad decoding options, and
/// the typed causes of a failed decoding step (paper §2.1): the backbone's forward or cache
/// (``LlamaError``), the candidates (``CandidatesError``) and the posterior
/// (``PosteriorError``), each carried as the value, so callers can match on it, and
/// described by its own one-line message.
public enum MedusaError: Error, CustomStringConvertible, Equatable {
  /// No heads file in a folder.
  case noHeads(directory: String)
  /// A heads checkpoint whose tensor names do not form Medusa heads.
  case malformedHeads(origin: String, reason: String)
  /// Heads whose hidden size or vocabulary differs from the backbone's.
  case headsMismatch(origin: String, reason: String)
  /// A decoding option out of range (named in `reason`).
  case invalidOption(String)
  /// The backbone failed: its forward pass, its KV cache or its state.
  case backbone(LlamaError)
  /// The candidates of a step could not be built from the heads' top-k (§2.1.2).
  case candidates(CandidatesError)
  /// Posterior evaluation rejected its input (§2.3).
  case posterior(PosteriorError)
  /// A tree that does not fit the decoder (deeper than the heads ...).
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
    case .backbone(let cause): return cause.description
    case .candidates(let cause): return cause.description
    case .posterior(let cause): return cause.description
    case .tree(let message): return message
    }
  }
}
