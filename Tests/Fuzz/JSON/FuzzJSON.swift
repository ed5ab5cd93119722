import MedusaFormats

/// libFuzzer entry: the strict JSON parser (every JSON file and line of the package) on any
/// bytes. Rejecting is fine; crashing, hanging or leaking is not. A value that parses is
/// walked, compared with itself and described, which would overflow the stack on a value
/// nested deeper than the parser allows.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = FuzzInput.bytes(data, count)
  guard let value = try? JSONValue.parse(bytes, file: "fuzz.json") else { return 0 }
  precondition(value == value, "a parsed value must equal itself")
  var pending = [value]
  var visited = 0
  while let next = pending.popLast() {
    visited += 1
    _ = next.text
    _ = next.kind
    if let members = next.objectMembers {
      for member in members { precondition(next[member.key] != nil); pending.append(member.value) }
    }
    if let elements = next.arrayElements { pending += elements }
    _ = next.integerValue
    _ = next.doubleValue
  }
  precondition(visited <= count + 1, "more values than bytes")
  return 0
}
