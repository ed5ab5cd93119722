import Foundation

/// The BPE model of tokenizer.json (`"model": {"type": "BPE", ...}`): a vocabulary, ranked merge
/// rules and the byte-fallback / unknown-token policy for characters outside the vocabulary.
///
/// Tokens are keyed by their Unicode scalars, never by `String` (whose equality is canonical
/// equivalence). A word is tokenized as in the tokenizers library's `merge_word`: one symbol
/// per scalar (or per byte with byte fallback, or an unknown token), then the lowest-ranked
/// adjacent pair is merged, leftmost first, until no rule applies.
final class BPEModel: @unchecked Sendable {
  /// Token (scalars) to id.
  let vocabulary: [[Unicode.Scalar]: Int]
  /// Id to token, for every id in the vocabulary.
  let pieces: [Int: String]
  /// Ids of single-scalar tokens below U+10000 (-1: none), the starting symbols of words.
  private let basicScalarIDs: [Int32]
  /// Ids of single-scalar tokens from U+10000 on.
  private let otherScalarIDs: [Unicode.Scalar: Int32]
  /// The merge rules.
  private let merges: MergeTable
  /// The ids of `<0x00>` ... `<0xFF>`, when byte fallback is on (-1 where absent).
  private let byteIDs: [Int32]?
  private let unknownID: Int32?
  private let fuseUnknown: Bool
  private let ignoreMerges: Bool
  private var cache: [[Unicode.Scalar]: [Int32]] = [:]
  private let cacheLock = NSLock()

  /// Reads the model object at `path`.
  init(json: JSON, path: String) throws {
    let fields = try JSONFields(json, path: path)
    let type = try fields.optionalString("type") ?? "BPE"
    guard type == "BPE" else { throw TokenizerError.unsupportedComponent(field: path, type: type) }
    if let dropout = fields.value["dropout"], let p = dropout.doubleValue, p != 0 {
      throw TokenizerError.unsupportedComponent(field: fields.field("dropout"), type: "\(p)")
    }
    for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
      if let affix = try fields.optionalString(key), !affix.isEmpty {
        throw TokenizerError.unsupportedComponent(field: fields.field(key), type: affix)
      }
    }
    guard case .object(let entries) = fields.value["vocab"] else {
      throw TokenizerError.invalidField(field: fields.field("vocab"), reason: "expected an object")
    }
    var vocabulary: [[Unicode.Scalar]: Int] = [:]
    var pieces: [Int: String] = [:]
    var basicScalarIDs = [Int32](repeating: -1, count: 0x10000)
    var otherScalarIDs: [Unicode.Scalar: Int32] = [:]
    vocabulary.reserveCapacity(entries.count)
    for entry in entries {
      let (token, value) = (entry.key, entry.value)
      let id = try JSONFields.integer(value, field: fields.field("vocab.\(token)"))
      let scalars = Array(token.unicodeScalars)
      vocabulary[scalars] = id
      pieces[id] = token
      if scalars.count == 1 {
        if scalars[0].value < 0x10000 {
          basicScalarIDs[Int(scalars[0].value)] = Int32(id)
        } else {
          otherScalarIDs[scalars[0]] = Int32(id)
        }
      }
    }
    self.vocabulary = vocabulary
    self.pieces = pieces
    self.basicScalarIDs = basicScalarIDs
    self.otherScalarIDs = otherScalarIDs
    merges = try BPEModel.readMerges(try fields.array("merges"), vocabulary, fields.field("merges"))
    if try fields.bool("byte_fallback", default: false) {
      byteIDs = (0..<256).map { byte in
        let name = "<0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2) + ">"
        return Int32(vocabulary[Array(name.unicodeScalars)] ?? -1)
      }
    } else {
      byteIDs = nil
    }
    if let unknown = try fields.optionalString("unk_token") {
      guard let id = vocabulary[Array(unknown.unicodeScalars)] else {
        throw TokenizerError.unknownToken(field: fields.field("unk_token"), token: unknown)
      }
      unknownID = Int32(id)
    } else {
      unknownID = nil
    }
    fuseUnknown = try fields.bool("fuse_unk", default: false)
    ignoreMerges = try fields.bool("ignore_merges", default: false)
  }

  /// Merge rules in either form, `"a b"` or `["a", "b"]`; rank is the position in the list.
  private static func readMerges(
    _ list: [JSON], _ vocabulary: [[Unicode.Scalar]: Int], _ path: String
  ) throws -> MergeTable {
    var merges = MergeTable(capacity: list.count)
    for (rank, entry) in list.enumerated() {
      let left: [Unicode.Scalar]
      let right: [Unicode.Scalar]
      switch entry {
      case .string(let line):
        let parts = line.unicodeScalars.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
          throw TokenizerError.invalidField(field: "\(path).\(rank)", reason: "expected \"a b\"")
        }
        (left, right) = (Array(parts[0]), Array(parts[1]))
      case .array(let pair):
        guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
          throw TokenizerError.invalidField(
            field: "\(path).\(rank)", reason: "expected two strings")
        }
        (left, right) = (Array(a.unicodeScalars), Array(b.unicodeScalars))
      default:
        throw TokenizerError.invalidField(field: "\(path).\(rank)", reason: "expected a merge")
      }
      func id(_ token: [Unicode.Scalar]) throws -> UInt64 {
        guard let id = vocabulary[token] else {
          var text = String.UnicodeScalarView()
          text.append(contentsOf: token)
          throw TokenizerError.unknownMergeToken(rank: rank, token: String(text))
        }
        return UInt64(id)
      }
      let pair = try id(left) << 32 | id(right)
      merges.insert(pair, UInt64(rank) << 32 | (try id(left + right)))
    }
    return merges
  }

  /// Appends the ids of one pre-tokenized piece to `output`.
  func tokenize(_ word: [Unicode.Scalar], into output: inout [Int]) {
    if word.isEmpty { return }
    if ignoreMerges, let id = vocabulary[word] {
      output.append(id)
      return
    }
    let cacheable = word.count < 256
    if cacheable {
      cacheLock.lock()
      let hit = cache[word]
      cacheLock.unlock()
      if let hit {
        for id in hit { output.append(Int(id)) }
        return
      }
    }
    var symbols = initialSymbols(word)
    mergeAll(&symbols)
    if cacheable {
      cacheLock.lock()
      if cache.count > 50_000 { cache.removeAll(keepingCapacity: true) }
      cache[word] = symbols
      cacheLock.unlock()
    }
    for id in symbols { output.append(Int(id)) }
  }

  /// One symbol per scalar; byte tokens for scalars outside the vocabulary when byte fallback
  /// has all of their bytes; else the unknown token (consecutive ones fused with `fuse_unk`).
  private func initialSymbols(_ word: [Unicode.Scalar]) -> [Int32] {
    var symbols: [Int32] = []
    symbols.reserveCapacity(word.count)
    var pendingUnknown = false
    for scalar in word {
      if let id = scalarID(scalar) {
        if pendingUnknown, let unknownID { symbols.append(unknownID) }
        pendingUnknown = false
        symbols.append(id)
        continue
      }
      if let byteIDs {
        var bytes: [Int32] = []
        forEachUTF8Byte(of: scalar) { bytes.append(byteIDs[Int($0)]) }
        if !bytes.contains(-1) {
          // Like the library, a pending unknown token is not flushed here: it follows the bytes.
          symbols.append(contentsOf: bytes)
          continue
        }
      }
      guard let unknownID else { continue }
      if pendingUnknown && !fuseUnknown { symbols.append(unknownID) }
      pendingUnknown = true
    }
    if pendingUnknown, let unknownID { symbols.append(unknownID) }
    return symbols
  }

  /// The id of the single-scalar token `scalar`, if any.
  @inline(__always)
  private func scalarID(_ scalar: Unicode.Scalar) -> Int32? {
    if scalar.value < 0x10000 {
      let id = basicScalarIDs[Int(scalar.value)]
      return id >= 0 ? id : nil
    }
    return otherScalarIDs[scalar]
  }

  /// Applies merges, lowest rank first and leftmost among equal ranks, with a heap of
  /// candidate pairs and a linked list of live symbols (as the tokenizers library does).
  private func mergeAll(_ symbols: inout [Int32]) {
    let count = symbols.count
    guard count > 1 else { return }
    var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
      for index in 0..<count { buffer[index] = Int32(index + 1) }
      initialized = count
    }
    var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
      for index in 0..<count { buffer[index] = Int32(index - 1) }
      initialized = count
    }
    var alive = [Bool](repeating: true, count: count)
    var heap = MinHeap()
    for index in 0..<(count - 1) {
      if let merge = merges.lookup(symbols[index], symbols[index + 1]) {
        heap.push((merge >> 32) << 32 | UInt64(index))
      }
    }
    while let top = heap.pop() {
      let position = Int(top & 0xFFFF_FFFF)
      let rank = top >> 32
      guard alive[position], Int(next[position]) < count else { continue }
      let right = Int(next[position])
      guard let merge = merges.lookup(symbols[position], symbols[right]), merge >> 32 == rank
      else { continue }
      symbols[position] = Int32(truncatingIfNeeded: merge & 0xFFFF_FFFF)
      alive[right] = false
      next[position] = next[right]
      if Int(next[right]) < count { previous[Int(next[right])] = Int32(position) }
      let before = Int(previous[position])
      if before >= 0 {
        if let merge = merges.lookup(symbols[before], symbols[position]) {
          heap.push((merge >> 32) << 32 | UInt64(before))
        }
      }
      let after = Int(next[position])
      if after < count {
        if let merge = merges.lookup(symbols[position], symbols[after]) {
          heap.push((merge >> 32) << 32 | UInt64(position))
        }
      }
    }
    var result: [Int32] = []
    result.reserveCapacity(count)
    var index = 0
    while index < count {
      result.append(symbols[index])
      index = Int(next[index])
    }
    symbols = result
  }
}

/// A binary min-heap of `rank << 32 | position` keys.
struct MinHeap {
  private var items: [UInt64] = []

  /// Adds a key.
  mutating func push(_ key: UInt64) {
    items.append(key)
    var child = items.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      if items[parent] <= items[child] { break }
      items.swapAt(parent, child)
      child = parent
    }
  }

  /// Removes and returns the smallest key.
  mutating func pop() -> UInt64? {
    guard let last = items.popLast() else { return nil }
    guard !items.isEmpty else { return last }
    let top = items[0]
    items[0] = last
    var parent = 0
    while true {
      let left = 2 * parent + 1
      if left >= items.count { break }
      let right = left + 1
      let child = right < items.count && items[right] < items[left] ? right : left
      if items[parent] <= items[child] { break }
      items.swapAt(parent, child)
      parent = child
    }
    return top
  }
}

extension String {
  /// The string with leading zeros up to `width` characters.
  fileprivate func leftPadded(to width: Int) -> String {
    String(repeating: "0", count: max(0, width - count)) + self
  }
}
