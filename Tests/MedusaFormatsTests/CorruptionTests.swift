import Foundation
import XCTest

@testable import MedusaFormats

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// Bad input is an answer, not a crash: every truncation and many byte corruptions of real
/// fixtures must either open or throw a `FormatError` (a crash fails the whole run).
final class CorruptionTests: XCTestCase {
  /// Opens each variant of `fixture` through `open`; returns how many were rejected.
  private func survey(_ fixture: String, opener: (URL) throws(FormatError) -> Void) throws -> Int {
    let original = [UInt8](try Data(contentsOf: goldenFormats.appendingPathComponent(fixture)))
    // Writes dominate the time: use a RAM disk where there is one, and plain POSIX writes.
    let path =
      FileManager.default.fileExists(atPath: "/dev/shm")
      ? "/dev/shm/medusa-formats-\(UUID().uuidString)"
      : try temporaryDirectory(self).appendingPathComponent("v").path
    addTeardownBlock { unlink(path) }
    let url = URL(fileURLWithPath: path)
    var variants: [[UInt8]] = (0..<original.count).map { Array(original.prefix($0)) }
    var generator = SplitMix64(seed: 42)
    for position in 0..<original.count {
      var flipped = original
      flipped[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
      variants.append(flipped)
    }
    var rejected = 0
    for variant in variants {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      XCTAssertEqual(variant.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, variant.count)
      close(fd)
      do throws(FormatError) {
        try opener(url)
      } catch {
        XCTAssertFalse(error.description.isEmpty)
        rejected += 1
      }
    }
    return rejected
  }

  func testSafetensorsCorruptions() throws {
    let rejected = try survey("mixed.safetensors") { url throws(FormatError) in
      let file = try SafetensorsFile(url: url)
      for name in file.names { _ = try? file.tensor(name).floats() }
    }
    XCTAssertGreaterThan(rejected, 480)
  }

  func testPyTorchCorruptions() throws {
    let rejected = try survey("medusa_lm_head.pt") { url throws(FormatError) in
      let checkpoint = try PyTorchCheckpoint(url: url)
      for name in checkpoint.names { _ = try checkpoint.tensor(name).floats() }
    }
    XCTAssertGreaterThan(rejected, 3497)
  }
}

/// A tiny deterministic generator (SplitMix64) so corruptions are the same on every run.
struct SplitMix64 {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
