import Foundation
import GoldenSupport
import XCTest

/// Golden/ is a versioned conformance pack: Golden/VERSION names its version and
/// Golden/MANIFEST.sha256 lists the SHA-256 of every file under Golden/ (written by
/// Golden/tools/manifest.py). Every hash is recomputed here; a changed, missing or unlisted
/// file fails the test.
final class ConformanceManifestTests: XCTestCase {
  func testVersionIsSemantic() throws {
    let text = try String(
      contentsOf: Golden.root.appendingPathComponent("Golden/VERSION"), encoding: .utf8)
    let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
    XCTAssertEqual(parts.count, 3, "Golden/VERSION must be MAJOR.MINOR.PATCH")
    XCTAssertTrue(parts.allSatisfy { Int($0) != nil })
  }

  func testSHA256KnownAnswers() {
    XCTAssertEqual(
      SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(
      SHA256.hex(Data("abc".utf8)),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  func testEveryGoldenFileMatchesTheManifest() throws {
    let golden = Golden.root.appendingPathComponent("Golden")
    let manifest = try String(
      contentsOf: golden.appendingPathComponent("MANIFEST.sha256"), encoding: .utf8)
    var listed: [String: String] = [:]
    for line in manifest.split(separator: "\n") {
      let parts = line.split(separator: " ", maxSplits: 1)
      XCTAssertEqual(parts.count, 2, "malformed manifest line: \(line)")
      guard parts.count == 2 else { continue }
      listed[String(parts[1].drop(while: { $0 == " " }))] = String(parts[0])
    }
    let present = try Self.files(under: golden)
    let hint = "run python3 Golden/tools/manifest.py after changing Golden/"
    for path in present where listed[path] == nil {
      XCTFail("\(path) is not in the manifest; \(hint)")
    }
    for path in listed.keys where !present.contains(path) {
      XCTFail("\(path) is listed but missing")
    }
    for path in present {
      guard let expected = listed[path] else { continue }
      let data = try Data(contentsOf: golden.appendingPathComponent(path), options: .alwaysMapped)
      XCTAssertEqual(SHA256.hex(data), expected, "\(path) changed; \(hint)")
    }
  }

  /// Files under `root` relative to it, skipping what manifest.py skips.
  static func files(under root: URL) throws -> [String] {
    let skippedDirectories: Set<String> = ["__pycache__", ".cache"]
    // Fetched by Golden/tools/fetch_smollm2.sh (which checks its SHA-256), never committed.
    let fetched: Set<String> = ["models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"]
    var result: [String] = []
    func walk(_ directory: URL, _ prefix: String) throws {
      for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
        let url = directory.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let path = prefix + name
        if isDirectory.boolValue {
          if !skippedDirectories.contains(name) { try walk(url, path + "/") }
        } else if path != "MANIFEST.sha256" && !fetched.contains(path) && !name.hasSuffix(".pyc") {
          result.append(path)
        }
      }
    }
    try walk(root, "")
    return result
  }
}

/// A small SHA-256 (FIPS 180-4) for the manifest test; the package has no dependencies.
enum SHA256 {
  private static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4,
    0xab1c_5ed5, 0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe,
    0x9bdc_06a7, 0xc19b_f174, 0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f,
    0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da, 0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7,
    0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967, 0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc,
    0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85, 0xa2bf_e8a1, 0xa81a_664b,
    0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070, 0x19a4_c116,
    0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7,
    0xc671_78f2,
  ]

  /// The digest of `data` as lowercase hex.
  static func hex(_ data: Data) -> String {
    var h: [UInt32] = [
      0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab,
      0x5be0_cd19,
    ]
    var tail = [UInt8](data.suffix(data.count % 64))
    tail.append(0x80)
    while tail.count % 64 != 56 { tail.append(0) }
    let bits = UInt64(data.count) &* 8
    for shift in stride(from: 56, through: 0, by: -8) {
      tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
    }
    var w = [UInt32](repeating: 0, count: 64)
    let whole = data.count - data.count % 64
    data.withUnsafeBytes { raw in
      let bytes = raw.bindMemory(to: UInt8.self)
      var offset = 0
      while offset < whole {
        compress(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + 64)]), &h, &w)
        offset += 64
      }
    }
    tail.withUnsafeBufferPointer { bytes in
      var offset = 0
      while offset < bytes.count {
        compress(UnsafeBufferPointer(rebasing: bytes[offset..<(offset + 64)]), &h, &w)
        offset += 64
      }
    }
    return h.map { word in
      let text = String(word, radix: 16)
      return String(repeating: "0", count: 8 - text.count) + text
    }.joined()
  }

  private static func compress(
    _ block: UnsafeBufferPointer<UInt8>, _ h: inout [UInt32], _ w: inout [UInt32]
  ) {
    for t in 0..<16 {
      w[t] =
        UInt32(block[4 * t]) << 24 | UInt32(block[4 * t + 1]) << 16 | UInt32(block[4 * t + 2]) << 8
        | UInt32(block[4 * t + 3])
    }
    for t in 16..<64 {
      let s0 = rotate(w[t - 15], 7) ^ rotate(w[t - 15], 18) ^ (w[t - 15] >> 3)
      let s1 = rotate(w[t - 2], 17) ^ rotate(w[t - 2], 19) ^ (w[t - 2] >> 10)
      w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
    }
    var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
    for t in 0..<64 {
      let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
      let choice = (e & f) ^ (~e & g)
      let t1 = hh &+ s1 &+ choice &+ k[t] &+ w[t]
      let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
      let majority = (a & b) ^ (a & c) ^ (b & c)
      let t2 = s0 &+ majority
      (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
    }
    h[0] = h[0] &+ a
    h[1] = h[1] &+ b
    h[2] = h[2] &+ c
    h[3] = h[3] &+ d
    h[4] = h[4] &+ e
    h[5] = h[5] &+ f
    h[6] = h[6] &+ g
    h[7] = h[7] &+ hh
  }

  private static func rotate(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
