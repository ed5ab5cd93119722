import Medusa

/// Compares another backend's output (a ``ConformanceCandidate``) with a
/// ``ConformanceReference``, level by level (Docs/CONFORMANCE.md §2): tree buffers,
/// autoregressive ids, Medusa ids, per-step traces, typical acceptance, logits within a
/// tolerance. For the first divergence it reports the reference's margin there and a
/// ``Diagnosis``; the original code's documented ``Deviation``s are named, not blamed.
public enum ConformanceCheck {
  /// Thresholds of a check.
  public struct Options: Sendable, Equatable {
    /// The default relative near-tie threshold, 1e-3 (Docs/CONFORMANCE.md explains why).
    public static let defaultNearTie = 1e-3

    /// A divergence where the reference margin is at most
    /// `nearTieRelative × max(1, |top-1 logit|)` is a near-tie; nil takes the reference's.
    public var nearTieRelative: Double?
    /// Logits agree when `|got − expected| ≤ logitsAbsolute + logitsRelative × |expected|`.
    public var logitsAbsolute: Float
    /// See ``logitsAbsolute``.
    public var logitsRelative: Float
    /// When true a near-tie divergence fails the case too, and so does every ``Deviation``.
    public var strict: Bool
    /// Whether the original's documented deviations pass (as notes) or fail.
    public var semantics: Semantics

    /// Options; the defaults suit float32 backends.
    public init(
      nearTieRelative: Double? = nil, logitsAbsolute: Float = 1e-4, logitsRelative: Float = 1e-4,
      strict: Bool = false, semantics: Semantics = .original
    ) {
      self.nearTieRelative = nearTieRelative
      self.logitsAbsolute = logitsAbsolute
      self.logitsRelative = logitsRelative
      self.strict = strict
      self.semantics = semantics
    }

    /// True when deviations fail: `--strict` or `--semantics swift-medusa`.
    var deviationsFail: Bool { strict || semantics == .swiftMedusa }
  }

  /// Checks every reference case against the candidate case of the same id, and the
  /// candidate's tree buffers (level 1) against this project's.
  public static func run(
    reference: ConformanceReference, candidate: ConformanceCandidate, options: Options = Options()
  ) -> ConformanceReport {
    var byID: [String: CandidateCase] = [:]
    var duplicates: [String] = []
    for item in candidate.cases {
      if byID[item.id] == nil {
        byID[item.id] = item
      } else if !duplicates.contains(item.id) {
        duplicates.append(item.id)
      }
    }
    let nearTie = options.nearTieRelative ?? reference.nearTieRelative
    let trees = TreeShapes(reference: reference)
    let results = reference.cases.map { expected -> CaseResult in
      let verification = expected.verification?.name ?? "greedy"
      guard let got = byID[expected.id] else {
        return CaseResult(
          id: expected.id, status: .fail, compared: [], divergence: nil, stepDifference: nil,
          notes: [],
          diagnosis: Diagnosis(.missingCase, "the candidate file has no case \"\(expected.id)\""),
          verification: verification)
      }
      if duplicates.contains(expected.id) {
        let count = candidate.cases.filter { $0.id == expected.id }.count
        return CaseResult(
          id: expected.id, status: .fail, compared: [], divergence: nil, stepDifference: nil,
          notes: [],
          diagnosis: Diagnosis(
            .duplicateCase,
            "the candidate file has \(count) cases with id \"\(expected.id)\"; ids must be unique"),
          verification: verification)
      }
      var comparison = CaseComparison(
        reference: expected, candidate: got, stop: reference.stop, nearTie: nearTie,
        options: options, shape: trees.shape(expected.tree))
      comparison.compare()
      let diagnosis = comparison.diagnose()
      let status: CaseResult.Status
      switch diagnosis?.cause {
      case nil: status = .pass
      case .nearTie?: status = options.strict ? .fail : .nearTie
      default: status = .fail
      }
      return CaseResult(
        id: expected.id, status: status, compared: comparison.compared,
        divergence: comparison.divergence, stepDifference: comparison.stepDifference,
        notes: comparison.notes, diagnosis: diagnosis, deviations: comparison.deviations,
        verification: verification, levels: comparison.levels)
    }
    let known = Set(reference.cases.map(\.id))
    var report = ConformanceReport(
      cases: RunEvidence.combine(results),
      unknownCandidateIDs: candidate.cases.map(\.id).filter { !known.contains($0) })
    report.duplicateCandidateIDs = duplicates.filter { known.contains($0) }
    var seen = Set<String>()
    report.unknownCandidateIDs = report.unknownCandidateIDs.filter { seen.insert($0).inserted }
    report.trees = TreeBuffersCheck.run(reference: reference, candidate: candidate)
    report.semantics = options.strict ? .swiftMedusa : options.semantics
    return report
  }
}
