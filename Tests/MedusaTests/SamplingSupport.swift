import Foundation
import GoldenSupport
import Llama
import XCTest

@testable import Medusa

/// Decisions that walk every branch of a sampler instead of a random one. A run follows a
/// script of branch indices; at a decision past the script it takes the first branch and
/// queues the others, so repeating runs from the queued scripts visits every branch exactly
/// once, each with its exact probability (the product of the branch probabilities taken).
final class BranchEnumerator: SamplingDecisions {
  private(set) var script: [Int]
  private var position = 0
  /// Probability of the branch this run followed.
  private(set) var probability = 1.0
  /// Scripts of the branches this run passed by.
  private(set) var queued: [[Int]] = []

  init(script: [Int]) { self.script = script }

  /// Follows the script, or takes branch 0 and queues the others.
  private func choose(_ branches: [(value: Int, probability: Double)]) -> Int {
    let index: Int
    if position < script.count {
      index = script[position]
    } else {
      index = 0
      for other in branches.indices.dropFirst() { queued.append(script + [other]) }
      script.append(0)
    }
    position += 1
    probability *= branches[index].probability
    return branches[index].value
  }

  func accept(weight: Double, total: Double) -> SampledChoice {
    let p = total > 0 ? weight / total : 0
    let branches = [(1, p), (0, 1 - p)].filter { $0.1 > 0 }
    return SampledChoice(value: choose(branches), uniform: 0)
  }

  func draw(weights: [Double]) -> SampledChoice {
    let total = weights.reduce(0, +)
    let branches = weights.indices.filter { weights[$0] > 0 }.map { ($0, weights[$0] / total) }
    return SampledChoice(value: choose(branches), uniform: 0)
  }

  /// Runs `body` once per branch; returns the probability of every outcome it returns.
  static func distribution<Outcome: Hashable>(
    _ body: (BranchEnumerator) throws -> Outcome
  ) rethrows -> (distribution: [Outcome: Double], runs: Int) {
    var pending: [[Int]] = [[]]
    var result: [Outcome: Double] = [:]
    var runs = 0
    while let script = pending.popLast() {
      let enumerator = BranchEnumerator(script: script)
      let outcome = try body(enumerator)
      result[outcome, default: 0] += enumerator.probability
      pending += enumerator.queued
      runs += 1
    }
    return (result, runs)
  }
}

/// The autoregressive side of the sampling tests: exact probabilities from the model's
/// conditionals, with a small cache of prefixes.
final class AutoregressiveOracle {
  let model: LlamaModel
  let prompt: [Int]
  let processor: LogitsProcessor
  private let state: InferenceState
  private var conditionals: [[Int]: [Double]] = [:]

  init(model: LlamaModel, prompt: [Int], processor: LogitsProcessor, maxNew: Int) throws {
    self.model = model
    self.prompt = prompt
    self.processor = processor
    state = try model.makeState(capacity: prompt.count + maxNew + 1, parallelism: .serial)
  }

  /// The processed, normalised distribution of the next token after `prompt + prefix`.
  func conditional(_ prefix: [Int]) throws -> [Double] {
    if let known = conditionals[prefix] { return known }
    try state.cache.truncate(to: 0)
    try Prefill.run(model: model, state: state, prompt: prompt + prefix)
    let weights = processor.weights(state.logits(0))
    let total = weights.reduce(0, +)
    let normalised = weights.map { $0 / total }
    conditionals[prefix] = normalised
    return normalised
  }

  /// `Π q(y_n | prompt, y_<n)`.
  func probability(_ output: [Int]) throws -> Double {
    var product = 1.0
    for index in output.indices {
      product *= try conditional(Array(output[..<index]))[output[index]]
    }
    return product
  }

  /// Every output of `length` tokens with a positive probability, and that probability.
  func distribution(length: Int) throws -> [[Int]: Double] {
    var result: [[Int]: Double] = [[]: 1]
    for _ in 0..<length {
      var next: [[Int]: Double] = [:]
      for (prefix, p) in result {
        for (token, q) in try conditional(prefix).enumerated() where q > 0 {
          next[prefix + [token]] = p * q
        }
      }
      result = next
    }
    return result
  }
}

/// Pearson's chi-square statistics and a critical value.
enum ChiSquare {
  /// Goodness of fit of `counts` (of `total` samples) to `expected` probabilities; bins with
  /// an expected count below 5 are pooled into one. Returns the statistic and the degrees of
  /// freedom.
  static func goodnessOfFit<Key: Hashable>(counts: [Key: Int], expected: [Key: Double])
    -> (statistic: Double, degreesOfFreedom: Int)
  {
    let total = Double(counts.values.reduce(0, +))
    var statistic = 0.0
    var bins = 0
    var pooledExpected = 0.0
    var pooledObserved = 0.0
    for (key, p) in expected {
      let e = p * total
      let o = Double(counts[key] ?? 0)
      if e < 5 {
        pooledExpected += e
        pooledObserved += o
      } else {
        statistic += (o - e) * (o - e) / e
        bins += 1
      }
    }
    let unexpected = counts.filter { expected[$0.key] == nil }.values.reduce(0, +)
    pooledObserved += Double(unexpected)
    if pooledExpected > 0 {
      statistic +=
        (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected)
        / pooledExpected
      bins += 1
    } else if pooledObserved > 0 {
      statistic = .infinity
    }
    return (statistic, max(bins - 1, 1))
  }

  /// Homogeneity of two samples (a 2 x k contingency table); keys seen fewer than 10 times in
  /// both samples together are pooled.
  static func twoSample<Key: Hashable>(_ a: [Key: Int], _ b: [Key: Int])
    -> (statistic: Double, degreesOfFreedom: Int)
  {
    let na = Double(a.values.reduce(0, +))
    let nb = Double(b.values.reduce(0, +))
    var columns: [(Double, Double)] = []
    var pooled = (0.0, 0.0)
    for key in Set(a.keys).union(b.keys) {
      let column = (Double(a[key] ?? 0), Double(b[key] ?? 0))
      if column.0 + column.1 < 10 {
        pooled = (pooled.0 + column.0, pooled.1 + column.1)
      } else {
        columns.append(column)
      }
    }
    if pooled.0 + pooled.1 > 0 { columns.append(pooled) }
    var statistic = 0.0
    for (x, y) in columns {
      let sum = x + y
      let ea = sum * na / (na + nb)
      let eb = sum * nb / (na + nb)
      statistic += (x - ea) * (x - ea) / ea + (y - eb) * (y - eb) / eb
    }
    return (statistic, max(columns.count - 1, 1))
  }

  /// The upper 0.1% point of the chi-square distribution (Wilson-Hilferty; z = 3.0902).
  static func critical001(degreesOfFreedom k: Int) -> Double {
    let d = Double(k)
    let a = 2 / (9 * d)
    return d * pow(1 - a + 3.0902 * a.squareRoot(), 3)
  }
}
