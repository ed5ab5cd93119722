import Foundation
import GoldenSupport
import XCTest

@testable import MedusaTraining

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
      SHA256.hex([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    XCTAssertEqual(
      SHA256.hex(Array("abc".utf8)),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    XCTAssertEqual(
      SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
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
      XCTAssertEqual(SHA256.hex(Array(data)), expected, "\(path) changed; \(hint)")
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
