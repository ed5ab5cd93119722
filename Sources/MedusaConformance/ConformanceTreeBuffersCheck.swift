import Medusa

/// Level 1: a candidate's tree buffers (`tree_buffers`, the original `generate_medusa_buffers`
/// layout) against this project's ``TreeBuffers``, which equal the original's for every Golden
/// tree (Golden/cases/trees/buffers.json). A tree is looked up by name in the reference, then
/// among the named Golden trees (``ConformanceTrees``). Exact comparison, field by field.
enum TreeBuffersCheck {
  /// One result per tree the candidate gave.
  static func run(reference: ConformanceReference, candidate: ConformanceCandidate)
    -> [TreeBuffersResult]
  {
    (candidate.treeBuffers ?? []).map { given in
      let paths =
        reference.trees.first { $0.name == given.name }?.choices
        ?? ConformanceTrees.paths(named: given.name)
      guard let paths,
        let choices = try? MedusaChoices(paths: paths, headCount: paths.map(\.count).max() ?? 0)
      else {
        return TreeBuffersResult(
          name: given.name, compared: [],
          difference: "not a tree of the reference nor a named Golden tree")
      }
      return compare(given, TreeBuffers(choices: choices))
    }
  }

  private static func compare(_ given: CandidateTreeBuffers, _ buffers: TreeBuffers)
    -> TreeBuffersResult
  {
    var compared: [String] = []
    var difference: String?
    func check<Value: Equatable>(_ field: String, _ got: Value?, _ want: Value) {
      guard let got else { return }
      compared.append(field)
      if difference == nil, got != want { difference = "\(field): \(describe(got, want))" }
    }
    check("tree_indices", given.treeIndices, buffers.treeIndices)
    check("position_ids", given.positionIDs, buffers.positionIDs)
    check("retrieve_indices", given.retrieveIndices, buffers.retrieveIndices)
    check("attn_mask", given.attnMask, buffers.attentionMask.map { $0.map { $0 ? 1 : 0 } })
    return TreeBuffersResult(name: given.name, compared: compared, difference: difference)
  }

  /// The first differing entry of two buffers, or their sizes.
  private static func describe<Value: Equatable>(_ got: Value, _ want: Value) -> String {
    if let a = got as? [Int], let b = want as? [Int] {
      guard a.count == b.count else { return "\(a.count) entries, expected \(b.count)" }
      let index = a.indices.first { a[$0] != b[$0] } ?? 0
      return "entry \(index) is \(a[index]), expected \(b[index])"
    }
    if let a = got as? [[Int]], let b = want as? [[Int]] {
      guard a.count == b.count else { return "\(a.count) rows, expected \(b.count)" }
      let row = a.indices.first { a[$0] != b[$0] } ?? 0
      return "row \(row) is \(a[row]), expected \(b[row])"
    }
    return "differs"
  }
}
