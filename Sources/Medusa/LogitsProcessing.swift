import Foundation

/// The sampling distribution of autoregressive sampling and of lossless Medusa sampling: the
/// base model's logits turned into token weights by four processors applied in transformers'
/// logits-processor order (`GenerationMixin._get_logits_processor` with `do_sample=True`:
/// `TemperatureLogitsWarper`, `TopKLogitsWarper`, `TopPLogitsWarper`, `MinPLogitsWarper`).
///
/// That order is the convention users of Hugging Face `generate` know, and it is the one that
/// makes the parameters mean what they say: top-p and min-p act on the *tempered*
/// probabilities (min-p after temperature, as llama.cpp argued for), top-k commutes with
/// temperature.
///
/// Exactly, in `Double` (a replaying backend must do the same; Docs/CONFORMANCE.md):
/// 1. `x[i] = Double(logit[i]) / temperature`.
/// 2. Top-k (`topK > 0` and `< V`): `t` is the k-th largest `x`; tokens with `x[i] < t` are
///    removed (ties at `t` are all kept, like `scores < topk(scores, k)[-1]`).
/// 3. Weights `w[i] = exp(x[i] - max x)` for kept tokens, 0 for removed ones (softmax up to its
///    normaliser; the largest weight is exactly 1).
/// 4. Top-p (`topP < 1`): kept tokens sorted by weight ascending, ties by id *descending*;
///    walking that order, a token is removed while the running sum of weights including it is
///    `<= (1 - topP) * W`, `W` the sum of kept weights in ascending id order. The largest weight
///    (lowest id among equals) is always kept (transformers removes `cumsum <= 1 - top_p` of the
///    ascending sort and keeps the last).
/// 5. Min-p (`minP > 0`): tokens with `w[i] < minP * max w` (`= minP`) are removed
///    (transformers: `probs < min_p * probs.max()`).
///
/// The result is unnormalised; ``Sampling/draw(weights:using:)`` draws from it.
public struct LogitsProcessor: Sendable, Equatable {
  /// Softmax temperature, > 0.
  public var temperature: Double
  /// Keep the k most likely tokens (ties at the k-th kept); 0 disables.
  public var topK: Int
  /// Keep the smallest set of most likely tokens whose probability exceeds `topP`; 1 disables.
  public var topP: Double
  /// Remove tokens less likely than `minP` times the most likely one; 0 disables.
  public var minP: Double

  /// A processor; the defaults disable top-k, top-p and min-p (plain tempered sampling).
  public init(temperature: Double, topK: Int = 0, topP: Double = 1, minP: Double = 0) {
    self.temperature = temperature
    self.topK = topK
    self.topP = topP
    self.minP = minP
  }

  /// Throws unless temperature is finite and > 0, topK >= 0, topP in (0, 1], minP in [0, 1].
  public func validate() throws(PosteriorError) {
    guard temperature.isFinite, temperature > 0 else {
      throw .invalidParameter(name: "temperature", value: temperature)
    }
    guard topK >= 0 else { throw .invalidParameter(name: "topK", value: Double(topK)) }
    guard topP > 0, topP <= 1 else { throw .invalidParameter(name: "topP", value: topP) }
    guard minP >= 0, minP <= 1 else { throw .invalidParameter(name: "minP", value: minP) }
  }

  /// The processed, unnormalised weights of `logits` (steps 1-5 above).
  public func weights(_ logits: [Float]) -> [Double] {
    logits.withUnsafeBufferPointer { weights($0) }
  }

  /// The processed, unnormalised weights of `logits` (steps 1-5 above).
  public func weights(_ logits: UnsafeBufferPointer<Float>) -> [Double] {
    var x = logits.map { Double($0) / temperature }
    guard !x.isEmpty else { return [] }
    if topK > 0, topK < x.count {
      let threshold = Self.kthLargest(x, k: topK)
      for index in x.indices where x[index] < threshold { x[index] = -.infinity }
    }
    var top = -Double.infinity
    for value in x where value > top { top = value }
    var w = x.map { $0 == -.infinity ? 0 : Foundation.exp($0 - top) }
    if topP < 1 { Self.applyTopP(&w, topP: topP) }
    if minP > 0 {
      var largest = 0.0
      for value in w where value > largest { largest = value }
      let cut = minP * largest
      for index in w.indices where w[index] < cut { w[index] = 0 }
    }
    return w
  }

  /// The k-th largest value of `values` (k >= 1, k <= count), by sorting a copy.
  static func kthLargest(_ values: [Double], k: Int) -> Double {
    let sorted = values.sorted(by: >)
    return sorted[k - 1]
  }

  /// Step 4: removes the least likely tokens whose cumulative weight stays within
  /// `(1 - topP)` of the total.
  static func applyTopP(_ w: inout [Double], topP: Double) {
    var total = 0.0
    for value in w { total += value }
    let budget = (1 - topP) * total
    let ascending = w.indices.filter { w[$0] > 0 }.sorted { a, b in
      w[a] != w[b] ? w[a] < w[b] : a > b
    }
    var running = 0.0
    for token in ascending.dropLast() {
      running += w[token]
      guard running <= budget else { break }
      w[token] = 0
    }
  }
}
