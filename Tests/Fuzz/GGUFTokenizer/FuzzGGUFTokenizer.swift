import MedusaFormats
import MedusaTokenizer

/// libFuzzer entry: the tokenizer of a GGUF file of any bytes (tokens, merges or scores, token
/// types, special ids, chat template), then encoding and decoding with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUFTokenizer(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let url = FuzzInput.file(FuzzInput.bytes(data, count), name: "tokenizer.gguf")
  guard let file = try? GGUFFile(url: url), let tokenizer = try? Tokenizer(gguf: file) else {
    return 0
  }
  FuzzTokenizer.exercise(tokenizer)
  _ = try? ChatFormat(config: tokenizer.config)
  return 0
}
