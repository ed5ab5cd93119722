import Foundation
import XCTest

@testable import MedusaTokenizer

/// Streamed chunks concatenate to the full decode, and a chunk never holds
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
    XCTAssertGreaterThanOrEqual(corpus.count, 2000)
    for family in GoldenFiles.families {
      let tokenizer = try GoldenFiles.tokenizer(family)
      let expected = try GoldenFiles.json("\(family)/expected.json")
      let cases = try XCTUnwrap(expected["cases"]?.arrayElements, "\(family): no cases")
      let random = try XCTUnwrap(
        expected["random_decode"]?.arrayElements, "\(family): no random_decode")
      XCTAssertGreaterThanOrEqual(cases.count, 400, family)
      XCTAssertGreaterThanOrEqual(random.count, 300, family)
      var failures = 0
      var checked = 0
      for (index, item) in cases.enumerated() where index % 32 == 0 {
        let ids = try XCTUnwrap(item["ids"]?.arrayElements, "\(family) case \(index): no ids")
          .map { try XCTUnwrap($0.integerValue, "\(family) case \(index): id") }
        for skip in [false, true] where failures < 3 {
          checked += 1
          if try !check(tokenizer, ids, skip: skip, "\(family) \(debugQuoted(corpus[index]))") {
            failures += 1
          }
        }
      }
      for item in random where failures < 3 {
        let ids = try XCTUnwrap(item["ids"]?.arrayElements, "\(family) random: no ids")
          .map { try XCTUnwrap($0.integerValue, "\(family) random: id") }
        checked += 1
        if try !check(tokenizer, ids, skip: false, "\(family) random \(ids)") { failures += 1 }
      }
      XCTAssertEqual(failures, 0, family)
      XCTAssertEqual(checked, (cases.count + 31) / 32 * 2 + random.count, family)
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
    var checked = 0
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
        let whole = scalarValues(try tokenizer.decode(ids, skipSpecialTokens: true))
        let shown = scalarValues(try tokenizer.decode(context, skipSpecialTokens: true))
        // The context's text is shown already: the chunks are exactly the rest of the whole
        // decode (when the new ids do not rewrite the context's end, as clean-up rules can).
        if whole.starts(with: shown) {
          XCTAssertEqual(scalarValues(text), Array(whole[shown.count...]), "\(family) \(index)")
        } else {
          XCTAssertEqual(
            Array(whole.suffix(text.unicodeScalars.count)), scalarValues(text),
            "\(family) \(index)")
        }
        checked += 1
      }
    }
    XCTAssertGreaterThan(checked, 50)
  }

  /// `medusa generate 'hello é'` printed "é" again: the prompt ends with byte-fallback tokens,
  /// which the decoder held back, and released as new text with the first generated token.
  func testPromptEndingInByteFallbackIsNotRepeated() throws {
    let tokenizer = try GoldenFiles.tokenizer("llama2")
    for prompt in ["hello é", "hello €", "€", "a 😀"] {
      let context = try tokenizer.encode(prompt)
      let last = try XCTUnwrap(context.last)
      XCTAssertNotNil(
        Decoder.byteFallbackValue(Array((tokenizer.token(for: last) ?? "").unicodeScalars)),
        "\(prompt) should end with a byte-fallback token")
      let next = try XCTUnwrap(tokenizer.id(for: "▁world"))
      var stream = try StreamingDecoder(
        tokenizer: tokenizer, skipSpecialTokens: true, context: context)
      let text = try stream.push(next) + stream.push(next) + stream.finish()
      XCTAssertEqual(scalarValues(text), scalarValues(" world world"), prompt)
      var quiet = try StreamingDecoder(
        tokenizer: tokenizer, skipSpecialTokens: true, context: context)
      XCTAssertEqual(try quiet.finish(), "", "\(prompt): finish with no new ids")
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
