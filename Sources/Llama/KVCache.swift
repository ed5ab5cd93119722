#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The key/value cache of every layer, `[layer][row][kvHeads * headDimension]` floats (keys and
/// values in two such arrays), grown on demand up to a fixed `capacity`.
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
  /// Floats per row: key/value heads times head width.
  public let rowWidth: Int
  /// Committed rows.
  public private(set) var length: Int = 0
  /// Rows allocated per layer (`<= capacity`); the stride between layers.
  public private(set) var reserved: Int = 0
  private(set) var keys: UnsafeMutablePointer<Float>
  private(set) var values: UnsafeMutablePointer<Float>

  /// The rows allocated before the first growth.
  static let initialRows = 256

  /// A cache of at most `capacity` rows; allocates room for the first few hundred.
  public init(layerCount: Int, capacity: Int, rowWidth: Int) throws(LlamaError) {
    self.layerCount = layerCount
    self.capacity = capacity
    self.rowWidth = rowWidth
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
    for layer in 0..<layerCount {
      (newKeys + layer * target * rowWidth).update(
        from: keys + layer * reserved * rowWidth, count: reserved * rowWidth)
      (newValues + layer * target * rowWidth).update(
        from: values + layer * reserved * rowWidth, count: reserved * rowWidth)
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

  /// The first key row of `layer`.
  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * reserved * rowWidth }
  /// The first value row of `layer`.
  func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * reserved * rowWidth }

  /// The key row `row` of `layer` (read-only view, for checks).
  public func keyRow(layer: Int, row: Int) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(start: keys(layer: layer) + row * rowWidth, count: rowWidth)
  }

  /// The value row `row` of `layer` (read-only view, for checks).
  public func valueRow(layer: Int, row: Int) -> UnsafeBufferPointer<Float> {
    UnsafeBufferPointer(start: values(layer: layer) + row * rowWidth, count: rowWidth)
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
    for layer in 0..<layerCount {
      for (offset, row) in rows.enumerated() where row != length + offset {
        let destination = length + offset
        (keys(layer: layer) + destination * rowWidth).update(
          from: keys(layer: layer) + row * rowWidth, count: rowWidth)
        (values(layer: layer) + destination * rowWidth).update(
          from: values(layer: layer) + row * rowWidth, count: rowWidth)
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
