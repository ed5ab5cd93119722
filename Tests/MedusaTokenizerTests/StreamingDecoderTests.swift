import Foundation
import XCTest

@testable import MedusaTokenizer

/// Issue 3, item 4: streamed chunks concatenate to the full decode, and a chunk never holds
/// text that a later id would change (half a byte-fallback sequence, broken UTF-8).
final class StreamingDecoderTests: XCTestCase {
  /// Streams `ids` and checks that every chunk extends a prefix of the final text.
  private func check(
    _ tokenizer: Tokenizer, _ ids: [Int], skip: Bool, _ label: String
  ) throws -> Bool {
    let full = scalarValues(try tokenizer.decode(ids, skipSpecialTokens: skip))
    var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: skip)
    var streamed: [UInt32] = []
    for id in ids {
      streamed += scalarValues(try stream.push(id))
      if !full.starts(with: streamed) {
        XCTFail("\(label): streamed text is not a prefix of the decode")
        return false
      }
    }
    streamed += scalarValues(try stream.finish())
    if streamed != full { XCTFail("\(label): streamed \(streamed) != \(full)") }
    return streamed == full
  }

  func testStreamingMatchesFullDecodeOnCorpus() throws {
    let corpus = try GoldenFiles.corpus()
    for family in GoldenFiles.families {
      let tokenizer = try GoldenFiles.tokenizer(family)
      let expected = try GoldenFiles.json("\(family)/expected.json")
      var failures = 0
      for (index, item) in (expected["cases"]?.elements ?? []).enumerated() where index % 32 == 0 {
        let ids = (item["ids"]?.ids ?? []).map { Int($0) }
        for skip in [false, true] where failures < 3 {
          if try !check(tokenizer, ids, skip: skip, "\(family) \(debugQuoted(corpus[index]))") {
            failures += 1
          }
        }
      }
      for item in expected["random_decode"]?.elements ?? [] where failures < 3 {
        let ids = (item["ids"]?.ids ?? []).map { Int($0) }
        if try !check(tokenizer, ids, skip: false, "\(family) random \(ids)") { failures += 1 }
      }
    }
  }

  func testByteFallbackRunIsHeldUntilComplete() throws {
    let tokenizer = try GoldenFiles.tokenizer("llama2")
    let euro = ["<0xE2>", "<0x82>", "<0xAC>"].compactMap { tokenizer.id(for: $0) }
    XCTAssertEqual(euro.count, 3)
    guard euro.count == 3 else { return }
    var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
    for id in euro { XCTAssertEqual(scalarValues(try stream.push(id)), []) }
    XCTAssertEqual(scalarValues(try stream.finish()), scalarValues("€"))
  }

  func testUnknownIDIsAnError() throws {
    let tokenizer = try GoldenFiles.tokenizer("gpt2")
    var stream = StreamingDecoder(tokenizer: tokenizer, skipSpecialTokens: false)
    XCTAssertThrowsError(try stream.push(tokenizer.vocabularySize + 5))
  }
}

/// Streaming after a prompt: the chunks are what the new ids add to the decode of the whole
/// sequence, so the first token keeps its leading space (a SentencePiece-style decoder strips
/// the leading space of a text, not of a continuation).
final class StreamingContextTests: XCTestCase {
  func testChunksAfterAContextContinueTheWholeDecode() throws {
    let corpus = try GoldenFiles.corpus()
    for family in GoldenFiles.families {
      let tokenizer = try GoldenFiles.tokenizer(family)
      for index in stride(from: 0, to: min(corpus.count, 400), by: 40) {
        let ids = try tokenizer.encode(corpus[index])
        guard ids.count >= 2 else { continue }
        let split = ids.count / 2
        let context = Array(ids[..<split])
        var stream = try StreamingDecoder(
          tokenizer: tokenizer, skipSpecialTokens: true, context: context)
        var text = ""
        for id in ids[split...] { text += try stream.push(id) }
        text += try stream.finish()
        let whole = try tokenizer.decode(ids, skipSpecialTokens: true)
        let wholeScalars = scalarValues(whole)
        XCTAssertEqual(
          Array(wholeScalars.suffix(text.unicodeScalars.count)), scalarValues(text),
          "\(family) \(index)")
      }
    }
  }

  func testFirstTokenAfterAPromptKeepsItsSpace() throws {
    let tokenizer = try GoldenFiles.tokenizer("llama2")
    let prompt = try tokenizer.encode("The king")
    let ids = try tokenizer.encode("The king of Israel")
    XCTAssertEqual(Array(ids.prefix(prompt.count)), prompt)
    var stream = try StreamingDecoder(
      tokenizer: tokenizer, skipSpecialTokens: true, context: prompt)
    var text = ""
    for id in ids[prompt.count...] { text += try stream.push(id) }
    text += try stream.finish()
    XCTAssertEqual(scalarValues(text), scalarValues(" of Israel"))
  }
}
