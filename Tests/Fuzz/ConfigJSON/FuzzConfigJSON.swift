import Foundation
import Llama

/// libFuzzer entry: a model folder's config.json of any bytes, through the public reader
/// (`LlamaConfig(directory:)`, which also reads generation_config.json when present: each
/// input is written as both, alternately, to reach its EOS/BOS merging).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = FuzzInput.bytes(data, count)
  _ = FuzzInput.file(bytes, name: "config.json")
  let generation = FuzzInput.directory.appendingPathComponent("generation_config.json")
  if count % 2 == 1 {
    _ = FuzzInput.file(bytes, name: "generation_config.json")
  } else {
    try? FileManager.default.removeItem(at: generation)
  }
  _ = try? LlamaConfig(directory: FuzzInput.directory)
  return 0
}
