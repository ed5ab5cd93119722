import Foundation
import Llama
import MedusaTokenizer

/// The tokenizer that belongs to a model: the GGUF file's own vocabulary when the model came
/// from one, else the `tokenizer.json` of its folder.
enum ModelTokenizer {
  /// The tokenizer of `model`, or `nil` when it has none.
  static func load(for model: LlamaModel) throws -> Tokenizer? {
    if let gguf = model.ggufFile { return try Tokenizer(url: gguf) }
    let json = model.directory.appendingPathComponent("tokenizer.json")
    guard FileManager.default.fileExists(atPath: json.path) else { return nil }
    return try Tokenizer(url: model.directory)
  }
}
