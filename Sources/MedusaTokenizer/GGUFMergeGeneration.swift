/// Merge rules rebuilt from a vocabulary and token scores, for GGUF files that store no
/// `tokenizer.ggml.merges` (SentencePiece-style vocabularies usually do not).
///
/// This is transformers' `generate_merges(vocab, vocab_scores)` step for step (the function its
/// GGUF conversion calls): for each token in file order, every split into two tokens of the
/// vocabulary, ordered by the ids of the left and then the right part; then all of them stably
/// sorted best first by the score of the token they make, then by the length of the left part
/// and of the right part (in Unicode scalars), longest first.
enum GGUFMergeGeneration {
  /// The merges, best first, as pairs of tokens.
  static func merges(tokens: [String], scores: [Double]) -> [(String, String)] {
    let pieces = tokens.map { Array($0.unicodeScalars) }
    var ids: [[Unicode.Scalar]: Int] = [:]
    ids.reserveCapacity(pieces.count)
    for (id, piece) in pieces.enumerated() { ids[piece] = id }
    struct Candidate {
      let left: [Unicode.Scalar]
      let right: [Unicode.Scalar]
      let score: Double
      let order: Int
    }
    var candidates: [Candidate] = []
    for (index, piece) in pieces.enumerated() where piece.count > 1 {
      var local: [(left: [Unicode.Scalar], right: [Unicode.Scalar], ids: (Int, Int))] = []
      for cut in 1..<piece.count {
        let left = Array(piece[..<cut])
        let right = Array(piece[cut...])
        if let leftID = ids[left], let rightID = ids[right] {
          local.append((left, right, (leftID, rightID)))
        }
      }
      local.sort { $0.ids < $1.ids }
      for split in local {
        candidates.append(
          Candidate(
            left: split.left, right: split.right, score: scores[index], order: candidates.count))
      }
    }
    // Python's `sorted(..., reverse=True)` is stable: ties keep their order.
    candidates.sort { a, b in
      if a.score != b.score { return a.score > b.score }
      if a.left.count != b.left.count { return a.left.count > b.left.count }
      if a.right.count != b.right.count { return a.right.count > b.right.count }
      return a.order < b.order
    }
    return candidates.map { (scalarString($0.left), scalarString($0.right)) }
  }
}
