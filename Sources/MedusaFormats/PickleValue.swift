/// The only values the restricted unpickler can build: those of a torch tensor state dict.
indirect enum PickleValue {
  /// Python `None`.
  case none
  /// Python `bool`.
  case bool(Bool)
  /// Python `int` (within 64 bits).
  case int(Int)
  /// Python `str`.
  case string(String)
  /// Python `tuple`.
  case tuple([PickleValue])
  /// Python `dict` or `collections.OrderedDict` (a reference: SETITEM mutates it in place).
  case dict(PickleDict)
  /// One of the allow-listed globals.
  case global(PickleGlobal)
  /// A storage reference made by BINPERSID.
  case storage(PickleStorage)
  /// A tensor made by `_rebuild_tensor_v2` (or `_rebuild_parameter`).
  case tensor(PickleTensor)

  /// A short name of the value's kind, for error messages.
  var kind: String {
    switch self {
    case .none: "None"
    case .bool: "bool"
    case .int: "int"
    case .string: "str"
    case .tuple: "tuple"
    case .dict: "dict"
    case .global(let g): g.rawValue
    case .storage: "storage"
    case .tensor: "tensor"
    }
  }
}

/// The globals the unpickler will resolve; anything else is refused by name.
enum PickleGlobal: String {
  /// `collections.OrderedDict`, callable with no arguments.
  case orderedDict = "collections.OrderedDict"
  /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
  case rebuildTensor = "torch._utils._rebuild_tensor_v2"
  /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
  case rebuildParameter = "torch._utils._rebuild_parameter"
  /// The float32 storage type.
  case floatStorage = "torch.FloatStorage"
  /// The float16 storage type.
  case halfStorage = "torch.HalfStorage"
  /// The bfloat16 storage type.
  case bfloat16Storage = "torch.BFloat16Storage"

  /// The element type of a storage type, or nil for the callables.
  var storageDType: TensorDType? {
    switch self {
    case .floatStorage: .f32
    case .halfStorage: .f16
    case .bfloat16Storage: .bf16
    case .orderedDict, .rebuildTensor, .rebuildParameter: nil
    }
  }
}

/// A dict under construction, in insertion order, with string keys.
///
/// A dict is a reference (SETITEM mutates it in place), so a hostile pickle could make it
/// contain itself, or grow a chain of dicts far deeper than any nesting check at insertion
/// time saw. Both are ruled out by sealing: a dict becomes read-only the moment it is placed
/// inside another value (a tuple, or a value of another dict). A sealed dict's contents never
/// change, so its `depth` is final, and no cycle can be built (to close one, a dict would have
/// to be mutated after it was placed inside the cycle). `torch.save` always fills a dict
/// before placing it.
final class PickleDict {
  /// The items in insertion order.
  private(set) var items: [(key: String, value: PickleValue)] = []
  /// The keys so far (Swift `String` equality: `PyTorchCheckpoint` keys tensors by `String`,
  /// so canonically equivalent names would collide there; they are duplicates here).
  private var keys = Set<String>()
  /// Nesting depth: 1 + the deepest value inside (1 for an empty dict).
  private(set) var depth = 1
  /// Whether the dict has been placed inside another value (and so may no longer change).
  private(set) var isSealed = false

  /// Adds an item whose value has nesting depth `valueDepth`; returns false if the key was
  /// already present. The dict must not be sealed.
  func insert(_ key: String, _ value: PickleValue, valueDepth: Int) -> Bool {
    guard keys.insert(key).inserted else { return false }
    items.append((key, value))
    depth = max(depth, valueDepth + 1)
    return true
  }

  /// Marks the dict as placed inside another value.
  func seal() { isSealed = true }
}

/// A storage as named by torch's persistent id `("storage", type, key, location, numel)`.
struct PickleStorage {
  /// The element type, from the storage type.
  let dtype: TensorDType
  /// The name of the blob, `data/<key>` in the archive.
  let key: String
  /// The number of elements in the storage.
  let count: Int
}

/// A tensor view of a storage, as `_rebuild_tensor_v2` receives it (not yet validated).
struct PickleTensor {
  /// The storage it views.
  let storage: PickleStorage
  /// Offset of the first element, in elements.
  let offset: Int
  /// The dimensions.
  let shape: [Int]
  /// The strides, in elements.
  let stride: [Int]
}
