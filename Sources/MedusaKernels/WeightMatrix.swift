/// Storage type of weights. Weights stay in their file type in memory and are widened to `Float`
/// in registers; every widening is exact.
public enum WeightType: Sendable, Equatable {
  /// IEEE 754 binary32.
  case f32
  /// IEEE 754 binary16, widened with the hardware conversion (F16C on x86-64 with Haswell).
  case f16
  /// bfloat16: the upper 16 bits of a binary32, widened as `UInt32(bits) << 16`.
  case bf16

  /// Bytes per element.
  public var byteWidth: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    }
  }
}

/// A read-only row-major matrix `[rows][columns]` in its storage type, for example a
/// memory-mapped `nn.Linear` weight `[out][in]`. The memory is not owned: the caller keeps it
/// alive (and unchanged) while the matrix is used. No alignment is required.
public struct WeightMatrix: @unchecked Sendable {
  /// Number of rows (output features of a linear layer).
  public let rows: Int
  /// Number of columns (input features of a linear layer).
  public let columns: Int
  /// Storage type of the elements.
  public let type: WeightType
  /// Address of element `[0][0]`; element `[r][c]` starts at byte `(r * columns + c) * byteWidth`.
  public let base: UnsafeRawPointer

  /// Wraps `rows * columns` elements of `type` at `base`.
  public init(rows: Int, columns: Int, type: WeightType, base: UnsafeRawPointer) {
    self.rows = rows
    self.columns = columns
    self.type = type
    self.base = base
  }

  /// Address of the first element of row `row`.
  @inlinable
  public func rowAddress(_ row: Int) -> UnsafeRawPointer {
    base + row * columns * type.byteWidth
  }

  /// Widens row `row` to `Float` (exactly) into `into[0..<columns]`. Used for embedding lookup.
  public func widenRow(_ row: Int, into: UnsafeMutablePointer<Float>) {
    let address = rowAddress(row)
    switch type {
    case .f32: widen(F32Weights.self, address, into)
    case .f16: widen(F16Weights.self, address, into)
    case .bf16: widen(BF16Weights.self, address, into)
    }
  }

  private func widen<L: WeightLoader>(
    _: L.Type, _ address: UnsafeRawPointer, _ into: UnsafeMutablePointer<Float>
  ) {
    let vectorEnd = columns & ~7
    var c = 0
    while c < vectorEnd {
      UnsafeMutableRawPointer(into + c).storeBytes(of: L.load8(address, c), as: SIMD8<Float>.self)
      c += 8
    }
    while c < columns {
      into[c] = L.load1(address, c)
      c += 1
    }
  }
}

/// Reads weights of one storage type and widens them to `Float`.
protocol WeightLoader {
  /// Widens the 8 elements starting at element `index` of `row`.
  static func load8(_ row: UnsafeRawPointer, _ index: Int) -> SIMD8<Float>
  /// Widens element `index` of `row`.
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float
}

/// `Float` weights: plain loads.
enum F32Weights: WeightLoader {
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
    row.loadUnaligned(fromByteOffset: index &* 4, as: SIMD8<Float>.self)
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    row.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
  }
}

/// binary16 weights: the SIMD conversion (one `vcvtph2ps` with F16C).
enum F16Weights: WeightLoader {
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
    // Lane by lane (the optimizer fuses it into one vector conversion); the generic
    // `SIMD8<Float>(SIMD8<Float16>)` initializer is not reliably inlined into the tiles.
    let h = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<Float16>.self)
    return SIMD8<Float>(
      Float(h[0]), Float(h[1]), Float(h[2]), Float(h[3]), Float(h[4]), Float(h[5]), Float(h[6]),
      Float(h[7]))
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    Float(row.loadUnaligned(fromByteOffset: index &* 2, as: Float16.self))
  }
}

/// bfloat16 weights: `UInt16 -> UInt32 << 16 -> bitcast`.
enum BF16Weights: WeightLoader {
  @inline(__always)
  static func load8(_ row: UnsafeRawPointer, _ index: Int) -> SIMD8<Float> {
    let bits = row.loadUnaligned(fromByteOffset: index &* 2, as: SIMD8<UInt16>.self)
    let wide = SIMD8<UInt32>(
      UInt32(bits[0]), UInt32(bits[1]), UInt32(bits[2]), UInt32(bits[3]), UInt32(bits[4]),
      UInt32(bits[5]), UInt32(bits[6]), UInt32(bits[7]))
    return unsafeBitCast(wide &<< 16, to: SIMD8<Float>.self)
  }

  @inline(__always)
  static func load1(_ row: UnsafeRawPointer, _ index: Int) -> Float {
    let bits = row.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
    return Float(bitPattern: UInt32(bits) << 16)
  }
}
