import MedusaKernels

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The key/value cache of every layer, `[layer][kvHead][row][headDimension]` floats (keys and
/// values in two such arrays), grown on demand up to a fixed `capacity`. Each key/value head's
/// rows are contiguous, so attention, which reads one head's rows for many queries, streams
/// them in order (with the rows of all heads interleaved, a head's rows were 2x slower to
/// read: measured on SmolLM2's 3 heads of 64 at 900 rows, Zen 4).
///
/// Rows `0..<length` hold the committed sequence in order. A forward pass writes the keys and
/// values of its T new tokens to rows `length..<length+T` without committing them; the
/// caller then either commits them (autoregressive decoding, prefill) or keeps only some of
/// them (Medusa: the accepted path, moved into place by ``keepRows(_:)``), so that the cache
/// always equals the one autoregressive decoding would have built.
///
/// Memory follows use: the cache starts with room for a few hundred rows and doubles (copying
/// the rows it holds) when a forward pass needs more, up to `capacity`. An allocation the system
/// refuses is ``LlamaError/outOfMemory(what:bytes:)``, never a crash.
public final class KVCache: @unchecked Sendable {
  /// Number of decoder layers.
  public let layerCount: Int
  /// The most rows the cache may hold (the limit, not what is allocated).
  public let capacity: Int
  /// Key/value heads.
  public let kvHeads: Int
  /// Floats per head and row.
  public let headDimension: Int
  /// Floats per row of all heads: key/value heads times head width.
  public var rowWidth: Int { kvHeads * headDimension }
  /// Committed rows.
  public private(set) var length: Int = 0
  /// Rows allocated per layer and head (`<= capacity`).
  public private(set) var reserved: Int = 0
  private(set) var keys: UnsafeMutablePointer<Float>
  private(set) var values: UnsafeMutablePointer<Float>

  /// The rows allocated before the first growth.
  static let initialRows = 256

  /// A cache of at most `capacity` rows; allocates room for the first few hundred.
  public init(layerCount: Int, capacity: Int, kvHeads: Int, headDimension: Int)
    throws(LlamaError)
  {
    self.layerCount = layerCount
    self.capacity = capacity
    self.kvHeads = kvHeads
    self.headDimension = headDimension
    let rowWidth = kvHeads * headDimension
    let rows = min(capacity, Self.initialRows)
    keys = try Self.allocate(layers: layerCount, rows: rows, width: rowWidth, what: "KV cache keys")
    do {
      values = try Self.allocate(
        layers: layerCount, rows: rows, width: rowWidth, what: "KV cache values")
    } catch {
      free(keys)
      throw error
    }
    reserved = rows
  }

  deinit {
    free(keys)
    free(values)
  }

  /// Makes room for rows `0..<rows` (all layers), growing by doubling; the committed and
  /// written rows keep their values.
  public func reserve(_ rows: Int) throws(LlamaError) {
    guard rows > reserved else { return }
    guard rows <= capacity else { throw .cacheOverflow(needed: rows, capacity: capacity) }
    var target = max(reserved, 1)
    while target < rows { target = min(capacity, target * 2) }
    let newKeys = try Self.allocate(
      layers: layerCount, rows: target, width: rowWidth, what: "KV cache keys")
    let newValues: UnsafeMutablePointer<Float>
    do {
      newValues = try Self.allocate(
        layers: layerCount, rows: target, width: rowWidth, what: "KV cache values")
    } catch {
      free(newKeys)
      throw error
    }
    for block in 0..<(layerCount * kvHeads) {
      (newKeys + block * target * headDimension).update(
        from: keys + block * reserved * headDimension, count: reserved * headDimension)
      (newValues + block * target * headDimension).update(
        from: values + block * reserved * headDimension, count: reserved * headDimension)
    }
    free(keys)
    free(values)
    keys = newKeys
    values = newValues
    reserved = target
  }

  /// `layers * rows * width` zeroed floats from the system allocator, or an error naming what
  /// was being allocated and its size.
  private static func allocate(layers: Int, rows: Int, width: Int, what: String)
    throws(LlamaError) -> UnsafeMutablePointer<Float>
  {
    let (count, overflow1) = layers.multipliedReportingOverflow(by: rows)
    let (floats, overflow2) = count.multipliedReportingOverflow(by: max(width, 1))
    let (bytes, overflow3) = floats.multipliedReportingOverflow(by: 4)
    guard !overflow1, !overflow2, !overflow3, bytes >= 0 else {
      throw .outOfMemory(what: what, bytes: Int.max)
    }
    guard let raw = calloc(max(bytes, 4), 1) else { throw .outOfMemory(what: what, bytes: bytes) }
    return raw.bindMemory(to: Float.self, capacity: max(floats, 1))
  }

  /// Where layer `layer`'s keys start.
  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * reserved * rowWidth }
  /// Where layer `layer`'s values start.
  func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * reserved * rowWidth }
  /// The layout of one layer's keys or values, for attention.
  var layout: CacheLayout {
    CacheLayout(rowStride: headDimension, headStride: reserved * headDimension)
  }

  /// Writes `count` rows from row `first` of `layer`: `keys` and `values` are
  /// `[count][kvHeads][headDimension]`, as the projections produce them.
  func write(
    layer: Int, from first: Int, keys newKeys: UnsafePointer<Float>,
    values newValues: UnsafePointer<Float>, count: Int
  ) {
    for t in 0..<count {
      for head in 0..<kvHeads {
        let source = (t * kvHeads + head) * headDimension
        let destination = (head * reserved + first + t) * headDimension
        (keys(layer: layer) + destination).update(from: newKeys + source, count: headDimension)
        (values(layer: layer) + destination).update(
          from: newValues + source, count: headDimension)
      }
    }
  }

  /// The key row `row` of `layer`, all heads in order (a copy, for checks).
  public func keyRow(layer: Int, row: Int) -> [Float] { gather(keys(layer: layer), row) }

  /// The value row `row` of `layer`, all heads in order (a copy, for checks).
  public func valueRow(layer: Int, row: Int) -> [Float] { gather(values(layer: layer), row) }

  private func gather(_ base: UnsafeMutablePointer<Float>, _ row: Int) -> [Float] {
    (0..<kvHeads).flatMap { head in
      UnsafeBufferPointer(
        start: base + (head * reserved + row) * headDimension, count: headDimension)
    }
  }

  /// Commits the next `count` written rows.
  public func commit(_ count: Int) throws(LlamaError) {
    guard count >= 0, length + count <= capacity else {
      throw .cacheOverflow(needed: length + count, capacity: capacity)
    }
    length += count
  }

  /// Keeps the uncommitted rows `rows` (absolute indices, each >= length, ascending) as the
  /// next committed rows, moving them down into place in every layer (Medusa's KV update:
  /// only the accepted path stays; its rows are moved, not recomputed).
  public func keepRows(_ rows: [Int]) throws(LlamaError) {
    var previous = length - 1
    for row in rows {
      guard row > previous, row < reserved else {
        throw .invalidForward(reason: "keepRows: row \(row) is not ascending past \(length)")
      }
      previous = row
    }
    for block in 0..<(layerCount * kvHeads) {
      let blockKeys = keys + block * reserved * headDimension
      let blockValues = values + block * reserved * headDimension
      for (offset, row) in rows.enumerated() where row != length + offset {
        let destination = (length + offset) * headDimension
        (blockKeys + destination).update(
          from: blockKeys + row * headDimension, count: headDimension)
        (blockValues + destination).update(
          from: blockValues + row * headDimension, count: headDimension)
      }
    }
    length += rows.count
  }

  /// Forgets committed rows past `newLength` (e.g. to start a new prompt).
  public func truncate(to newLength: Int) throws(LlamaError) {
    guard newLength >= 0, newLength <= length else {
      throw .invalidForward(reason: "truncate to \(newLength) with \(length) rows committed")
    }
    length = newLength
  }
}
