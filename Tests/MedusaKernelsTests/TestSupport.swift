import MedusaKernels
import XCTest

/// A small deterministic generator (SplitMix64) so test inputs are the same on every run.
struct TestRandom {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [-scale, scale).
  mutating func float(_ scale: Float = 1) -> Float {
    (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale
  }

  mutating func floats(_ count: Int, scale: Float = 1) -> [Float] {
    (0..<count).map { _ in float(scale) }
  }

  mutating func int(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// Weight bytes of one storage type, kept alive by the test. Float types hold random values;
/// ggml block types hold random bytes whose f16 scale fields are set to finite random halves.
final class TestWeights {
  let bytes: UnsafeMutableRawPointer
  let matrix: WeightMatrix

  init(rows: Int, columns: Int, type: WeightType, random: inout TestRandom, scale: Float = 1) {
    let count = rows * columns
    let rowBytes = type.rowBytes(columns: columns)
    bytes = UnsafeMutableRawPointer.allocate(
      byteCount: max(rows * rowBytes, 4) + 2, alignment: 16)
    // One byte of offset makes every load unaligned, as memory-mapped tensors may be.
    let base = bytes + 1
    switch type {
    case .f32, .f16, .bf16:
      for i in 0..<count {
        let value = random.float(scale)
        switch type {
        case .f32: base.storeBytes(of: value, toByteOffset: i * 4, as: Float.self)
        case .f16: base.storeBytes(of: Float16(value), toByteOffset: i * 2, as: Float16.self)
        default:
          base.storeBytes(
            of: UInt16(truncatingIfNeeded: value.bitPattern >> 16), toByteOffset: i * 2,
            as: UInt16.self)
        }
      }
    default:
      for i in 0..<(rows * rowBytes) {
        base.storeBytes(
          of: UInt8(truncatingIfNeeded: random.next()), toByteOffset: i, as: UInt8.self)
      }
      for block in 0..<(rows * rowBytes / type.blockBytes) {
        for offset in TestWeights.scaleOffsets(type) {
          base.storeBytes(
            of: Float16(random.float(scale * 0.1)),
            toByteOffset: block * type.blockBytes + offset, as: Float16.self)
        }
      }
    }
    matrix = WeightMatrix(rows: rows, columns: columns, type: type, base: UnsafeRawPointer(base))
  }

  /// Byte offsets of the f16 scale and minimum fields in one block of `type`.
  static func scaleOffsets(_ type: WeightType) -> [Int] {
    switch type {
    case .f32, .f16, .bf16: return []
    case .q8_0, .q4_0, .q5_0: return [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: return [0, 2]
    case .q2_K: return [80, 82]
    case .q3_K: return [108]
    case .q6_K: return [208]
    }
  }

  deinit { bytes.deallocate() }
}

/// Asserts that two float arrays have identical bit patterns.
func assertBitwiseEqual(
  _ a: ArraySlice<Float>, _ b: ArraySlice<Float>, _ message: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(a.count, b.count, message, file: file, line: line)
  for (x, y) in zip(a, b) where x.bitPattern != y.bitPattern {
    XCTFail("\(message): \(x) != \(y) bitwise", file: file, line: line)
    return
  }
}

/// Asserts |a - b| <= absolute + relative * |b| elementwise.
func assertClose(
  _ a: [Float], _ b: [Float], absolute: Float, relative: Float = 0, _ message: String,
  file: StaticString = #filePath, line: UInt = #line
) {
  XCTAssertEqual(a.count, b.count, message, file: file, line: line)
  for (i, (x, y)) in zip(a, b).enumerated() where !(abs(x - y) <= absolute + relative * abs(y)) {
    XCTFail("\(message): index \(i): \(x) vs \(y)", file: file, line: line)
    return
  }
}
