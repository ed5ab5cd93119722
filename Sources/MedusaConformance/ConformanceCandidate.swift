import Medusa

/// Another backend's output, to be compared with a ``ConformanceReference``
/// (Docs/CONFORMANCE.md, "Candidate file"). Required: `cases`, and in every case `id` and
/// `output_ids`; in every step (when a case reports steps) `accept_length` and `tokens`.
/// Everything else is optional: the more a backend reports, the more levels are checked and
/// the sharper the diagnosis, and a missing field narrows what is compared (the report says so).
public struct ConformanceCandidate: Codable, Equatable, Sendable {
  /// The value of `format` in every candidate file.
  public static let formatName = "medusa-conformance-candidate"

  /// Optional; when present it must be ``formatName``.
  public var format: String?
  /// Optional; when present it must be ``ConformanceReference/currentVersion``.
  public var formatVersion: Int?
  /// Optional free text naming the backend and its version.
  public var backend: String?
  /// Optional (level 1): the backend's tree buffers, compared with this project's for every
  /// tree of the reference that they name.
  public var treeBuffers: [CandidateTreeBuffers]?
  /// The cases, matched to the reference by ``CandidateCase/id``.
  public var cases: [CandidateCase]

  /// A candidate with the current format and version.
  public init(
    backend: String?, cases: [CandidateCase], treeBuffers: [CandidateTreeBuffers]? = nil
  ) {
    self.format = Self.formatName
    self.formatVersion = ConformanceReference.currentVersion
    self.backend = backend
    self.cases = cases
    self.treeBuffers = treeBuffers
  }

  enum CodingKeys: String, CodingKey {
    case format, backend, cases
    case formatVersion = "format_version"
    case treeBuffers = "tree_buffers"
  }
}

/// One case of a candidate file.
public struct CandidateCase: Codable, Equatable, Sendable {
  /// The reference case's `id`.
  public var id: String
  /// Medusa output ids (level 3; level 5 for typical cases).
  public var outputIDs: [Int]
  /// Optional greedy autoregressive output ids (level 2).
  public var arOutputIDs: [Int]?
  /// Optional per-step trace (level 4).
  public var steps: [CandidateStep]?
  /// Optional logits row per output token (level 6).
  public var logits: [[Float]]?
  /// Optional, instead of ``logits``: the backend's own largest logits per output token (level
  /// 6 against a reference with `top_logits`; it must hold every id of the reference's lists).
  public var topLogits: TopLogits?

  /// A candidate case.
  public init(
    id: String, outputIDs: [Int], arOutputIDs: [Int]? = nil, steps: [CandidateStep]? = nil,
    logits: [[Float]]? = nil, topLogits: TopLogits? = nil
  ) {
    self.id = id
    self.topLogits = topLogits
    self.outputIDs = outputIDs
    self.arOutputIDs = arOutputIDs
    self.steps = steps
    self.logits = logits
  }

  enum CodingKeys: String, CodingKey {
    case id, steps, logits
    case outputIDs = "output_ids"
    case arOutputIDs = "ar_output_ids"
    case topLogits = "top_logits"
  }
}

/// One step of a candidate trace. Only `accept_length` and `tokens` are required.
///
/// Without `candidates` the checker derives them from `tree_candidates` and the tree's retrieve
/// indices (pads read token 0), so candidate rows are then not compared on their own; without
/// `tree_candidates` neither is compared and a step is judged by its tokens and accept length.
public struct CandidateStep: Codable, Equatable, Sendable {
  /// The token of every tree node, in node order.
  public var treeCandidates: [Int]?
  /// The candidate rows (retrieve-index rows), pad slots holding token 0.
  public var candidates: [[Int]]?
  /// The chosen row.
  public var bestCandidate: Int?
  /// Tokens accepted after the root.
  public var acceptLength: Int
  /// The tokens the step appended to the output.
  public var tokens: [Int]
  /// The argmax of every tree node's logits, in node order.
  public var nodeTop1: [Int]?
  /// Per head (at least as many as the tree is deep), its 10 most likely ids in the order the
  /// backend ranked them.
  public var headTopK: [[Int]]?

  /// A step.
  public init(
    treeCandidates: [Int]?, candidates: [[Int]]?, bestCandidate: Int?, acceptLength: Int,
    tokens: [Int], nodeTop1: [Int]? = nil, headTopK: [[Int]]? = nil
  ) {
    self.treeCandidates = treeCandidates
    self.candidates = candidates
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
    self.tokens = tokens
    self.nodeTop1 = nodeTop1
    self.headTopK = headTopK
  }

  /// The candidate form of a reference step (every field given).
  public init(_ step: ReferenceStep) {
    self.init(
      treeCandidates: step.treeCandidates, candidates: step.candidates,
      bestCandidate: step.bestCandidate, acceptLength: step.acceptLength, tokens: step.tokens,
      nodeTop1: step.nodeTop1, headTopK: step.headTopK)
  }

  enum CodingKeys: String, CodingKey {
    case candidates, tokens
    case treeCandidates = "tree_candidates"
    case bestCandidate = "best_candidate"
    case acceptLength = "accept_length"
    case nodeTop1 = "node_top1"
    case headTopK = "head_topk"
  }
}

/// A backend's buffers for one tree (level 1), in the original `generate_medusa_buffers`
/// layout; every field but `name` is optional and compared when present.
public struct CandidateTreeBuffers: Codable, Equatable, Sendable {
  /// The tree's name in the reference.
  public var name: String
  /// `tree_indices`.
  public var treeIndices: [Int]?
  /// `position_ids` (the original's `medusa_position_ids`).
  public var positionIDs: [Int]?
  /// `retrieve_indices`, rows padded with -1.
  public var retrieveIndices: [[Int]]?
  /// `attn_mask` (the original's `medusa_attn_mask[0, 0]`), node × node, 1 = visible.
  public var attnMask: [[Int]]?

  /// Buffers of the tree `name`.
  public init(
    name: String, treeIndices: [Int]?, positionIDs: [Int]?, retrieveIndices: [[Int]]?,
    attnMask: [[Int]]?
  ) {
    self.name = name
    self.treeIndices = treeIndices
    self.positionIDs = positionIDs
    self.retrieveIndices = retrieveIndices
    self.attnMask = attnMask
  }

  enum CodingKeys: String, CodingKey {
    case name
    case treeIndices = "tree_indices"
    case positionIDs = "position_ids"
    case retrieveIndices = "retrieve_indices"
    case attnMask = "attn_mask"
  }
}
