/// The shapes of the register tiles of ``Kernels/linear(_:tokens:weight:bias:into:parallelism:tiling:)``:
/// a speed choice only. Every tile computes each output in the one order of ``Reduction``, so
/// both tilings give the same bits (the kernel tests run both).
///
/// A tile keeps its accumulators, one sixteen-lane vector per (row, token), in registers. That
/// fits a register file of 32 vectors of 16 floats (AVX-512) at 4 rows x 4 tokens, but an AVX2
/// build holds each sixteen-lane accumulator in two of its 16 registers, and the 4 x 4 tile then
/// spills to the stack on every chunk (measured on a Zen 3: a forward of 4 tokens cost 2.5-3x one
/// token in f16 and Q4_1, of 16 tokens 10x). So the build picks the tiling that fits its target.
public enum LinearTiling: Sendable, CaseIterable {
  /// 32 vector registers of 16 floats: tiles of 4 rows x up to 4 tokens, each stored weight
  /// decoded once per 4 tokens; for more than 4 tokens a ggml block type is decoded once into
  /// `Float` scratch.
  case wide
  /// 16 vector registers of 8 floats (AVX2) or fewer lanes: `Float`-valued rows run 3 tokens
  /// at a time through the half-lane tile (4 rows x 3 tokens, lanes 0-7 then 8-15: 12 eight-lane
  /// accumulators), the rest through tiles of 4 rows x up to 2 tokens (8 accumulators). A ggml
  /// block type, whose decoding costs more than its arithmetic, runs 2 to 4 tokens through
  /// tiles of 1 row x up to 4 tokens (each weight decoded once for all of them) and more than 4
  /// tokens through its decode-once `Float` scratch.
  case narrow

  /// The tiling of this build: ``wide`` where the build target has AVX-512 (Package.swift
  /// defines `MEDUSA_WIDE_VECTORS` for it), ``narrow`` otherwise.
  public static var build: LinearTiling {
    #if MEDUSA_WIDE_VECTORS
      return .wide
    #else
      return .narrow
    #endif
  }

  /// The most tokens one tile of 4 rows takes.
  var quadTokens: Int {
    switch self {
    case .wide: return 4
    case .narrow: return 2
    }
  }
}
