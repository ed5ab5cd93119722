import MedusaFormats

/// libFuzzer entry: a safetensors file of any bytes. Opening validates the whole header; every
/// tensor of a file that opens is read (`floats()` for the float dtypes), which must stay
/// inside the mapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let url = FuzzInput.file(FuzzInput.bytes(data, count), name: "model.safetensors")
  guard let file = try? SafetensorsFile(url: url) else { return 0 }
  _ = file.metadata
  for name in file.names {
    guard let tensor = try? file.tensor(name) else { continue }
    _ = tensor.bytes.reduce(0 as UInt8, &+)
    _ = try? tensor.floats()
  }
  _ = try? TensorStore(files: [url])
  return 0
}
