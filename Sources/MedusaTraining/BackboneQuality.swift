import Foundation
import Llama
import Medusa
import MedusaKernels

/// How far a backbone trained with Medusa-2 (paper §2.2.2) moved from the original: the paper's
/// claim is that joint training keeps the backbone's quality, which self-distillation (§2.3.2)
/// makes precise as keeping its next-token distribution. Both models are teacher-forced over
/// held-out sequences with the inference forward (``BackboneTeacher``, causal, chunked); every
/// reply position counts — the LM head's logits at position p predicting token p + 1 where
/// p + 1 is in `output_ids` (prompt targets are excluded, as in training).
public enum BackboneQuality {
  /// Over every reply position of `data`: the trained and the original model's perplexity
  /// (`exp` of the mean cross-entropy of the next token), the mean KL(original ‖ trained) of
  /// the next-token distributions in nats, and the fraction of positions where both argmaxes
  /// agree (ties to the lowest id), all accumulated in `Double`. The models must share the
  /// vocabulary; a sequence must fit both contexts.
  public static func measure(
    trained: LlamaModel, original: LlamaModel, data: [DistilledSequence],
    parallelism: Parallelism
  ) throws(TrainingError) -> (
    perplexity: Double, originalPerplexity: Double, kl: Double, top1Agreement: Double,
    positions: Int
  ) {
    let vocabulary = trained.config.vocabularySize
    guard original.config.vocabularySize == vocabulary else {
      throw .invalidOption(
        "the models' vocabularies differ (\(vocabulary) and \(original.config.vocabularySize))")
    }
    let sequences = data.filter { !$0.outputIDs.isEmpty }
    let context = min(trained.config.maxPositionEmbeddings, original.config.maxPositionEmbeddings)
    for (index, sequence) in sequences.enumerated() {
      guard sequence.tokens.count <= context,
        sequence.tokens.allSatisfy({ (0..<vocabulary).contains($0) })
      else {
        throw .invalidData(
          file: "sequence \(index)",
          reason: "needs at most \(context) tokens, every id in 0..<\(vocabulary)")
      }
    }
    guard !sequences.isEmpty else { throw .invalidOption("no sequence with a reply to measure") }
    let longest = sequences.map(\.tokens.count).max() ?? 1
    let trainedState: InferenceState
    let originalState: InferenceState
    do {
      trainedState = try trained.makeState(
        capacity: longest, maxBatch: 64, parallelism: parallelism)
      originalState = try original.makeState(
        capacity: longest, maxBatch: 64, parallelism: parallelism)
    } catch {
      throw .backbone("\(error)")
    }
    let replies = sequences.map(\.outputIDs.count).max() ?? 1
    var reference = [Double](repeating: 0, count: replies * vocabulary)
    var crossEntropy = 0.0
    var originalCrossEntropy = 0.0
    var divergence = 0.0
    var agreements = 0
    var positions = 0
    for sequence in sequences {
      let tokens = sequence.tokens
      let first = sequence.promptIDs.count - 1
      try BackboneTeacher.run(
        model: original, state: originalState, tokens: tokens, logitsFrom: first
      ) { position, _, logits in
        guard let logits, position + 1 < tokens.count else { return }
        reference.withUnsafeMutableBufferPointer {
          logSoftmax(logits, into: $0, at: (position - first) * vocabulary)
        }
      }
      var row = [Double](repeating: 0, count: vocabulary)
      try BackboneTeacher.run(
        model: trained, state: trainedState, tokens: tokens, logitsFrom: first
      ) { position, _, logits in
        guard let logits, position + 1 < tokens.count else { return }
        row.withUnsafeMutableBufferPointer { logSoftmax(logits, into: $0, at: 0) }
        let base = (position - first) * vocabulary
        let next = tokens[position + 1]
        crossEntropy -= row[next]
        originalCrossEntropy -= reference[base + next]
        var kl = 0.0
        for v in 0..<vocabulary {
          let p = reference[base + v]
          if p > -Double.infinity { kl += Foundation.exp(p) * (p - row[v]) }
        }
        divergence += kl
        if argmax(row) == argmax(reference[base..<(base + vocabulary)]) { agreements += 1 }
        positions += 1
      }
    }
    let n = Double(max(positions, 1))
    return (
      Foundation.exp(crossEntropy / n), Foundation.exp(originalCrossEntropy / n), divergence / n,
      Double(agreements) / n, positions
    )
  }

  /// Writes `log softmax(logits)` in `Double` into `out[offset...]`.
  static func logSoftmax(
    _ logits: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Double>,
    at offset: Int
  ) {
    var peak = -Double.infinity
    for value in logits { peak = max(peak, Double(value)) }
    var sum = 0.0
    for value in logits { sum += Foundation.exp(Double(value) - peak) }
    let normalizer = peak + Foundation.log(sum)
    for (index, value) in logits.enumerated() { out[offset + index] = Double(value) - normalizer }
  }

  /// The index of the largest value, the lowest index among equals.
  static func argmax<C: Collection>(_ values: C) -> Int where C.Element == Double {
    var best = 0
    var bestValue = -Double.infinity
    for (index, value) in values.enumerated() where value > bestValue {
      best = index
      bestValue = value
    }
    return best
  }
}
