import Foundation
import Medusa

/// A conformance reference file (`medusa conformance emit`, Docs/CONFORMANCE.md): for one
/// backbone and one set of heads, per case (prompt × tree) the autoregressive and Medusa
/// greedy output ids, the per-step Medusa trace and, at every emitted position, how close the
/// greedy choice was (top-1, top-2 and their logit margin). Another backend's output is
/// compared against it by ``ConformanceCheck``.
public struct ConformanceReference: Codable, Equatable, Sendable {
  /// The value of `format` in every reference file.
  public static let formatName = "medusa-conformance-reference"
  /// The format version this code writes and reads.
  public static let currentVersion = 1

  /// Always ``formatName``.
  public var format: String = Self.formatName
  /// Always ``currentVersion``.
  public var formatVersion: Int = Self.currentVersion
  /// Who wrote the file.
  public var generator: String
  /// The backbone.
  public var model: ReferenceModel
  /// The Medusa heads.
  public var heads: ReferenceHeads
  /// Top-k slots per head (`TOPK`, 10).
  public var topK: Int
  /// The stop rule every case ran under.
  public var stop: ReferenceStop
  /// The trees the cases use, by name.
  public var trees: [ReferenceTree]
  /// Default near-tie threshold, relative (see ``ConformanceCheck/Options/nearTieRelative``).
  public var nearTieRelative: Double
  /// The cases, one per prompt and tree.
  public var cases: [ReferenceCase]

  /// A reference with the current format and version.
  public init(
    generator: String, model: ReferenceModel, heads: ReferenceHeads, topK: Int,
    stop: ReferenceStop, trees: [ReferenceTree], nearTieRelative: Double, cases: [ReferenceCase]
  ) {
    self.generator = generator
    self.model = model
    self.heads = heads
    self.topK = topK
    self.stop = stop
    self.trees = trees
    self.nearTieRelative = nearTieRelative
    self.cases = cases
  }

  enum CodingKeys: String, CodingKey {
    case format, generator, model, heads, stop, trees, cases
    case formatVersion = "format_version"
    case topK = "topk"
    case nearTieRelative = "near_tie_relative"
  }
}

/// The backbone a reference was made with.
public struct ReferenceModel: Codable, Equatable, Sendable {
  /// The folder as given to `emit`.
  public var path: String
  /// The vocabulary size (length of every logits row).
  public var vocabSize: Int
  /// The model's end-of-sequence ids (from its config).
  public var eosTokenIDs: [Int]

  /// A model description.
  public init(path: String, vocabSize: Int, eosTokenIDs: [Int]) {
    self.path = path
    self.vocabSize = vocabSize
    self.eosTokenIDs = eosTokenIDs
  }

  enum CodingKeys: String, CodingKey {
    case path
    case vocabSize = "vocab_size"
    case eosTokenIDs = "eos_token_ids"
  }
}

/// The Medusa heads a reference was made with.
public struct ReferenceHeads: Codable, Equatable, Sendable {
  /// The folder as given to `emit`.
  public var path: String
  /// Number of heads.
  public var headCount: Int
  /// ResBlocks per head.
  public var layerCount: Int

  /// A heads description.
  public init(path: String, headCount: Int, layerCount: Int) {
    self.path = path
    self.headCount = headCount
    self.layerCount = layerCount
  }

  enum CodingKeys: String, CodingKey {
    case path
    case headCount = "head_count"
    case layerCount = "layer_count"
  }
}

/// When every case stopped: at `max_new_tokens`, or at the first of `stop_token_ids` (kept in
/// the output, even inside an accepted chunk). An empty list means EOS was ignored.
public struct ReferenceStop: Codable, Equatable, Sendable {
  /// The most new tokens.
  public var maxNewTokens: Int
  /// Token ids that end generation, ascending.
  public var stopTokenIDs: [Int]

  /// A stop description.
  public init(maxNewTokens: Int, stopTokenIDs: [Int]) {
    self.maxNewTokens = maxNewTokens
    self.stopTokenIDs = stopTokenIDs
  }

  enum CodingKeys: String, CodingKey {
    case maxNewTokens = "max_new_tokens"
    case stopTokenIDs = "stop_token_ids"
  }
}

/// A named tree: the full, prefix-closed `medusa_choices` list.
public struct ReferenceTree: Codable, Equatable, Sendable {
  /// The name cases refer to.
  public var name: String
  /// The paths, in the order given.
  public var choices: [[Int]]

  /// A named tree.
  public init(name: String, choices: [[Int]]) {
    self.name = name
    self.choices = choices
  }
}

/// One prompt decoded with one tree.
public struct ReferenceCase: Codable, Equatable, Sendable {
  /// Unique within the file: `p<prompt index>/<tree name>`.
  public var id: String
  /// The tree's name (an entry of ``ConformanceReference/trees``).
  public var tree: String
  /// The prompt as token ids.
  public var promptIDs: [Int]
  /// Greedy autoregressive output.
  public var arOutputIDs: [Int]
  /// Greedy Medusa output (equal to ``arOutputIDs``).
  public var medusaOutputIDs: [Int]
  /// Per emitted position: the greedy token (top-1, ties to the lowest id).
  public var top1IDs: [Int]
  /// Per emitted position: the runner-up token.
  public var top2IDs: [Int]
  /// Per emitted position: the top-1 logit.
  public var top1Logits: [Float]
  /// Per emitted position: top-1 logit minus top-2 logit (0 on an exact tie).
  public var margins: [Float]
  /// The Medusa trace, one record per step.
  public var steps: [ReferenceStep]
  /// Optional: the full logits row every output token was chosen from.
  public var logits: [[Float]]?
  /// Optional (`emit --top-logits K`): the K largest logits of those rows, ids and values.
  public var topLogits: TopLogits?
  /// How the case verified candidates; absent (nil) means greedy.
  public var verification: ReferenceVerification?

  /// A reference case.
  public init(
    id: String, tree: String, promptIDs: [Int], arOutputIDs: [Int], medusaOutputIDs: [Int],
    top1IDs: [Int], top2IDs: [Int], top1Logits: [Float], margins: [Float],
    steps: [ReferenceStep], logits: [[Float]]?, verification: ReferenceVerification? = nil,
    topLogits: TopLogits? = nil
  ) {
    self.id = id
    self.topLogits = topLogits
    self.verification = verification
    self.tree = tree
    self.promptIDs = promptIDs
    self.arOutputIDs = arOutputIDs
    self.medusaOutputIDs = medusaOutputIDs
    self.top1IDs = top1IDs
    self.top2IDs = top2IDs
    self.top1Logits = top1Logits
    self.margins = margins
    self.steps = steps
    self.logits = logits
  }

  enum CodingKeys: String, CodingKey {
    case id, tree, margins, steps, logits, verification
    case promptIDs = "prompt_ids"
    case arOutputIDs = "ar_output_ids"
    case medusaOutputIDs = "medusa_output_ids"
    case top1IDs = "top1_ids"
    case top2IDs = "top2_ids"
    case top1Logits = "top1_logits"
    case topLogits = "top_logits"
  }
}
