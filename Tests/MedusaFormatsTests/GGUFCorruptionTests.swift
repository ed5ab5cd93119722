import Foundation
import XCTest

@testable import MedusaFormats

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// Bad input is an answer, not a crash: every truncation of a small valid GGUF file throws,
/// and every single-byte corruption either opens or throws a `FormatError`.
final class GGUFCorruptionTests: XCTestCase {
  /// A valid file with every value type and four tensors; the last tensor ends exactly at the
  /// end of the file, so every proper prefix lacks some byte the reader needs.
  static func sample() -> [UInt8] {
    var builder = GGUFBuilder(metadata: GGUFReaderTests.everyValue)
    builder.metadata.append(("general.alignment", .uint32(16)))
    builder.alignment = 16
    builder.tensors = [
      .init("token_embd.weight", [32, 2], type: .q8_0), .init("norm", [3], type: .f16),
      .init("blk.0.w", [32, 1, 1, 2], type: .q4_1), .init("last", [8], type: .f32),
    ]
    return builder.bytes()
  }

  /// Writes each variant to one scratch file and opens it (and reads every tensor); returns
  /// how many were rejected.
  private func survey(_ variants: [[UInt8]]) throws -> Int {
    let path =
      FileManager.default.fileExists(atPath: "/dev/shm")
      ? "/dev/shm/medusa-gguf-\(UUID().uuidString)"
      : try temporaryDirectory(self).appendingPathComponent("v").path
    addTeardownBlock { unlink(path) }
    let url = URL(fileURLWithPath: path)
    var rejected = 0
    for variant in variants {
      let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
      XCTAssertEqual(variant.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, variant.count)
      close(fd)
      do throws(FormatError) {
        let file = try GGUFFile(url: url)
        for name in file.tensorNames {
          let tensor = try file.tensor(name)
          XCTAssertEqual(tensor.bytes.count, tensor.info.byteCount)
          _ = tensor.bytes.reduce(0, &+)
          _ = try tensor.plainTensor?.floats()
        }
        for key in file.metadataKeys { _ = file.value(key) }
      } catch {
        XCTAssertFalse(error.description.isEmpty)
        XCTAssertFalse(error.description.contains("\n"), "one line: \(error)")
        rejected += 1
      }
    }
    return rejected
  }

  func testSampleIsValid() throws {
    let url = try writeFile(Self.sample(), "s.gguf", in: temporaryDirectory(self))
    let file = try GGUFFile(url: url)
    XCTAssertEqual(file.alignment, 16)
    XCTAssertEqual(file.tensorNames, ["token_embd.weight", "norm", "blk.0.w", "last"])
    let last = try XCTUnwrap(file.tensorInfos.last)
    XCTAssertEqual(file.dataOffset + last.offset + last.byteCount, Self.sample().count)
  }

  func testEveryTruncationThrows() throws {
    let sample = Self.sample()
    let prefixes = (0..<sample.count).map { Array(sample.prefix($0)) }
    XCTAssertEqual(try survey(prefixes), sample.count)
  }

  func testSingleByteCorruptionsNeverCrash() throws {
    let sample = Self.sample()
    var generator = SplitMix64(seed: 7)
    var variants: [[UInt8]] = []
    for position in 0..<sample.count {
      for _ in 0..<2 {
        var flipped = sample
        flipped[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
        variants.append(flipped)
      }
      // The largest value a length, count or offset field can hold.
      var saturated = sample
      saturated[position] = 0xFF
      variants.append(saturated)
    }
    let rejected = try survey(variants)
    XCTAssertGreaterThan(rejected, variants.count / 4)
  }
}
