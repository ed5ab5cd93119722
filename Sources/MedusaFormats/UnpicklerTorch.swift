/// The torch-specific part of the restricted unpickler: persistent ids of storages and the
/// calls that rebuild tensors. Arguments are checked for type here; shapes, strides and byte
/// ranges are checked by `PyTorchCheckpoint`, which knows each tensor's name.
extension Unpickler {
  /// BINPERSID: `("storage", storage type, key, location, numel)` becomes a storage reference.
  mutating func persistentLoad(_ id: PickleValue) throws(FormatError) -> PickleValue {
    guard case .tuple(let fields) = id, fields.count == 5, case .string("storage") = fields[0],
      case .global(let type) = fields[1], let dtype = type.storageDType,
      case .string(let key) = fields[2], case .string = fields[3], case .int(let count) = fields[4],
      count >= 0
    else { throw malformed("persistent id is not (\"storage\", type, key, location, numel)") }
    return .storage(PickleStorage(dtype: dtype, key: key, count: count))
  }

  /// REDUCE: calls one of the allow-listed callables with `arguments`.
  mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws(FormatError)
    -> PickleValue
  {
    guard case .global(let function) = callable, case .tuple(let args) = arguments else {
      throw malformed("REDUCE of \(callable.kind) with \(arguments.kind) arguments")
    }
    switch function {
    case .orderedDict:
      guard args.isEmpty else { throw malformed("OrderedDict called with arguments") }
      return .dict(PickleDict())
    case .rebuildTensor:
      guard args.count == 6 || args.count == 7, case .storage(let storage) = args[0],
        case .int(let offset) = args[1], let shape = Self.integers(args[2]),
        let stride = Self.integers(args[3]),
        case .bool = args[4], case .dict = args[5]
      else {
        throw malformed(
          "_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, bool, hooks)")
      }
      return .tensor(PickleTensor(storage: storage, offset: offset, shape: shape, stride: stride))
    case .rebuildParameter:
      guard args.count == 3, case .tensor = args[0], case .bool = args[1], case .dict = args[2]
      else {
        throw malformed("_rebuild_parameter arguments are not (tensor, bool, hooks)")
      }
      return args[0]
    case .floatStorage, .halfStorage, .bfloat16Storage:
      throw malformed("\(function.rawValue) cannot be called")
    }
  }

  /// The elements of a tuple of ints, or nil.
  private static func integers(_ value: PickleValue) -> [Int]? {
    guard case .tuple(let items) = value else { return nil }
    var result: [Int] = []
    for item in items {
      guard case .int(let i) = item else { return nil }
      result.append(i)
    }
    return result
  }
}
