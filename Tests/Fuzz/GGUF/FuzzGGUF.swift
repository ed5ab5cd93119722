import Llama
import MedusaFormats

/// libFuzzer entry: a GGUF file of any bytes: header, metadata values (nested arrays included),
/// tensor infos and data bounds; for a file that opens, every value accessor, every tensor's
/// bytes, plain tensors' floats, and the Llama config read from the metadata.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let url = FuzzInput.file(FuzzInput.bytes(data, count), name: "model.gguf")
  guard let file = try? GGUFFile(url: url) else { return 0 }
  for key in file.metadataKeys {
    guard let value = file.value(key) else { continue }
    _ = (value.type, value.int, value.float, value.bool, value.string)
    _ = (value.array?.count, value.strings?.count, value.ints?.count, value.floats?.count)
  }
  for info in file.tensorInfos {
    _ = (info.shape, info.rowLength, info.rowCount, info.elementCount)
    guard let tensor = try? file.tensor(info.name) else { continue }
    _ = tensor.bytes.reduce(0 as UInt8, &+)
    _ = try? tensor.plainTensor?.floats()
  }
  _ = try? LlamaConfig(gguf: file)
  return 0
}
