import Medusa

/// One Medusa step in a reference or candidate trace (the Golden trace fields, plus the
/// argmax of every tree node's logits).
public struct ReferenceStep: Codable, Equatable, Sendable {
  /// The token of every tree node, in node order.
  public var treeCandidates: [Int]
  /// The candidate rows (retrieve-index rows), pad slots holding token 0.
  public var candidates: [[Int]]
  /// The chosen row.
  public var bestCandidate: Int
  /// Tokens accepted after the root.
  public var acceptLength: Int
  /// The tokens this step appended to the output, after the stop rule.
  public var tokens: [Int]
  /// The argmax of every tree node's logits, in node order (optional in candidates).
  public var nodeTop1: [Int]?
  /// Reference only: per node, (top-1 − top-2 logit) / max(1, |top-1 logit|).
  public var nodeMargins: [Float]?
  /// Reference only: per head the tree uses, the 10 gaps between consecutive logits of its 11
  /// largest (gap `i` separates top-k slot `i` from slot `i + 1`; they decide the top-10 and
  /// its order) / max(1, |top-1 logit|).
  public var headGaps: [[Float]]?
  /// Per head the tree uses, its 10 most likely token ids in descending order (ties to the
  /// lowest id): the proposals `tree_candidates` are built from.
  public var headTopK: [[Int]]?
  /// Present only where the original's rule (a pad compared like any token) picks another row
  /// or length than ours on the same logits: what the original would choose.
  public var originalVerdict: ReferenceVerdict?
  /// Typical cases only: how close the step's acceptance came to flipping, relative (see
  /// ``TypicalDecisionGap``); a divergence at a step whose gap is within the near-tie bound is
  /// noise.
  public var decisionGap: Float?

  /// A step.
  public init(
    treeCandidates: [Int], candidates: [[Int]], bestCandidate: Int, acceptLength: Int,
    tokens: [Int], nodeTop1: [Int]?, nodeMargins: [Float]? = nil, headGaps: [[Float]]? = nil,
    headTopK: [[Int]]? = nil, originalVerdict: ReferenceVerdict? = nil, decisionGap: Float? = nil
  ) {
    self.headTopK = headTopK
    self.originalVerdict = originalVerdict
    self.decisionGap = decisionGap
    self.treeCandidates = treeCandidates
    self.candidates = candidates
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
    self.tokens = tokens
    self.nodeTop1 = nodeTop1
    self.nodeMargins = nodeMargins
    self.headGaps = headGaps
  }

  enum CodingKeys: String, CodingKey {
    case candidates, tokens
    case treeCandidates = "tree_candidates"
    case bestCandidate = "best_candidate"
    case acceptLength = "accept_length"
    case nodeTop1 = "node_top1"
    case nodeMargins = "node_margins"
    case headGaps = "head_gaps"
    case headTopK = "head_topk"
    case originalVerdict = "original_verdict"
    case decisionGap = "decision_gap"
  }
}

/// A step's choice: the candidate row and the number of tokens accepted after the root.
public struct ReferenceVerdict: Codable, Equatable, Sendable {
  /// The chosen row of the retrieve indices.
  public var bestCandidate: Int
  /// Tokens accepted after the root.
  public var acceptLength: Int

  /// A verdict.
  public init(bestCandidate: Int, acceptLength: Int) {
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
  }

  enum CodingKeys: String, CodingKey {
    case bestCandidate = "best_candidate"
    case acceptLength = "accept_length"
  }
}

/// How a reference case verified candidates: `{"name": "greedy"}` or `{"name": "typical",
/// "temperature": T, "posterior_threshold": ε, "posterior_alpha": δ}` (the original's
/// deterministic `fast` typical acceptance, root = argmax).
public struct ReferenceVerification: Codable, Equatable, Sendable {
  /// `greedy` or `typical`.
  public var name: String
  /// Typical only: the softmax temperature.
  public var temperature: Double?
  /// Typical only: ε.
  public var posteriorThreshold: Double?
  /// Typical only: δ.
  public var posteriorAlpha: Double?

  /// Greedy verification.
  public static let greedy = ReferenceVerification(name: "greedy")

  /// A verification description.
  public init(
    name: String, temperature: Double? = nil, posteriorThreshold: Double? = nil,
    posteriorAlpha: Double? = nil
  ) {
    self.name = name
    self.temperature = temperature
    self.posteriorThreshold = posteriorThreshold
    self.posteriorAlpha = posteriorAlpha
  }

  /// The description of `verification`, or nil for a sampling mode (not deterministic across
  /// backends, so not in a reference).
  public init?(_ verification: Verification) {
    switch verification {
    case .greedy: self = .greedy
    case .typical(let acceptance):
      self.init(
        name: "typical", temperature: acceptance.temperature,
        posteriorThreshold: acceptance.posteriorThreshold,
        posteriorAlpha: acceptance.posteriorAlpha)
    default: return nil
    }
  }

  /// The decoder's verification, or nil when the name or a parameter is not understood.
  public var verification: Verification? {
    switch name {
    case "greedy": return .greedy
    case "typical":
      guard let temperature else { return nil }
      return .typical(
        TypicalAcceptance(
          temperature: temperature, posteriorThreshold: posteriorThreshold ?? 0.09,
          posteriorAlpha: posteriorAlpha ?? 0.3))
    default: return nil
    }
  }

  /// True for greedy verification (lossless: Medusa output equals autoregressive output).
  public var isGreedy: Bool { name == "greedy" }

  enum CodingKeys: String, CodingKey {
    case name, temperature
    case posteriorThreshold = "posterior_threshold"
    case posteriorAlpha = "posterior_alpha"
  }
}
