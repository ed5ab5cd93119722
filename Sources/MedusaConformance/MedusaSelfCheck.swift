import Llama
import Medusa
import MedusaKernels

/// The first disagreement a ``MedusaSelfCheck`` found.
public struct SelfCheckMismatch: Equatable, Sendable, CustomStringConvertible {
  /// What disagreed.
  public enum Kind: String, Sendable {
    /// A tree node's logits differ from decoding its path one token at a time.
    case nodeLogits = "node logits"
    /// The cache length after compaction is not prompt + output.
    case cacheLength = "cache length"
    /// A key row after compaction differs from the autoregressive cache's.
    case cacheKeys = "cache keys"
    /// A value row after compaction differs from the autoregressive cache's.
    case cacheValues = "cache values"
    /// A step's tree candidates differ from those of heads run on the reference hidden state.
    case treeCandidates = "tree candidates"
  }

  /// 0-based step.
  public var step: Int
  /// What disagreed.
  public var kind: Kind
  /// The tree node, the layer or the cache row concerned, where one applies.
  public var node: Int?
  /// See ``node``.
  public var layer: Int?
  /// See ``node``.
  public var row: Int?

  /// One line naming the step and the place.
  public var description: String {
    let place = [
      node.map { "node \($0)" }, layer.map { "layer \($0)" }, row.map { "row \($0)" },
    ].compactMap { $0 }.joined(separator: ", ")
    return "step \(step): \(kind.rawValue) differ\(place.isEmpty ? "" : " at \(place)")"
  }
}

/// What a ``MedusaSelfCheck`` run checked and found.
public struct SelfCheckReport: Sendable, CustomStringConvertible {
  /// The decoder's output ids.
  public var outputIDs: [Int] = []
  /// Medusa steps run.
  public var steps = 0
  /// Tree nodes whose logits were compared.
  public var nodesChecked = 0
  /// Cache rows (all layers, keys and values) compared after compaction.
  public var cacheRowsChecked = 0
  /// The first disagreement (checking stops there; decoding runs on).
  public var firstMismatch: SelfCheckMismatch?

  /// True when nothing disagreed.
  public var passed: Bool { firstMismatch == nil }

  /// The ``summary``.
  public var description: String { summary }

  /// One line for `medusa generate --verify`.
  public var summary: String {
    let counts =
      "\(steps) steps, \(nodesChecked) tree nodes, \(cacheRowsChecked) cache rows checked bitwise"
    guard let firstMismatch else { return "self-check passed: \(counts)" }
    return "self-check FAILED: \(firstMismatch) (\(counts))"
  }
}

/// A run-time self-check of a ``MedusaDecoder`` (the lossless property, paper §2.3.1 greedy
/// verification): during a real run it checks, every step, that each tree node's logits equal
/// decoding the node's path one token at a time after the committed sequence, that the KV
/// cache after compaction equals the cache autoregressive decoding builds, and that the next
/// step's tree candidates come from heads run on the last accepted token's hidden state. All
/// comparisons are bitwise; the first mismatch is named.
///
/// Cost: one single-token forward per tree node per step (nodes are visited depth-first, so a
/// node reuses its parent's rows), plus one per accepted token, on a second cache.
public enum MedusaSelfCheck {
  /// Decodes `prompt` with `decoder` until `stop`, checking every step.
  public static func run(
    decoder: MedusaDecoder, prompt: [Int], stop: StopRule, verification: Verification = .greedy
  ) throws(MedusaError) -> SelfCheckReport {
    let tree = decoder.tree
    let checker: ReferenceDecoding
    do {
      checker = try ReferenceDecoding(decoder: decoder, prompt: prompt, extra: stop.maxNewTokens)
    } catch {
      throw .backbone(error)
    }
    var report = SelfCheckReport()
    var expectedCandidates = try checker.treeCandidates(tree: tree)
    report.outputIDs = try StepDriver.run(
      decoder: decoder, prompt: prompt, stop: stop, verification: verification
    ) { observation throws(MedusaError) in
      report.steps += 1
      guard report.firstMismatch == nil else { return }
      let outcome = observation.outcome
      let step = observation.index
      if outcome.record.treeCandidates != expectedCandidates {
        report.firstMismatch = SelfCheckMismatch(step: step, kind: .treeCandidates)
        return
      }
      do throws(LlamaError) {
        if let node = try checker.firstWrongNode(
          tree: tree, tokens: outcome.record.treeCandidates, logits: outcome.treeLogits)
        {
          report.firstMismatch = SelfCheckMismatch(step: step, kind: .nodeLogits, node: node)
          return
        }
        report.nodesChecked += tree.nodeCount
        try checker.append(outcome.record.tokens)
      } catch {
        throw .backbone(error)
      }
      if let mismatch = checker.compareCache(with: decoder.state.cache, from: observation.committed)
      {
        report.firstMismatch = SelfCheckMismatch(
          step: step, kind: mismatch.kind, layer: mismatch.layer, row: mismatch.row)
        return
      }
      report.cacheRowsChecked += outcome.record.tokens.count
      expectedCandidates = try checker.treeCandidates(tree: tree)
    }
    return report
  }
}
