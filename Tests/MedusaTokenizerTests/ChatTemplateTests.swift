import Foundation
import XCTest

@testable import MedusaTokenizer

/// The Swift chat templates render what jinja2 renders from the real Jinja
/// templates (Golden/tokenizers/chat_templates.json).
final class ChatTemplateTests: XCTestCase {
  func testTemplatesMatchJinjaRenderings() throws {
    let golden = try GoldenFiles.json("chat_templates.json")
    let cases = golden["cases"]?.elements ?? []
    XCTAssertGreaterThan(cases.count, 50)
    for item in cases {
      guard case .string(let name) = item["template"], let template = ChatTemplate.named(name),
        case .string(let bos) = item["bos_token"], case .string(let eos) = item["eos_token"],
        case .bool(let addPrompt) = item["add_generation_prompt"]
      else { return XCTFail("malformed case") }
      let messages = (item["messages"]?.elements ?? []).compactMap { message -> ChatMessage? in
        guard case .string(let role) = message["role"],
          case .string(let content) = message["content"]
        else { return nil }
        return ChatMessage(role: role, content: content)
      }
      let rendered = template.render(
        messages: messages, addGenerationPrompt: addPrompt, bosToken: bos, eosToken: eos)
      XCTAssertEqual(scalarValues(rendered), item["rendered"]?.scalars, "\(name) \(messages)")
    }
  }

  func testDetectionFromTokenizerConfig() throws {
    let golden = try GoldenFiles.json("chat_templates.json")
    for template in ChatTemplate.allCases {
      guard case .string(let jinja) = golden["templates"]?[template.rawValue] else {
        return XCTFail("no Jinja for \(template)")
      }
      XCTAssertEqual(ChatTemplate.detect(from: TokenizerConfig(chatTemplate: jinja)), template)
    }
    XCTAssertEqual(ChatTemplate.detect(from: try GoldenFiles.tokenizer("llama2").config), .vicuna)
    XCTAssertEqual(ChatTemplate.detect(from: try GoldenFiles.tokenizer("qwen2").config), .chatml)
    XCTAssertNil(ChatTemplate.detect(from: try GoldenFiles.tokenizer("gpt2").config))
    XCTAssertNil(ChatTemplate.named("jinja"))
  }
}
