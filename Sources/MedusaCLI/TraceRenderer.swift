import Medusa

/// `--trace`: one Medusa step drawn for a human. Every tree node on its own line, indented
/// by depth, with its token; the accepted path is marked `*` and the chosen candidate row
/// and accept length head the block.
enum TraceRenderer {
  static func render(step: MedusaStepRecord, index: Int, tree: TreeBuffers, printer: TokenPrinter)
    -> String
  {
    let accepted = Set(tree.retrieveIndices[step.bestCandidate].prefix(step.acceptLength + 1))
    var lines = [
      "step \(index): candidate \(step.bestCandidate), accept length \(step.acceptLength), tokens "
        + step.tokens.map(printer.piece).joined(separator: " ")
    ]
    for node in 0..<tree.nodeCount {
      let mark = accepted.contains(node) ? "*" : " "
      let indent = String(repeating: "  ", count: tree.depth[node])
      let path = node == 0 ? "root" : "\(tree.sortedPaths[node - 1])"
      lines.append("  \(mark) \(indent)\(path) \(printer.piece(step.treeCandidates[node]))")
    }
    return lines.joined(separator: "\n")
  }
}
