import Medusa

/// A text picture of a Medusa tree and its buffers (`medusa tree show`): the tree drawn with
/// box characters, one node per line, then the tables of ``TreeBuffers``.
public enum TreeDrawing {
  /// The drawing, the node table, the retrieve indices and the attention mask.
  public static func render(name: String, choices: MedusaChoices) -> String {
    let buffers = TreeBuffers(choices: choices)
    var children = [[Int]](repeating: [], count: buffers.nodeCount)
    for node in 1..<buffers.nodeCount { children[buffers.parents[node]].append(node) }
    var lines = [
      "tree \(name): \(buffers.nodeCount) nodes (root + \(buffers.nodeCount - 1) paths), depth \(buffers.maxDepth), \(buffers.retrieveIndices.count) candidate rows, top-k \(MedusaChoices.topK)",
      "",
      "root  n0  (base model argmax)",
    ]
    func draw(_ node: Int, prefix: String) {
      for (index, child) in children[node].enumerated() {
        let last = index == children[node].count - 1
        let path = buffers.sortedPaths[child - 1]
        lines.append(
          "\(prefix)\(last ? "└─" : "├─") slot \(path.last ?? 0)  n\(child)  \(path)  (head \(path.count))"
        )
        draw(child, prefix: prefix + (last ? "   " : "│  "))
      }
    }
    draw(0, prefix: "")
    lines += ["", "node  depth  parent  tree_index  position_id  path"]
    for node in 0..<buffers.nodeCount {
      let path = node == 0 ? "[]" : "\(buffers.sortedPaths[node - 1])"
      lines.append(
        [
          pad(node, 4), pad(buffers.depth[node], 6), pad(buffers.parents[node], 7),
          pad(buffers.treeIndices[node], 11), pad(buffers.positionIDs[node], 12), "  " + path,
        ].joined())
    }
    lines += ["", "retrieve_indices (\(buffers.retrieveIndices.count) × \(buffers.maxDepth + 1)):"]
    lines += buffers.retrieveIndices.map { "  \($0)" }
    lines += ["", "attention mask (row attends to column: 1):"]
    lines += buffers.attentionMask.enumerated().map { row, values in
      pad(row, 4) + "  " + String(values.map { $0 ? "1" : "." })
    }
    return lines.joined(separator: "\n")
  }

  private static func pad(_ value: Int, _ width: Int) -> String {
    let text = String(value)
    return String(repeating: " ", count: max(0, width - text.count)) + text
  }
}
