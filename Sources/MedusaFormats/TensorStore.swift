import Foundation

/// A checkpoint: all tensors of a Hugging Face model folder (`model.safetensors`, or
/// `model.safetensors.index.json` plus the shards it names), or of an explicit file list.
public final class TensorStore: @unchecked Sendable {
  /// The single-file checkpoint name in a model folder.
  public static let singleFileName = "model.safetensors"
  /// The shard index name in a model folder.
  public static let indexFileName = "model.safetensors.index.json"

  /// The opened files, in the order given (or the index's shard order, sorted).
  public let files: [SafetensorsFile]
  private let location: [String: Int]

  /// Opens a model folder. Like `transformers`, a `model.safetensors` wins over an index;
  /// with an index, every shard must exist and hold exactly the tensors the index assigns it.
  public convenience init(directory: URL) throws(FormatError) {
    let single = directory.appendingPathComponent(Self.singleFileName)
    let index = directory.appendingPathComponent(Self.indexFileName)
    if FileManager.default.fileExists(atPath: single.path) {
      try self.init(files: [single])
    } else if FileManager.default.fileExists(atPath: index.path) {
      let weightMap = try ShardIndex.weightMap(index: index)
      let shardNames = Set(weightMap.values).sorted()
      var shards: [URL] = []
      for shard in shardNames {
        let url = directory.appendingPathComponent(shard)
        guard FileManager.default.fileExists(atPath: url.path) else {
          throw .shardMissing(index: index.path, shard: shard)
        }
        shards.append(url)
      }
      try self.init(files: shards)
      try ShardIndex.check(weightMap, against: self, index: index.path)
    } else {
      throw .noCheckpoint(directory: directory.path)
    }
  }

  /// Opens every file in `files`; a tensor name present in two files is an error.
  public init(files: [URL]) throws(FormatError) {
    var opened: [SafetensorsFile] = []
    var location: [String: Int] = [:]
    for url in files {
      let file = try SafetensorsFile(url: url)
      for name in file.names {
        if let first = location[name] {
          throw .duplicateTensor(
            name: name, firstFile: opened[first].url.path, secondFile: url.path)
        }
        location[name] = opened.count
      }
      opened.append(file)
    }
    self.files = opened
    self.location = location
  }

  /// All tensor names, sorted.
  public var names: [String] { location.keys.sorted() }

  /// Whether a tensor called `name` exists.
  public func contains(_ name: String) -> Bool { location[name] != nil }

  /// The tensor called `name`; if missing, the error names it and every file searched.
  public func tensor(_ name: String) throws(FormatError) -> Tensor {
    guard let index = location[name] else {
      throw .tensorNotFound(name: name, searched: files.map(\.url.path))
    }
    return try files[index].tensor(name)
  }

  /// The file that holds `name`, if any.
  func file(holding name: String) -> SafetensorsFile? { location[name].map { files[$0] } }
}
