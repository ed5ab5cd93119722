/// A restricted unpickler: it interprets only the opcodes that `torch.save` uses for a state
/// dict of tensors (pickle protocols 2 to 5) and resolves only the globals in `PickleGlobal`.
/// It never imports or calls anything; calls are interpreted by `reduce` for the allow-listed
/// callables alone. Any other opcode or global is an error naming it and its byte offset.
///
/// Values nest at most `maxDepth` deep (a tuple of tuples of ... or dicts of dicts), so that no
/// pickle can build a value whose recursive use or release would exhaust the stack; dicts are
/// sealed when placed inside another value (see `PickleDict`), so no cycle can be built either.
struct Unpickler {
  /// The deepest nesting of tuples and dicts accepted (a torch state dict needs 4).
  static let maxDepth = 64

  /// A value on the stack or in the memo, with its nesting depth (tuples and dicts add one
  /// level; a dict's depth is read from the dict, which may still grow while unsealed).
  struct Entry {
    /// The value.
    let value: PickleValue
    /// The depth of a value that is not a dict.
    let fixedDepth: Int

    /// The nesting depth of the value.
    var depth: Int {
      if case .dict(let dict) = value { return dict.depth }
      return fixedDepth
    }
  }

  private let bytes: UnsafeRawBufferPointer
  private let file: String
  private var position = 0
  /// Offset of the opcode being interpreted, for error messages.
  private var opcodeOffset = 0
  private var stack: [Entry] = []
  /// Stack heights at each open MARK.
  private var marks: [Int] = []
  private var memo: [Int: Entry] = [:]

  /// Prepares to read the pickle `bytes`, found in `file`.
  init(bytes: UnsafeRawBufferPointer, file: String) {
    self.bytes = bytes
    self.file = file
  }

  /// Interprets the pickle up to STOP and returns its top-level value.
  mutating func load() throws(FormatError) -> PickleValue {
    while true {
      opcodeOffset = position
      let opcode = try readByte()
      if opcode == 0x2E {  // STOP
        guard marks.isEmpty, stack.count == 1, let result = stack.last else {
          throw malformed(
            "STOP with \(stack.count) values on the stack and \(marks.count) open marks")
        }
        return result.value
      }
      try interpret(opcode)
    }
  }

  // MARK: Errors and input

  func malformed(_ reason: String) -> FormatError {
    .pickleMalformed(file: file, reason: reason, offset: opcodeOffset)
  }

  private mutating func read(_ count: Int) throws(FormatError) -> UnsafeRawBufferPointer {
    guard count >= 0, count <= bytes.count - position,
      let slice = bytes.slice(position..<position + count)
    else {
      throw .pickleTruncated(file: file, offset: opcodeOffset)
    }
    position += count
    return slice
  }

  private mutating func readByte() throws(FormatError) -> UInt8 { try read(1)[0] }

  private mutating func readInteger<T: FixedWidthInteger>(_ type: T.Type) throws(FormatError) -> T {
    try read(MemoryLayout<T>.size).littleEndian(T.self, at: 0) ?? 0
  }

  private mutating func readUTF8(_ count: Int) throws(FormatError) -> String {
    guard let text = String(validating: try read(count), as: UTF8.self) else {
      throw malformed("string is not UTF-8")
    }
    return text
  }

  /// Reads a newline-terminated line (the GLOBAL operands).
  private mutating func readLine() throws(FormatError) -> String {
    let start = position
    while try readByte() != 0x0A {}
    guard let line = bytes.slice(start..<position - 1),
      let text = String(validating: line, as: UTF8.self)
    else {
      throw malformed("GLOBAL name is not UTF-8")
    }
    return text
  }

  // MARK: Stack

  /// Pushes a value that holds no tuple or dict (depth 0), or a dict.
  private mutating func push(_ value: PickleValue) {
    stack.append(Entry(value: value, fixedDepth: 0))
  }

  /// Pushes a tuple of `items`, sealing the dicts among them; throws if it nests too deep.
  private mutating func pushTuple(_ items: [Entry]) throws(FormatError) {
    let depth = try nestingDepth(containing: items)
    stack.append(Entry(value: .tuple(items.map(\.value)), fixedDepth: depth))
  }

  /// The depth of a container of `items` (one more than the deepest), after sealing the dicts
  /// among them; throws past `maxDepth`.
  func nestingDepth(containing items: [Entry]) throws(FormatError) -> Int {
    var depth = 1
    for item in items {
      if case .dict(let dict) = item.value { dict.seal() }
      depth = max(depth, item.depth + 1)
    }
    guard depth <= Self.maxDepth else {
      throw malformed("values nest deeper than \(Self.maxDepth) levels")
    }
    return depth
  }

  mutating func pop() throws(FormatError) -> PickleValue { try popEntry().value }

  private mutating func popEntry() throws(FormatError) -> Entry {
    guard stack.count > (marks.last ?? 0), let entry = stack.popLast() else {
      throw malformed("stack underflow")
    }
    return entry
  }

  /// Pops everything above the last MARK.
  private mutating func popMark() throws(FormatError) -> [Entry] {
    guard let mark = marks.popLast() else { throw malformed("no MARK") }
    let items = Array(stack[mark...])
    stack.removeSubrange(mark...)
    return items
  }

  private mutating func memoize(_ index: Int) throws(FormatError) {
    guard let top = stack.last, stack.count > (marks.last ?? 0) else {
      throw malformed("memoizing an empty stack")
    }
    memo[index] = top
  }

  private mutating func recall(_ index: Int) throws(FormatError) {
    guard let entry = memo[index] else { throw malformed("memo key \(index) was never stored") }
    stack.append(entry)
  }

  // MARK: Opcodes

  private mutating func interpret(_ opcode: UInt8) throws(FormatError) {
    switch opcode {
    case 0x80:  // PROTO
      let version = try readByte()
      guard (2...5).contains(version) else {
        throw malformed("pickle protocol \(version) is not 2 to 5")
      }
    case 0x95: _ = try readInteger(UInt64.self)  // FRAME: a size hint only
    case 0x28: marks.append(stack.count)  // MARK
    case 0x7D: push(.dict(PickleDict()))  // EMPTY_DICT
    case 0x29: try pushTuple([])  // EMPTY_TUPLE
    case 0x74: try pushTuple(try popMark())  // TUPLE
    case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
      var items: [Entry] = []
      for _ in 0..<Int(opcode - 0x84) { items.insert(try popEntry(), at: 0) }
      try pushTuple(items)
    case 0x71: try memoize(Int(try readByte()))  // BINPUT
    case 0x72: try memoize(Int(try readInteger(UInt32.self)))  // LONG_BINPUT
    case 0x94: try memoize(memo.count)  // MEMOIZE
    case 0x68: try recall(Int(try readByte()))  // BINGET
    case 0x6A: try recall(Int(try readInteger(UInt32.self)))  // LONG_BINGET
    case 0x58: push(.string(try readUTF8(Int(try readInteger(UInt32.self)))))  // BINUNICODE
    case 0x8C: push(.string(try readUTF8(Int(try readByte()))))  // SHORT_BINUNICODE
    case 0x4B: push(.int(Int(try readByte())))  // BININT1
    case 0x4D: push(.int(Int(try readInteger(UInt16.self))))  // BININT2
    case 0x4A: push(.int(Int(try readInteger(Int32.self))))  // BININT
    case 0x8A: push(.int(try readLong1()))  // LONG1
    case 0x4E: push(.none)  // NONE
    case 0x88: push(.bool(true))  // NEWTRUE
    case 0x89: push(.bool(false))  // NEWFALSE
    case 0x63:  // GLOBAL
      let module = try readLine()
      push(.global(try resolve(module, try readLine())))
    case 0x93:  // STACK_GLOBAL
      guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
        throw malformed("STACK_GLOBAL operands are not strings")
      }
      push(.global(try resolve(module, name)))
    case 0x52:  // REDUCE (the arguments are a tuple, whose dicts are sealed already)
      let arguments = try pop()
      push(try reduce(try pop(), arguments))
    case 0x51: push(try persistentLoad(try pop()))  // BINPERSID
    case 0x62:  // BUILD: only the `_metadata` state of an OrderedDict, which is dropped
      let state = try pop()
      let target = try popEntry()
      guard case .dict = target.value else {
        throw malformed("BUILD on \(target.value.kind), not on a dict")
      }
      guard case .dict = state else { throw malformed("BUILD state is \(state.kind), not a dict") }
      stack.append(target)
    case 0x73:  // SETITEM
      let value = try popEntry()
      try setItems([try popEntry(), value])
    case 0x75: try setItems(try popMark())  // SETITEMS
    default: throw .pickleUnsupportedOpcode(file: file, opcode: opcode, offset: opcodeOffset)
    }
  }

  /// LONG1: a length byte, then that many bytes of two's-complement little-endian integer.
  private mutating func readLong1() throws(FormatError) -> Int {
    let count = Int(try readByte())
    let digits = try read(count)
    guard count <= 8 else { throw malformed("LONG1 of \(count) bytes does not fit 64 bits") }
    guard count > 0 else { return 0 }
    var value: UInt64 = digits[count - 1] & 0x80 != 0 ? UInt64.max : 0
    for byte in digits.reversed() { value = value << 8 | UInt64(byte) }
    return Int(truncatingIfNeeded: value)
  }

  private func resolve(_ module: String, _ name: String) throws(FormatError) -> PickleGlobal {
    guard let global = PickleGlobal(rawValue: "\(module).\(name)") else {
      throw .pickleForbiddenGlobal(file: file, name: "\(module).\(name)", offset: opcodeOffset)
    }
    return global
  }

  /// Adds key-value pairs (`items` alternates keys and values) to the dict below them. The
  /// values are sealed first, so a dict cannot be added to itself.
  private mutating func setItems(_ items: [Entry]) throws(FormatError) {
    guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
    guard case .dict(let dict) = stack.last?.value, stack.count > (marks.last ?? 0) else {
      throw malformed("SETITEM on something not a dict")
    }
    for pair in stride(from: 0, to: items.count, by: 2) {
      let value = items[pair + 1]
      let valueDepth = try nestingDepth(containing: [value]) - 1
      guard !dict.isSealed else {
        throw malformed("SETITEM on a dict that is already inside another value")
      }
      guard case .string(let key) = items[pair].value else {
        throw malformed("dict key is \(items[pair].value.kind), not str")
      }
      guard dict.insert(key, value.value, valueDepth: valueDepth) else {
        throw malformed("duplicate dict key '\(key)'")
      }
    }
  }
}
