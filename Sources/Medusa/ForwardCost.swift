import Foundation
import Llama
import MedusaKernels

/// What a Medusa step costs on this machine, measured: the forward of T tokens that verifies a
/// tree of T - 1 candidates (paper §2.1.2: a tree of T nodes is one forward of T tokens), and the
/// heads' logits for a tree of depth d. `medusa bench` prints the forward curve (all T logits);
/// `medusa tree --auto` feeds the curve without logits, the cost of one LM-head row (greedy
/// verification computes one per token a step yields) and the heads' curve to the speed model
/// (MedusaTraining's `TreeConstruction.speedCurve`) to choose the tree size. Every forward runs
/// after a causal prefix (64 tokens unless a caller asks for more), on token ids that depend
/// only on the vocabulary size. Times are wall-clock
/// seconds and differ from run to run; nothing here changes any result of decoding.
public enum ForwardCost {
  /// The prefix every measured forward follows unless a caller gives another.
  public static let prefixLength = 64

  /// The tree sizes of ``relativeCurve(model:state:repeats:prefix:)``.
  public static let curveSizes = [1, 2, 4, 8, 16, 32, 64]

  /// The KV-cache positions ``relativeCurve(model:state:repeats:prefix:)`` needs after a
  /// `prefix`-token prefix: the prefix and the largest of ``curveSizes``.
  public static func curveCapacity(prefix: Int = prefixLength) -> Int {
    prefix + (curveSizes.max() ?? 0)
  }

  /// The cost of a forward of T causal tokens (T in ``curveSizes``) after a `prefix`-token
  /// prefix (default 64; a longer one measures verification deep into a conversation, where
  /// attention reads more of the cache): the median seconds of `max(repeats, 3)` single
  /// forwards of each size, and that time relative to T = 1's. Uses (and empties first)
  /// `state`'s cache, which needs ``curveCapacity(prefix:)`` positions.
  public static func relativeCurve(
    model: LlamaModel, state: InferenceState, repeats: Int, prefix: Int = prefixLength
  ) throws(LlamaError) -> [(tokens: Int, seconds: Double, relative: Double)] {
    let sizes = curveSizes
    var medians: [Double] = []
    try state.cache.truncate(to: 0)
    try runPrefix(model: model, state: state, length: prefix)
    for size in sizes {
      let tokens = (0..<size).map { ($0 * 17 + 3) % model.config.vocabularySize }
      var times: [Double] = []
      for _ in 0..<max(repeats, 3) {
        let start = DispatchTime.now().uptimeNanoseconds
        try model.forward(
          tokens: tokens, positions: Array(prefix..<(prefix + size)), plan: .causal(size),
          logitsFor: Array(0..<size), state: state)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      }
      medians.append(Statistics.median(times))
    }
    return zip(sizes, medians).map { ($0, $1, $1 / medians[0]) }
  }

  /// Seconds of a forward of T tokens (T = 1 ... maxTokens) after a 64-token prefix; element
  /// T - 1 is T's, with the logits of all T tokens when `logits`, else of none (the backbone a
  /// Medusa step runs before verification computes the rows it reads, ``logitRowSeconds``).
  /// One sample of T times enough back-to-back forwards to last about 10 ms (tiny
  /// models run a forward in microseconds); the sizes take turns, `repeats` rounds, so that load
  /// on a shared machine spreads over all of them; each size's time is the median of its samples.
  /// Makes its own state (``prefixLength`` + `maxTokens` positions).
  public static func forwardSeconds(
    model: LlamaModel, maxTokens: Int, repeats: Int, parallelism: Parallelism, logits: Bool = true
  ) throws(LlamaError) -> [Double] {
    let state = try model.makeState(
      capacity: prefixLength + maxTokens, maxBatch: max(64, maxTokens), parallelism: parallelism)
    let vocabulary = model.config.vocabularySize
    try runPrefix(model: model, state: state, length: prefixLength)
    func seconds(_ size: Int, _ count: Int) throws(LlamaError) -> Double {
      let tokens = (0..<size).map { ($0 * 17 + 3) % vocabulary }
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<count {
        try model.forward(
          tokens: tokens, positions: Array(64..<(64 + size)), plan: .causal(size),
          logitsFor: logits ? Array(0..<size) : [], state: state)
      }
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }
    var counts: [Int] = []
    for size in 1...maxTokens {
      _ = try seconds(size, 1)
      counts.append(runsFor10Milliseconds(try seconds(size, 1)))
    }
    var samples = [[Double]](repeating: [], count: maxTokens)
    for _ in 0..<repeats {
      for size in 1...maxTokens {
        samples[size - 1].append(try seconds(size, counts[size - 1]))
      }
    }
    return samples.map { $0.sorted()[$0.count / 2] }
  }

  /// Seconds of the heads' logits (``MedusaHeads/logits(hidden:heads:into:work:parallelism:)``)
  /// for the first d heads, d = 1 ... K, measured as
  /// ``forwardSeconds(model:maxTokens:repeats:parallelism:)`` measures forwards.
  public static func headSeconds(heads: MedusaHeads, repeats: Int, parallelism: Parallelism)
    -> [Double]
  {
    let count = heads.headCount
    let hidden = FloatBuffer(
      copying: (0..<heads.hiddenSize).map { Float(($0 * 37) % 11) / 11 - 0.5 })
    let output = FloatBuffer(count * heads.vocabularySize)
    let work = FloatBuffer(heads.workCount(heads: count))
    func seconds(_ depth: Int, _ times: Int) -> Double {
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<times {
        heads.logits(
          hidden: hidden.base, heads: depth, into: output.base, work: work.base,
          parallelism: parallelism)
      }
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(times)
    }
    let times = (1...count).map { depth in
      _ = seconds(depth, 1)
      return runsFor10Milliseconds(seconds(depth, 1))
    }
    var samples = [[Double]](repeating: [], count: count)
    for _ in 0..<repeats {
      for depth in 1...count { samples[depth - 1].append(seconds(depth, times[depth - 1])) }
    }
    return samples.map { $0.sorted()[$0.count / 2] }
  }

  /// Seconds of one LM-head row (``LlamaModel/computeLogits(ofToken:state:)``) after a
  /// one-token forward: what greedy verification pays per node it reaches (``TreeLogits``).
  /// The median of `max(repeats, 3)` samples of enough rows to last about 10 ms.
  public static func logitRowSeconds(model: LlamaModel, repeats: Int, parallelism: Parallelism)
    throws(LlamaError) -> Double
  {
    let state = try model.makeState(capacity: 1, maxBatch: 1, parallelism: parallelism)
    try model.forward(
      tokens: [3], positions: [0], plan: .causal(1), logitsFor: [], state: state)
    func seconds(_ count: Int) throws(LlamaError) -> Double {
      let start = DispatchTime.now().uptimeNanoseconds
      for _ in 0..<count { try model.computeLogits(ofToken: 0, state: state) }
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(count)
    }
    let count = runsFor10Milliseconds(try seconds(1))
    var samples: [Double] = []
    for _ in 0..<max(repeats, 3) { samples.append(try seconds(count)) }
    return Statistics.median(samples)
  }

  /// How many back-to-back runs of something that took `seconds` once last about 10 ms: one
  /// sample of the measurements above (at least one run).
  private static func runsFor10Milliseconds(_ seconds: Double) -> Int {
    max(1, Int(0.01 / max(seconds, 1e-9)))
  }

  /// A causal prefix of `length` tokens, committed to `state`'s cache (in chunks of the
  /// state's batch limit).
  private static func runPrefix(model: LlamaModel, state: InferenceState, length: Int)
    throws(LlamaError)
  {
    let prefix = (0..<length).map { ($0 * 31 + 5) % model.config.vocabularySize }
    try Prefill.run(model: model, state: state, prompt: prefix)
  }
}
