extension Posterior {
  /// Greedy verification (the original `evaluate_posterior` with `temperature == 0`): the head
  /// token at column `j + 1` of a row is accepted while it equals the argmax of the logits at
  /// column `j` (ties to the lowest id) and every earlier one was accepted. The verdict is the
  /// first row with the longest accepted prefix, or row 0 with length 0. This is lossless:
  /// the appended tokens are exactly what greedy autoregressive decoding would produce.
  ///
  /// Deviation from the original: a pad position (``Candidates/isPad``) is never accepted. The
  /// original compares the pad token 0 with the argmax like any other token, so when a short
  /// path is fully accepted and the model's next token is 0 it accepts the pad, appends a token
  /// whose key/value rows and next logits are read from the wrong tree node (the last one).
  public static func greedy(pathLogits: [[[Float]]], candidates: Candidates)
    throws(PosteriorError) -> Verdict
  {
    try checkShapes(pathLogits, candidates)
    let argmaxes = pathLogits.map { $0.map(Greedy.argmax) }
    return greedy(candidates: candidates) { row, column in argmaxes[row][column] }
  }

  /// ``greedy(pathLogits:candidates:)`` reading the argmax of each path column only when it is
  /// needed: `columnArgmax(r, j)` is the argmax of the logits at column `j` of row `r` (node
  /// `retrieveIndices[r][j]`). A row stops at its first rejected column, where the original's
  /// cumulative product stops counting, so no later column of it is read: a decoder computes
  /// the logits of the nodes on accepted prefixes only (``TreeLogits``), and of each node once.
  public static func greedy<E: Error>(
    candidates: Candidates, columnArgmax: (_ row: Int, _ column: Int) throws(E) -> Int
  ) throws(E) -> Verdict {
    var lengths: [Int] = []
    for (row, tokens) in candidates.candidates.enumerated() {
      let pads = candidates.isPad[row]
      var length = 0
      while length + 1 < tokens.count, !pads[length + 1],
        try tokens[length + 1] == columnArgmax(row, length)
      {
        length += 1
      }
      lengths.append(length)
    }
    return firstLongest(lengths)
  }
}
