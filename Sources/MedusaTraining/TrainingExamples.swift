import Llama
import Medusa
import MedusaKernels

/// The training rows of Medusa-1 (paper §2.2.1; frozen backbone): the backbone's final hidden
/// state at position `t` of a sequence and, for every head `k`, the target token at `t + k + 2`
/// (the original `train_legacy.py`: `medusa_logits[k][:, :-(2 + k)]` against
/// `labels[..., 2 + k:]`). A target counts only if it lies in the generated part
/// (`output_ids`), as the original ignores every label outside the assistant's reply; rows
/// without any target are dropped. The hidden states are computed once, here, and reused by
/// every step.
public final class TrainingExamples: @unchecked Sendable {
  /// Number of rows.
  public let rows: Int
  /// Heads (targets per row).
  public let heads: Int
  /// Hidden size.
  public let hiddenSize: Int
  /// Hidden states, `[rows][hiddenSize]`.
  public let hidden: TrainingBuffer
  /// Targets, `[rows][heads]`; -1 where a head has no target.
  public let targets: UnsafeMutablePointer<Int32>

  private init(rows: Int, heads: Int, hiddenSize: Int) {
    self.rows = rows
    self.heads = heads
    self.hiddenSize = hiddenSize
    hidden = TrainingBuffer(rows * hiddenSize)
    targets = .allocate(capacity: max(rows * heads, 1))
    targets.initialize(repeating: -1, count: max(rows * heads, 1))
  }

  deinit { targets.deallocate() }

  /// Rows from precomputed hidden states `[rows][hiddenSize]` and targets `[rows][heads]`
  /// (negative: no target), for callers that computed the backbone's hidden states elsewhere.
  public convenience init(hidden: [Float], targets: [Int32], heads: Int, hiddenSize: Int)
    throws(TrainingError)
  {
    guard heads > 0, hiddenSize > 0, hidden.count % hiddenSize == 0,
      targets.count == hidden.count / hiddenSize * heads
    else {
      throw .invalidOption(
        "\(hidden.count) hidden values and \(targets.count) targets do not form rows of "
          + "\(hiddenSize) and \(heads)"
      )
    }
    self.init(rows: hidden.count / hiddenSize, heads: heads, hiddenSize: hiddenSize)
    self.hidden.base.update(from: hidden, count: hidden.count)
    self.targets.update(from: targets, count: targets.count)
  }

  /// The positions of a sequence of `length` tokens whose prompt has `promptLength` tokens that
  /// have at least one target for `heads` heads.
  static func keptPositions(length: Int, promptLength: Int, heads: Int) -> Range<Int> {
    let first = max(0, promptLength - heads - 1)
    return first..<max(first, length - 2)
  }

  /// Runs the backbone over every sequence (causal, in chunks of the state's batch size) and
  /// collects the rows. `progress(done, total)` is called after each sequence.
  public static func build(
    model: LlamaModel, sequences: [DistilledSequence], heads: Int, parallelism: Parallelism,
    progress: (Int, Int) -> Void = { _, _ in }
  ) throws(TrainingError) -> TrainingExamples {
    let total = sequences.reduce(0) {
      $0
        + keptPositions(length: $1.tokens.count, promptLength: $1.promptIDs.count, heads: heads)
        .count
    }
    let examples = TrainingExamples(rows: total, heads: heads, hiddenSize: model.config.hiddenSize)
    let longest = sequences.map(\.tokens.count).max() ?? 1
    let state: InferenceState
    do {
      state = try model.makeState(capacity: max(longest, 1), maxBatch: 64, parallelism: parallelism)
    } catch {
      throw .backbone("\(error)")
    }
    var row = 0
    for (index, sequence) in sequences.enumerated() {
      let tokens = sequence.tokens
      let kept = keptPositions(
        length: tokens.count, promptLength: sequence.promptIDs.count, heads: heads)
      try BackboneTeacher.run(model: model, state: state, tokens: tokens, logitsFrom: tokens.count)
      {
        position, hiddenState, _ in
        guard kept.contains(position) else { return }
        let r = row + position - kept.lowerBound
        (examples.hidden.base + r * examples.hiddenSize).update(
          from: hiddenState, count: examples.hiddenSize)
        for k in 0..<heads {
          let target = position + k + 2
          if target < tokens.count, target >= sequence.promptIDs.count {
            examples.targets[r * heads + k] = Int32(tokens[target])
          }
        }
      }
      row += kept.count
      progress(index + 1, sequences.count)
    }
    return examples
  }
}

/// Teacher-forced backbone passes over a whole token sequence.
enum BackboneTeacher {
  /// Runs `tokens` through the backbone from an empty cache, causally, in chunks of the state's
  /// batch size (batch invariance makes the chunking invisible), and calls
  /// `body(position, hidden state, logits)` for every position in order; logits are given for
  /// positions `>= logitsFrom`, `nil` before.
  static func run(
    model: LlamaModel, state: InferenceState, tokens: [Int], logitsFrom: Int,
    body: (Int, UnsafePointer<Float>, UnsafeBufferPointer<Float>?) -> Void
  ) throws(TrainingError) {
    do {
      try state.cache.truncate(to: 0)
      var start = 0
      while start < tokens.count {
        let end = min(start + state.maxBatch, tokens.count)
        let wanted = Array(max(start, logitsFrom)..<max(end, max(start, logitsFrom)))
        try model.forward(
          tokens: Array(tokens[start..<end]), positions: Array(start..<end),
          plan: .causal(end - start), logitsFor: wanted.map { $0 - start }, state: state)
        try state.cache.commit(end - start)
        for position in start..<end {
          let hidden = state.hiddenState(position - start)
          let logits =
            position >= logitsFrom ? state.logits(position - max(start, logitsFrom)) : nil
          if let base = hidden.baseAddress { body(position, base, logits) }
        }
        start = end
      }
    } catch {
      throw .backbone("\(error)")
    }
  }
}
