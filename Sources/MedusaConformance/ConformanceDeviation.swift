import Medusa

/// Which rules a candidate is held to (`medusa conformance check --semantics`).
public enum Semantics: String, Sendable, CaseIterable {
  /// The original FasterDecoding/Medusa code's rules are accepted too: its documented
  /// ``Deviation``s are reported as notes and the case passes (the default).
  case original
  /// This project's rules (Docs/CONFORMANCE.md §3): every ``Deviation`` fails the case.
  case swiftMedusa = "swift-medusa"
}

/// A documented difference between the original FasterDecoding/Medusa code and this project's
/// semantics (Docs/CONFORMANCE.md §3). A backend that follows the original shows them; the
/// checker recognises each from the evidence and names it instead of blaming a mechanism.
public enum Deviation: String, Sendable, CaseIterable {
  /// `medusa_generate` bounds steps, not tokens: the last chunk is kept whole, past
  /// `max_new_tokens`.
  case chunkOvershoot = "chunk-overshoot"
  /// The original checks for EOS only after a step: tokens after the EOS in the chunk that
  /// emitted it stay in the output.
  case eosAfterStep = "eos-after-step"
  /// The original compares a pad slot's token 0 with the previous node's argmax and accepts it
  /// when that argmax is 0 (then copies a wrong KV row and reads the next logits from the last
  /// tree node): the trace follows another context from there on.
  case padAccepted = "pad-accepted"
  /// `torch.topk` orders exactly tied logits in no specified order (we break ties to the lowest
  /// id): proposals differ at a tie.
  case topKTieOrder = "topk-tie-order"

  /// What the original does, in a few words.
  public var summary: String {
    switch self {
    case .chunkOvershoot: return "the last chunk is kept whole, past max_new_tokens"
    case .eosAfterStep: return "EOS is checked only after a step; tokens after it in its chunk stay"
    case .padAccepted:
      return "a pad slot (token 0) is accepted where the previous node's argmax is 0"
    case .topKTieOrder: return "torch.topk's order among exactly tied head logits"
    }
  }

  /// The cause the deviation is reported as under ``Semantics/swiftMedusa``.
  public var cause: Diagnosis.Cause {
    switch self {
    case .chunkOvershoot, .eosAfterStep: return .stopRule
    case .padAccepted: return .padAccepted
    case .topKTieOrder: return .candidateOrder
    }
  }
}

/// One deviation seen in a case: which, where, and the evidence.
public struct DeviationNote: Equatable, Sendable {
  /// The deviation.
  public var deviation: Deviation
  /// The step where it shows, when known.
  public var step: Int?
  /// The field whose value shows it (`output_ids`, `tokens`, `accept_length`, `head_topk` ...).
  public var field: String
  /// One sentence of evidence.
  public var detail: String

  /// A note.
  public init(_ deviation: Deviation, step: Int?, field: String, detail: String) {
    self.deviation = deviation
    self.step = step
    self.field = field
    self.detail = detail
  }
}
