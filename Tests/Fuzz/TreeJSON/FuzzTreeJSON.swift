import Foundation
import Medusa

/// libFuzzer entry: a Medusa tree (`medusa_choices`) JSON file of any bytes, as full paths
/// and as leaf paths, and the tree buffers of a tree that validates.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTreeJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = Data(FuzzInput.bytes(data, count))
  for heads in [1, 4, 5] {
    guard let choices = try? MedusaChoices(jsonData: bytes, source: "tree.json", headCount: heads)
    else { continue }
    _ = TreeBuffers(choices: choices)
    _ = try? MedusaChoices(leafPaths: choices.paths, headCount: heads)
  }
  return 0
}
