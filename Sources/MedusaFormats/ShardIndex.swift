import Foundation

/// Reading and checking `model.safetensors.index.json`: `{"metadata": {...}, "weight_map":
/// {tensor name: shard file name}}`.
enum ShardIndex {
  /// The `weight_map` of the index at `index`. Shard names must be plain file names in the
  /// index's folder (no path separators, not `.` or `..`).
  static func weightMap(index: URL) throws(FormatError) -> [String: String] {
    let path = index.path
    let mapping = try MappedFile(url: index)
    let root: JSONValue
    do throws(JSONError) {
      root = try JSONParser.parse(mapping.bytes)
    } catch {
      switch error {
      case .notUTF8: throw .invalidIndex(file: path, reason: "not UTF-8")
      case .syntax(let message, let offset):
        throw .invalidIndex(file: path, reason: "not JSON: \(message) at byte \(offset)")
      case .duplicateKey(let key, _): throw .duplicateKey(file: path, key: key)
      }
    }
    guard let members = root.objectMembers else {
      throw .invalidIndex(file: path, reason: "not a JSON object")
    }
    guard let weightMap = members.first(where: { $0.key == "weight_map" })?.value else {
      throw .invalidIndex(file: path, reason: "no 'weight_map'")
    }
    guard let entries = weightMap.objectMembers else {
      throw .invalidIndex(file: path, reason: "'weight_map' is not an object")
    }
    var result: [String: String] = [:]
    for (tensor, shardValue) in entries {
      guard let shard = shardValue.stringValue else {
        throw .invalidIndex(file: path, reason: "'weight_map' entry '\(tensor)' is not a string")
      }
      guard !shard.isEmpty, shard != ".", shard != "..", !shard.contains("/"), !shard.contains("\\")
      else {
        throw .invalidIndex(file: path, reason: "shard name '\(shard)' is not a plain file name")
      }
      result[tensor] = shard
    }
    return result
  }

  /// Checks that every shard in `store` holds exactly the tensors `weightMap` assigns it.
  static func check(_ weightMap: [String: String], against store: TensorStore, index: String)
    throws(FormatError)
  {
    for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) {
      guard store.file(holding: tensor)?.url.lastPathComponent == shard else {
        throw .tensorMissingFromShard(index: index, tensor: tensor, shard: shard)
      }
    }
    for file in store.files {
      for tensor in file.names where weightMap[tensor] != file.url.lastPathComponent {
        throw .tensorNotInIndex(index: index, tensor: tensor, shard: file.url.lastPathComponent)
      }
    }
  }
}
