import MedusaFormats

/// libFuzzer entry: a `torch.save` checkpoint of any bytes: the ZIP reader, the restricted
/// unpickler and the tensor checks. Every tensor of a checkpoint that opens is read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPyTorch(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let url = FuzzInput.file(FuzzInput.bytes(data, count), name: "checkpoint.pt")
  guard let checkpoint = try? PyTorchCheckpoint(url: url) else { return 0 }
  for name in checkpoint.names {
    guard let tensor = try? checkpoint.tensor(name) else { continue }
    _ = tensor.bytes.reduce(0 as UInt8, &+)
    _ = try? tensor.floats()
  }
  return 0
}
