/// The outcome of verifying one step's candidates (the original `evaluate_posterior` returns
/// `best_candidate, accept_length`): the tokens appended are
/// `candidates[bestCandidate][0...acceptLength]`, the base token plus `acceptLength` head tokens.
public struct Verdict: Equatable, Sendable {
  /// Row of ``Candidates/candidates`` (and of ``TreeBuffers/retrieveIndices``) that wins.
  public var bestCandidate: Int
  /// Number of head tokens accepted after the base token (0 when none is).
  public var acceptLength: Int

  /// A verdict for row `bestCandidate` with `acceptLength` accepted head tokens.
  public init(bestCandidate: Int, acceptLength: Int) {
    self.bestCandidate = bestCandidate
    self.acceptLength = acceptLength
  }
}

/// Why a posterior evaluation could not run: the inputs do not belong to one tree and step.
public enum PosteriorError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Logit rows and candidate rows differ in number.
  case rowCountMismatch(logitRows: Int, candidateRows: Int)
  /// Row `row` has `logitColumns` logit vectors for `candidateColumns` candidate tokens.
  case columnCountMismatch(row: Int, logitColumns: Int, candidateColumns: Int)
  /// The logit vector at `row`, `column` is empty.
  case emptyLogits(row: Int, column: Int)
  /// A parameter is outside its domain (temperature <= 0, top-p <= 0, NaN ...).
  case invalidParameter(name: String, value: Double)
  /// A node index that is neither a node nor the -1 pad.
  case nodeOutOfRange(row: Int, column: Int, node: Int, nodeCount: Int)

  /// A one-line message naming the row, column or parameter.
  public var description: String {
    switch self {
    case .rowCountMismatch(let logitRows, let candidateRows):
      return "posterior: \(logitRows) logit rows for \(candidateRows) candidate rows"
    case .columnCountMismatch(let row, let logitColumns, let candidateColumns):
      return "posterior: row \(row) has \(logitColumns) logit vectors for "
        + "\(candidateColumns) candidate tokens"
    case .emptyLogits(let row, let column):
      return "posterior: empty logit vector at row \(row), column \(column)"
    case .invalidParameter(let name, let value):
      return "posterior: \(name) = \(value) is outside its domain"
    case .nodeOutOfRange(let row, let column, let node, let nodeCount):
      return "posterior: retrieve index \(node) at row \(row), column \(column) is not one of "
        + "\(nodeCount) nodes"
    }
  }
}

/// Posterior evaluation: choosing the longest acceptable candidate prefix (paper §2.1.2 for the
/// tree, §2.3.1 typical acceptance; the original `evaluate_posterior`). All functions are pure:
/// per-path logits and candidates in, a ``Verdict`` out.
///
/// Logits arrive as `Float` (the model's output) and every probability, logarithm and
/// exponential is computed in `Double`. Ties in argmax go to the lowest token id (``Greedy``).
public enum Posterior {
  /// Gathers the per-path logits the original's `tree_decoding` builds with
  /// `tree_logits[0, retrieve_indices]`: entry `[r][j]` is the logit vector of tree node
  /// `retrieveIndices[r][j]`. For a -1 pad the original's negative index reads the *last* tree
  /// node (`nodeLogits[nodeCount - 1]`); this helper does the same, so the gathered array has
  /// the original's shape and contents. The verdict functions never accept a pad position, so
  /// those entries only ever feed an entropy that no decision depends on.
  ///
  /// Arrays are copy-on-write: the gathered rows share storage with `nodeLogits`.
  public static func gatherPathLogits(nodeLogits: [[Float]], retrieveIndices: [[Int]])
    throws(PosteriorError) -> [[[Float]]]
  {
    var gathered: [[[Float]]] = []
    gathered.reserveCapacity(retrieveIndices.count)
    for (row, indices) in retrieveIndices.enumerated() {
      var columns: [[Float]] = []
      columns.reserveCapacity(indices.count)
      for (column, node) in indices.enumerated() {
        let resolved = node == -1 ? nodeLogits.count - 1 : node
        guard resolved >= 0, resolved < nodeLogits.count else {
          throw .nodeOutOfRange(row: row, column: column, node: node, nodeCount: nodeLogits.count)
        }
        columns.append(nodeLogits[resolved])
      }
      gathered.append(columns)
    }
    return gathered
  }

  /// Checks that `pathLogits` and `candidates` have the same rows and columns and no empty
  /// logit vector.
  static func checkShapes(_ pathLogits: [[[Float]]], _ candidates: Candidates)
    throws(PosteriorError)
  {
    guard pathLogits.count == candidates.candidates.count else {
      throw .rowCountMismatch(
        logitRows: pathLogits.count, candidateRows: candidates.candidates.count)
    }
    for (row, logits) in pathLogits.enumerated() {
      let tokens = candidates.candidates[row]
      guard logits.count == tokens.count else {
        throw .columnCountMismatch(
          row: row, logitColumns: logits.count, candidateColumns: tokens.count)
      }
      for (column, vector) in logits.enumerated() where vector.isEmpty {
        throw .emptyLogits(row: row, column: column)
      }
    }
  }

  /// Length of the run of leading `true`s: `torch.cumprod(mask).sum()` of the original.
  package static func leadingRun(_ accepted: [Bool]) -> Int {
    accepted.firstIndex(of: false) ?? accepted.count
  }

  /// The original's choice among rows with accept lengths `lengths`: the first row with the
  /// largest length (`torch.argmax`), or row 0 when nothing is accepted.
  package static func firstLongest(_ lengths: [Int]) -> Verdict {
    let longest = lengths.max() ?? 0
    guard longest > 0, let row = lengths.firstIndex(of: longest) else {
      return Verdict(bestCandidate: 0, acceptLength: 0)
    }
    return Verdict(bestCandidate: row, acceptLength: longest)
  }
}
