/// One random decision of a sampler: its outcome and the uniform number that decided it (for
/// the trace; a replaying backend compares its own uniforms with these).
public struct SampledChoice: Equatable, Sendable {
  /// The accepted flag or the drawn token id.
  public var value: Int
  /// The uniform `u` in [0, 1) that decided it.
  public var uniform: Double

  /// A decision `value` taken by `uniform`.
  public init(value: Int, uniform: Double) {
    self.value = value
    self.uniform = uniform
  }
}

/// The two random decisions of autoregressive and lossless Medusa sampling. Writing the
/// samplers against this protocol keeps each rule in one place and lets a test drive the
/// same code down every branch (exact enumeration) instead of down a random one.
public protocol SamplingDecisions {
  /// Accepts a draft token whose residual weight is `weight` out of the residual's total:
  /// true (value 1) with probability `weight / total`.
  mutating func accept(weight: Double, total: Double) -> SampledChoice
  /// Draws a token id with probability proportional to `weights[id]`.
  mutating func draw(weights: [Double]) -> SampledChoice
}

extension SamplingDecisions where Self: RandomNumberGenerator {
  /// One uniform `u = nextUnitDouble()`; accepted when `u * total < weight`. A draft carrying
  /// the whole residual (`weight == total`) is always accepted, one of weight 0 never.
  public mutating func accept(weight: Double, total: Double) -> SampledChoice {
    let u = nextUnitDouble()
    return SampledChoice(value: u * total < weight ? 1 : 0, uniform: u)
  }

  /// One uniform `u = nextUnitDouble()`; the first id (ascending) whose running sum of weights
  /// exceeds `u * Σ weights` (``Sampling/draw(weights:using:)``).
  public mutating func draw(weights: [Double]) -> SampledChoice {
    let u = nextUnitDouble()
    return SampledChoice(value: Sampling.draw(weights: weights, uniform: u), uniform: u)
  }
}

/// The project's generator makes the decisions in production.
extension SplitMix64: SamplingDecisions {}
