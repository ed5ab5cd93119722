import Medusa

/// Level 6 against a reference that holds the K largest logits per position (`top_logits`,
/// `emit --top-logits K`) instead of full rows. At every compared output position each of the
/// reference's K ids must be in what the candidate gave — its full `logits` row or its own
/// `top_logits` list — with a value within `atol + rtol·|expected|`. An id missing from the
/// candidate is a failure, except from an own list of at least K entries when the reference's
/// logit is within tolerance of that list's smallest value: rounding may have moved it just
/// below the candidate's cut.
extension CaseComparison {
  /// What a candidate gave for the logits of its output positions.
  enum GivenLogits {
    /// Full rows (`logits`).
    case rows([[Float]])
    /// The backend's own largest logits (`top_logits`).
    case top(TopLogits)
  }

  /// One output position of what the candidate gave, looked up by token id.
  struct GivenRow {
    /// The full row, when the candidate gave rows.
    var row: [Float]?
    /// The own list by id (first occurrence of an id), when it gave `top_logits`.
    var list: [Int: Float] = [:]
    /// Entries of the own list.
    var count = 0
    /// The smallest value of the own list.
    var minimum = Float.infinity
    /// The largest entry of the own list (ties to the lowest id).
    var best: Int?
    /// Why the own list cannot be read (ids and values of different lengths).
    var malformed: String?

    /// The candidate's logit of token `id`, when it gave one.
    func value(_ id: Int) -> Float? {
      if let row { return id >= 0 && id < row.count ? row[id] : nil }
      return list[id]
    }
  }

  /// Why a candidate position does not match a reference position on the reference's ids.
  enum TopLogitsMismatch: Equatable {
    /// Token `token` (rank `rank`, 0 = top-1) is beyond tolerance by `error`.
    case beyond(token: Int, rank: Int, error: Float)
    /// Token `token` (rank `rank`) is not in what the candidate gave.
    case missing(token: Int, rank: Int, expected: Float)
    /// The candidate's own list cannot be read.
    case malformed(String)
  }

  /// Compares the candidate's own `top_logits` with the reference's, when it has them.
  mutating func compareOwnTopLogits(_ top: TopLogits) {
    guard let expected = reference.topLogits else {
      compared.append("top_logits: not in the reference (emit with --top-logits K)")
      return
    }
    compareTopLogits(.top(top), expected: expected)
  }

  /// Compares what the candidate gave with the reference's top-K logits, position by position
  /// up to the first output divergence (included); names the first failure's position.
  mutating func compareTopLogits(_ given: GivenLogits, expected: TopLogits) {
    levels.insert(6)
    let rows = Self.givenRows(given)
    let ids = candidate.outputIDs
    let limit = min(rows.count, ids.count, idsLimit ?? Int.max)
    let field: String
    switch given {
    case .rows: field = "logits"
    case .top: field = "top_logits"
    }
    if case .top = given, selfInconsistency == nil {
      for position in 0..<limit {
        guard isArgmaxChoice(position), let best = rows[position].best, best != ids[position]
        else { continue }
        selfInconsistency = position
        notes.append(
          "the candidate's own top_logits at position \(position) have \(best) first but it emitted \(ids[position])"
        )
        break
      }
    }
    let referenceCount = min(expected.ids.count, expected.values.count)
    let available = min(limit, referenceCount)
    let end = min(available, (divergence?.position ?? Int.max - 1) + 1)
    let k = expected.ids.first?.count ?? 0
    var within = 0
    for position in 0..<end {
      if let mismatch = mismatch(rows[position], expected, position, idShift: 0) {
        logitsViolation = position
        let text = describe(mismatch, position: position, row: rows[position], k: k, field: field)
        notes.append(text)
        topLogitsFinding = Diagnosis(.logitsTolerance, text, field: field)
        break
      }
      within += 1
    }
    compared.append("top-\(k) logits \(within)/\(end) within tolerance")
    if logitsViolation != nil || selfInconsistency != nil {
      logitsMisalignment = misalignment(end: available, referenceCount: referenceCount) {
        mismatch(rows[$0], expected, $1, idShift: $2) == nil
      }
    }
  }

  /// The candidate's positions as lookups.
  private static func givenRows(_ given: GivenLogits) -> [GivenRow] {
    switch given {
    case .rows(let rows):
      return rows.map { GivenRow(row: $0) }
    case .top(let top):
      return (0..<max(top.ids.count, top.values.count)).map { position in
        let ids = position < top.ids.count ? top.ids[position] : []
        let values = position < top.values.count ? top.values[position] : []
        var given = GivenRow(count: ids.count)
        guard ids.count == values.count else {
          given.malformed =
            "top_logits row \(position) has \(ids.count) ids and \(values.count) values"
          return given
        }
        for (id, value) in zip(ids, values) where given.list[id] == nil {
          if let best = given.best, let top = given.list[best] {
            if value > top || (value == top && id < best) { given.best = id }
          } else {
            given.best = id
          }
          given.list[id] = value
          given.minimum = min(given.minimum, value)
        }
        return given
      }
    }
  }

  /// The first reference id of position `other` that `given` lacks or holds beyond tolerance;
  /// `idShift` reads token `id`'s logit at entry `id − idShift` (misalignment probes).
  private func mismatch(_ given: GivenRow, _ expected: TopLogits, _ other: Int, idShift: Int)
    -> TopLogitsMismatch?
  {
    if let malformed = given.malformed { return .malformed(malformed) }
    let ids = expected.ids[other]
    for (rank, (id, want)) in zip(ids, expected.values[other]).enumerated() {
      let tolerance = options.logitsAbsolute + options.logitsRelative * abs(want)
      guard let got = given.value(id - idShift) else {
        if given.row == nil, given.count >= ids.count, want - tolerance <= given.minimum {
          continue
        }
        return .missing(token: id, rank: rank, expected: want)
      }
      let error = abs(got - want)
      if !(error <= tolerance) { return .beyond(token: id, rank: rank, error: error) }
    }
    return nil
  }

  /// A note naming the position, the token and the rule it broke.
  private func describe(
    _ mismatch: TopLogitsMismatch, position: Int, row: GivenRow, k: Int, field: String
  ) -> String {
    switch mismatch {
    case .malformed(let reason):
      return "at output position \(position) \(reason)"
    case .beyond(let token, let rank, let error):
      return
        "at output position \(position) the logit of token \(token) (rank \(rank + 1) of the reference's top-\(k)) is off by |got − expected| = \(error), beyond \(options.logitsAbsolute) + \(options.logitsRelative)·|expected|: numerics (dtype, accumulation order, fused kernels) or a small real error"
    case .missing(let token, let rank, let expected):
      let detail =
        row.row != nil
        ? "its logits row has \(row.row?.count ?? 0) entries"
        : row.count < k
          ? "its list has \(row.count) entries, fewer than \(k)"
          : "the reference's logit \(expected) is above its list's smallest, \(row.minimum), by more than the tolerance"
      return
        "at output position \(position) the candidate's \(field) lack token \(token), rank \(rank + 1) of the reference's top-\(k) (\(detail)): a backend must give every id of the reference's list (report more entries, or full rows)"
    }
  }
}
