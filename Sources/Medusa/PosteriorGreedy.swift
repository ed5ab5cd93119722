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
    return greedy(pathArgmax: pathLogits.map { $0.map(Greedy.argmax) }, candidates: candidates)
  }

  /// ``greedy(pathLogits:candidates:)`` on the argmax of each path column, which a decoder
  /// computes once per tree node instead of once per path (`pathArgmax[r][j]` is the argmax of
  /// the logits of node `retrieveIndices[r][j]`). Rows and columns must match `candidates`.
  public static func greedy(pathArgmax: [[Int]], candidates: Candidates) -> Verdict {
    let lengths = pathArgmax.enumerated().map { row, argmaxes in
      let tokens = candidates.candidates[row]
      let pads = candidates.isPad[row]
      let accepted = (0..<max(min(tokens.count, argmaxes.count) - 1, 0)).map { column in
        !pads[column + 1] && tokens[column + 1] == argmaxes[column]
      }
      return leadingRun(accepted)
    }
    return firstLongest(lengths)
  }
}
