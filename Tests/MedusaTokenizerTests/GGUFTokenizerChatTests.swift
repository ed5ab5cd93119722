import Foundation
import XCTest

@testable import MedusaTokenizer

/// `tokenizer.chat_template` from GGUF files: recognized as a `ChatFormat` (ChatML with
/// SmolLM2's default system prompt included) and rendered as transformers'
/// `apply_chat_template` renders it (recorded in the fixtures' expected JSON).
final class GGUFTokenizerChatTests: XCTestCase {
  private func fixture(_ name: String) throws -> (Tokenizer, JSON) {
    let folder = GGUFTokenizerAgreementTests.fixtures
    let tokenizer = try Tokenizer(url: folder.appendingPathComponent("tokenizer-\(name).gguf"))
    let url = folder.appendingPathComponent("tokenizer-\(name).expected.json")
    return (tokenizer, try TokenizerJSON.read(url))
  }

  func testRenderingsMatchTransformers() throws {
    let formats: [String: ChatFormat] = [
      "smollm": ChatFormat(
        template: .chatml,
        defaultSystemPrompt: "You are a helpful AI assistant named SmolLM, trained by Hugging Face"),
      "llama2": ChatFormat(template: .vicuna), "qwen2": ChatFormat(template: .chatml),
      "llama2-scores": ChatFormat(template: .zephyr),
    ]
    for (name, format) in formats {
      let (tokenizer, expected) = try fixture(name)
      let recognized = try XCTUnwrap(try ChatFormat(config: tokenizer.config), name)
      XCTAssertEqual(recognized, format, name)
      let cases = expected["chat"]?.elements ?? []
      XCTAssertEqual(cases.count, 6, name)
      for item in cases {
        guard case .bool(let prompt) = item["add_generation_prompt"] else {
          return XCTFail("\(name): malformed chat case")
        }
        let messages = (item["messages"]?.elements ?? []).compactMap { message -> ChatMessage? in
          guard case .string(let role) = message["role"],
            case .string(let content) = message["content"]
          else { return nil }
          return ChatMessage(role: role, content: content)
        }
        let rendered = recognized.render(
          messages: messages, addGenerationPrompt: prompt,
          bosToken: tokenizer.config.bosToken ?? "", eosToken: tokenizer.config.eosToken ?? "")
        XCTAssertEqual(scalarValues(rendered), item["rendered"]?.scalars, "\(name) \(messages)")
      }
    }
  }

  func testNoTemplate() throws {
    let (tokenizer, _) = try fixture("gpt2")
    XCTAssertNil(tokenizer.config.chatTemplate)
    XCTAssertNil(try ChatFormat(config: tokenizer.config))
  }

  func testUnknownTemplateIsAnErrorNamingItsFirstLine() {
    let jinja = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
    XCTAssertThrowsError(try ChatFormat(jinja: jinja)) { error in
      XCTAssertEqual(
        "\(error)",
        "chat template \"{% for m in messages %}{{ m[\\'content\\'] }}\" is not one of vicuna, "
          + "zephyr, llama2, chatml; choose one by name")
    }
    XCTAssertEqual(ChatTemplate.named("chatml").map { ChatFormat(template: $0) }?.template, .chatml)
  }

  func testDefaultSystemPromptExtraction() {
    let smol =
      "{% if messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou\\'re \"kind\".<|im_end|>\\n' }}"
      + "{% endif %}{{'<|im_start|>' + m['role'] }}"
    XCTAssertEqual(ChatFormat.constantSystemBlock(in: smol), "You're \"kind\".")
    // A system block assembled from the messages is no default.
    let plain = "{{ '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    XCTAssertNil(ChatFormat.constantSystemBlock(in: plain))
    // Quotes outside tags are template text, not literals.
    XCTAssertEqual(
      ChatFormat.jinjaStringLiterals(
        "it's {{ 'a' + \"b\\\\c\" }} '<|im_start|>system\\nX<|im_end|>\\n'"),
      ["a", "b\\c"])
    let format = ChatFormat(template: .chatml, defaultSystemPrompt: "S")
    XCTAssertEqual(format.render(messages: [], addGenerationPrompt: false), "")
    XCTAssertEqual(
      format.render(messages: [ChatMessage(role: "user", content: "U")], addGenerationPrompt: true),
      "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n")
  }

  /// The real SmolLM2 file's template, when it has been fetched.
  func testSmolLM2Template() throws {
    let gguf = GGUFTokenizerAgreementTests.root.appendingPathComponent(
      "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf")
    guard FileManager.default.fileExists(atPath: gguf.path) else {
      print("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
      throw XCTSkip("SmolLM2 GGUF absent; fetch it with: bash Golden/tools/fetch_smollm2.sh")
    }
    let format = try XCTUnwrap(try ChatFormat(config: try Tokenizer(url: gguf).config))
    XCTAssertEqual(format.template, .chatml)
    XCTAssertEqual(
      format.defaultSystemPrompt,
      "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
  }
}
