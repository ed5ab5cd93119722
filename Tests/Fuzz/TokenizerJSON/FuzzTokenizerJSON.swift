import MedusaTokenizer

/// libFuzzer entry: a tokenizer.json of any bytes (every component reader), then encoding and
/// decoding with the tokenizer when it loads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = Array(FuzzInput.bytes(data, count))
  guard let tokenizer = try? Tokenizer(tokenizerJSON: bytes) else { return 0 }
  FuzzTokenizer.exercise(tokenizer)
  return 0
}
