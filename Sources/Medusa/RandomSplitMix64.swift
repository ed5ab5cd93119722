/// The seeded generator of every sampling path (design principle 2: a documented generator so
/// that another backend can reproduce a trace draw for draw). The original samples with
/// `torch.multinomial` on torch's global generator; its draws cannot be reproduced outside
/// torch, so this project defines its own.
///
/// SplitMix64 (Steele, Lea and Flood, 2014), exactly:
/// ```
/// state = state &+ 0x9E37_79B9_7F4A_7C15
/// z = state
/// z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
/// z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
/// return z ^ (z >> 31)
/// ```
/// with the 64-bit seed as the initial state (seed 1234567 gives 6457827717110365317,
/// 3203168211198807973, 9817491932198370423, ...). A uniform double in [0, 1) is the top 53
/// bits of one output times 2^-53 (see ``nextUnitDouble()``).
public struct SplitMix64: RandomNumberGenerator, Equatable, Sendable {
  /// The current state; the next output is derived from `state + 0x9E3779B97F4A7C15`.
  public private(set) var state: UInt64

  /// A generator whose initial state is `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64-bit output.
  public mutating func next() -> UInt64 {
    state = state &+ 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension RandomNumberGenerator {
  /// A uniform double in [0, 1): `Double(next() >> 11) * 0x1p-53`, one output per call.
  public mutating func nextUnitDouble() -> Double {
    Double(next() >> 11) * 0x1p-53
  }
}
