import Foundation

/// Reads a `torch.save`d state dict of tensors (F32/F16/BF16) without executing anything.
///
/// The file is a stored ZIP: `<prefix>/data.pkl` (the pickled dict), `<prefix>/data/<key>`
/// (one blob per storage), `<prefix>/byteorder`, `<prefix>/version`. The pickle is read by a
/// restricted unpickler; each tensor must be a contiguous view inside its storage, and each
/// storage must fit inside its blob. The `_metadata` attribute of the dict is ignored.
public final class PyTorchCheckpoint: @unchecked Sendable {
  /// The file.
  public let url: URL
  private let mapping: MappedFile
  private let tensors: [String: (dtype: TensorDType, shape: [Int], bytes: UnsafeRawBufferPointer)]

  /// Maps and reads the checkpoint at `url`; every inconsistency is a `FormatError`.
  public init(url: URL) throws(FormatError) {
    let path = url.path
    let mapping = try MappedFile(url: url)
    let bytes = mapping.bytes
    let archive = try ZipArchive(bytes: bytes, file: path)
    let prefix = try Self.prefix(archive, file: path)
    if let order = archive.data(prefix + "byteorder", in: bytes) {
      let text = String(decoding: order, as: UTF8.self)
      guard text == "little" else { throw .unsupportedByteOrder(file: path, byteOrder: text) }
    }
    guard let pickle = archive.data(prefix + "data.pkl", in: bytes) else {
      throw .zipEntryMissing(file: path, entry: prefix + "data.pkl")
    }
    var unpickler = Unpickler(bytes: pickle, file: path)
    let root = try unpickler.load()
    guard case .dict(let dict) = root else {
      throw .pickleMalformed(
        file: path, reason: "the pickled object is \(root.kind), not a dict",
        offset: pickle.count - 1)
    }
    var tensors: [String: (dtype: TensorDType, shape: [Int], bytes: UnsafeRawBufferPointer)] = [:]
    for (name, value) in dict.items {
      guard case .tensor(let tensor) = value else {
        throw .invalidTensor(
          file: path, tensor: name, reason: "holds a value of type \(value.kind)")
      }
      let blobName = prefix + "data/" + tensor.storage.key
      guard let blob = archive.data(blobName, in: bytes) else {
        throw .zipEntryMissing(file: path, entry: blobName)
      }
      let range = try Self.byteRange(tensor, blobSize: blob.count, name: name, file: path)
      tensors[name] = (
        tensor.storage.dtype, tensor.shape, UnsafeRawBufferPointer(rebasing: blob[range])
      )
    }
    self.url = url
    self.mapping = mapping
    self.tensors = tensors
  }

  /// The tensor names, sorted.
  public var names: [String] { tensors.keys.sorted() }

  /// The tensor called `name`; throws `tensorNotFound` naming this file if there is none.
  public func tensor(_ name: String) throws(FormatError) -> Tensor {
    guard let entry = tensors[name] else { throw .tensorNotFound(name: name, searched: [url.path]) }
    return Tensor(
      name: name, dtype: entry.dtype, shape: entry.shape, bytes: entry.bytes, file: url,
      owner: mapping)
  }

  /// The archive's folder prefix (with its slash): that of its only `*/data.pkl` entry.
  private static func prefix(_ archive: ZipArchive, file: String) throws(FormatError) -> String {
    let pickles = archive.entries.keys.filter {
      $0.hasSuffix("/data.pkl") && $0.dropLast("/data.pkl".count).allSatisfy { $0 != "/" }
    }
    guard pickles.count == 1, let pickle = pickles.first else {
      guard pickles.isEmpty else {
        throw .zipMalformed(file: file, what: "several pickles: \(pickles.sorted())", offset: 0)
      }
      throw .zipEntryMissing(file: file, entry: "<archive>/data.pkl")
    }
    return String(pickle.dropLast("data.pkl".count))
  }

  /// The bytes of `tensor` within its blob, after checking shape, contiguity and bounds.
  private static func byteRange(_ tensor: PickleTensor, blobSize: Int, name: String, file: String)
    throws(FormatError) -> Range<Int>
  {
    let shape = tensor.shape
    let width = tensor.storage.dtype.byteWidth
    guard shape.allSatisfy({ $0 >= 0 }), tensor.stride.count == shape.count, tensor.offset >= 0
    else {
      throw .invalidTensor(
        file: file, tensor: name,
        reason: "size \(shape), stride \(tensor.stride), offset \(tensor.offset)")
    }
    var count = 1
    var expectedStride = 1
    var contiguous = true
    for (size, stride) in zip(shape, tensor.stride).reversed() {
      if size != 1 && stride != expectedStride { contiguous = false }
      let (product, overflow) = expectedStride.multipliedReportingOverflow(by: size)
      guard !overflow else { throw .shapeOverflow(file: file, tensor: name, shape: shape) }
      expectedStride = product
      count = product
    }
    guard contiguous || count == 0 else {
      throw .nonContiguousTensor(file: file, tensor: name, shape: shape, stride: tensor.stride)
    }
    let storageElements = tensor.storage.count
    let (storageBytes, storageOverflow) = storageElements.multipliedReportingOverflow(by: width)
    guard !storageOverflow, storageBytes <= blobSize else {
      throw .storageOutOfBounds(
        file: file, tensor: name, needed: storageOverflow ? Int.max : storageBytes,
        available: blobSize)
    }
    let (end, endOverflow) = tensor.offset.addingReportingOverflow(count)
    guard !endOverflow, end <= storageElements else {
      throw .storageOutOfBounds(
        file: file, tensor: name, needed: endOverflow ? Int.max : end * width,
        available: storageBytes)
    }
    return tensor.offset * width..<end * width
  }
}
