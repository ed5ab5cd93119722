/// An open-addressing hash table from a token pair (`left << 32 | right`) to its merge
/// (`rank << 32 | merged id`), with a multiplicative hash: the BPE inner loop does one lookup
/// per candidate pair, and `Dictionary`'s seeded SipHash dominated the encoding time.
struct MergeTable {
  private var keys: [UInt64]
  private var values: [UInt64]
  private let mask: Int
  private let shift: UInt64
  /// Marks an empty slot (never a real pair: ids are below 2^31).
  private static let empty = UInt64.max

  /// An empty table with room for `count` entries at a load factor of at most 1/2.
  init(capacity count: Int) {
    var size = 16
    var bits: UInt64 = 4
    while size < 2 * count {
      size *= 2
      bits += 1
    }
    keys = [UInt64](repeating: MergeTable.empty, count: size)
    values = [UInt64](repeating: 0, count: size)
    mask = size - 1
    shift = 64 - bits
  }

  @inline(__always)
  private func slot(_ key: UInt64) -> Int {
    Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) & mask
  }

  /// Sets the merge of `key`, replacing an earlier one (a later duplicate rule wins, as in the
  /// library's map).
  mutating func insert(_ key: UInt64, _ value: UInt64) {
    var index = slot(key)
    while keys[index] != MergeTable.empty && keys[index] != key { index = (index + 1) & mask }
    keys[index] = key
    values[index] = value
  }

  /// The merge of the pair (`left`, `right`), if any.
  @inline(__always)
  func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
    let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    var index = slot(key)
    while true {
      let stored = keys[index]
      if stored == key { return values[index] }
      if stored == MergeTable.empty { return nil }
      index = (index + 1) & mask
    }
  }
}
