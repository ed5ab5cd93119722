import Medusa

/// Level 6: the candidate's logits rows (one per output token, the row the token was chosen or
/// verified from) against the reference's, within `atol + rtol·|expected|`; and, with or
/// without reference logits, whether each row is aligned with its token: a row that belongs to
/// the neighbouring position (the logits of column j reported for the token at column j, not
/// j − 1) or a row shifted by one vocabulary entry is named `logits-misaligned`.
extension CaseComparison {
  mutating func compareLogits(_ rows: [[Float]]) {
    let ids = candidate.outputIDs
    let limit = min(rows.count, ids.count, idsLimit ?? Int.max)
    for position in 0..<limit
    where isArgmaxChoice(position) && Self.argmax(rows[position]) != ids[position] {
      selfInconsistency = position
      notes.append(
        "the candidate's own logits at position \(position) have argmax \(Self.argmax(rows[position])) but it emitted \(ids[position])"
      )
      break
    }
    guard let expected = reference.logits else {
      if let top = reference.topLogits {
        compareTopLogits(.rows(rows), expected: top)
        return
      }
      compared.append("logits: not in the reference (emit with --logits or --top-logits K)")
      if selfInconsistency != nil { logitsMisalignment = misalignmentFromIDs(rows, limit: limit) }
      return
    }
    levels.insert(6)
    let end = min(rows.count, expected.count, (divergence?.position ?? Int.max - 1) + 1, limit)
    var within = 0
    for position in 0..<end {
      if let worst = violation(rows[position], expected[position]) {
        logitsViolation = position
        notes.append(
          worst.index < 0
            ? "logits row \(position) has \(rows[position].count) entries, expected \(expected[position].count)"
            : "logits at position \(position), token \(worst.index): |got − expected| = \(worst.error), beyond \(options.logitsAbsolute) + \(options.logitsRelative)·|expected|"
        )
        break
      }
      within += 1
    }
    compared.append("logits \(within)/\(end) within tolerance")
    if logitsViolation != nil || selfInconsistency != nil {
      logitsMisalignment = misalignment(rows, expected, end: min(rows.count, expected.count, limit))
    }
  }

  /// The first entry of `got` beyond tolerance of `want` (index −1: lengths differ).
  private func violation(_ got: [Float], _ want: [Float]) -> (index: Int, error: Float)? {
    guard got.count == want.count else { return (-1, .infinity) }
    for index in want.indices {
      let error = abs(got[index] - want[index])
      if !(error <= options.logitsAbsolute + options.logitsRelative * abs(want[index])) {
        return (index, error)
      }
    }
    return nil
  }

  /// A shift that aligns most rows with the reference's, when the unshifted rows do not.
  private func misalignment(_ rows: [[Float]], _ expected: [[Float]], end: Int) -> Diagnosis? {
    misalignment(end: end, referenceCount: expected.count) { position, other, shift in
      guard shift != 0 else { return violation(rows[position], expected[other]) == nil }
      let row = rows[position]
      let want = expected[other]
      guard row.count == want.count, row.count > 2 else { return false }
      let pairs = (1..<(row.count - 1)).map { (row[$0], want[$0 + shift]) }
      return pairs.allSatisfy {
        abs($0 - $1) <= options.logitsAbsolute + options.logitsRelative * abs($1)
      }
    }
  }

  /// A shift that aligns most of the first `end` positions with the reference's when the
  /// unshifted ones do not: `agrees(p, q, 0)` says the candidate's position `p` matches the
  /// reference's position `q` (probed at `q = p ± 1`), `agrees(p, p, s)` that its entry `i`
  /// holds token `i + s`'s logit (probed at `s = ±1`).
  func misalignment(
    end: Int, referenceCount: Int, agrees: (_ position: Int, _ other: Int, _ idShift: Int) -> Bool
  ) -> Diagnosis? {
    guard end >= 3 else { return nil }
    func matches(_ shift: Int) -> Int {
      (0..<end).filter { position in
        let other = position + shift
        return other >= 0 && other < referenceCount && agrees(position, other, 0)
      }.count
    }
    let aligned = matches(0)
    for shift in [1, -1] where matches(shift) >= max(2, (end - 1) * 9 / 10) && aligned < end / 2 {
      return Diagnosis(
        .logitsMisaligned,
        "the logits row given for output position p matches the reference's row for position p\(shift > 0 ? "+" : "−")1 (\(matches(shift)) of \(end) rows; unshifted \(aligned)): each token's row must be the logits it was verified against, those of the column before it (the previous step's last accepted node for a step's root)",
        field: "logits")
    }
    for shift in [1, -1] {
      let shifted = (0..<end).filter { agrees($0, $0, shift) }.count
      if shifted >= max(2, (end - 1) * 9 / 10), aligned < end / 2 {
        return Diagnosis(
          .logitsMisaligned,
          "each logits row is the reference's shifted by one vocabulary entry (entry i holds token i\(shift > 0 ? "+" : "−")1's logit) in \(shifted) of \(end) rows: the row is read one column off",
          field: "logits")
      }
    }
    return nil
  }

  /// Without reference logits: rows whose argmax is the neighbouring output token.
  private func misalignmentFromIDs(_ rows: [[Float]], limit: Int) -> Diagnosis? {
    let ids = candidate.outputIDs
    guard limit >= 3 else { return nil }
    for shift in [1, -1] {
      let hits = (0..<limit).filter { position in
        let other = position + shift
        return other >= 0 && other < ids.count && Self.argmax(rows[position]) == ids[other]
      }.count
      if hits >= max(2, (limit - 1) * 9 / 10) {
        return Diagnosis(
          .logitsMisaligned,
          "the argmax of the logits row given for output position p is the token at position p\(shift > 0 ? "+" : "−")1 (\(hits) of \(limit) rows): each token's row must be the logits it was verified against, those of the column before it",
          field: "logits")
      }
    }
    return nil
  }

  /// Whether the token at output `position` was the argmax of its row: always under greedy
  /// verification; under typical acceptance only a step's root (the others passed a threshold).
  func isArgmaxChoice(_ position: Int) -> Bool {
    isGreedy || stepAndOffset(of: position).1 == 0
  }

  /// Index of the largest value, ties to the lowest index.
  static func argmax(_ row: [Float]) -> Int {
    row.withUnsafeBufferPointer(Greedy.argmax)
  }
}
