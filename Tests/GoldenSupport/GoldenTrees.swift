import Foundation

/// Loads the JSON files of `Golden/cases/trees/`, written by
/// `Golden/tools/medusa_original_reference.py` from the original implementation.
public enum GoldenTrees {
  /// One tree and the original `generate_medusa_buffers` output for it.
  public struct BuffersCase: Decodable {
    /// `name` in the file.
    public let name: String
    /// `choices` in the file.
    public let choices: [[Int]]
    /// `attn_mask` in the file.
    public let attnMask: [[Int]]
    /// `tree_indices` in the file.
    public let treeIndices: [Int]
    /// `position_ids` in the file.
    public let positionIds: [Int]
    /// `retrieve_indices` in the file.
    public let retrieveIndices: [[Int]]
  }

  /// A verdict as the golden files spell it.
  public struct GoldenVerdict: Decodable, Equatable {
    /// `best_candidate` in the file.
    public let bestCandidate: Int
    /// `accept_length` in the file.
    public let acceptLength: Int
  }

  /// One posterior case: a tree, the step's tokens and logits, and the original's verdicts.
  public struct PosteriorCase: Decodable {
    /// `id` in the file.
    public let id: Int
    /// `tree` in the file.
    public let tree: String
    /// `choices` in the file.
    public let choices: [[Int]]
    /// `heads` in the file.
    public let heads: Int
    /// `temperature` in the file.
    public let temperature: Double
    /// `posterior_threshold` in the file.
    public let posteriorThreshold: Double
    /// `posterior_alpha` in the file.
    public let posteriorAlpha: Double
    /// `base_token` in the file.
    public let baseToken: Int
    /// `head_topk` in the file.
    public let headTopk: [[Int]]
    /// `tree_candidates` in the file.
    public let treeCandidates: [Int]
    /// `candidates` in the file.
    public let candidates: [[Int]]
    /// `node_logits` in the file.
    public let nodeLogits: [[Float]]
    /// `original` in the file.
    public let original: GoldenVerdict
    /// `expected` in the file.
    public let expected: GoldenVerdict
    /// `pad_accepted_by_original` in the file.
    public let padAcceptedByOriginal: Bool
  }

  /// A file of `Golden/cases/trees/`: its list of cases.
  public struct File<Case: Decodable>: Decodable {
    /// `cases` in the file.
    public let cases: [Case]
  }

  /// `Golden/cases/trees` of this repository.
  public static func directory() throws -> URL {
    Golden.root.appendingPathComponent("Golden/cases/trees")
  }

  /// The cases of the file `name` of `Golden/cases/trees/`, snake_case keys as camelCase.
  public static func load<Case: Decodable>(_ name: String, as: Case.Type) throws -> [Case] {
    let data = try Data(contentsOf: directory().appendingPathComponent(name))
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(File<Case>.self, from: data).cases
  }

  /// The cases of `buffers.json`.
  public static func buffers() throws -> [BuffersCase] {
    try load("buffers.json", as: BuffersCase.self)
  }

  /// The cases of `posterior.json`.
  public static func posterior() throws -> [PosteriorCase] {
    try load("posterior.json", as: PosteriorCase.self)
  }
}
