/// The key/value cache of every layer, preallocated to a fixed capacity.
///
/// Rows `0..<length` hold the committed sequence in order. A forward pass writes the keys and
/// values of its T new tokens to rows `length..<length+T` without committing them; the
/// caller then either commits them (autoregressive decoding, prefill) or keeps only some of
/// them (Medusa: the accepted path, moved into place by ``keepRows(_:)``), so that the cache
/// always equals the one autoregressive decoding would have built.
public final class KVCache: @unchecked Sendable {
  /// Number of decoder layers.
  public let layerCount: Int
  /// Rows available per layer.
  public let capacity: Int
  /// Floats per row: key/value heads times head width.
  public let rowWidth: Int
  /// Committed rows.
  public private(set) var length: Int = 0
  let keys: UnsafeMutablePointer<Float>
  let values: UnsafeMutablePointer<Float>

  /// Allocates a zeroed cache.
  public init(layerCount: Int, capacity: Int, rowWidth: Int) {
    self.layerCount = layerCount
    self.capacity = capacity
    self.rowWidth = rowWidth
    let count = layerCount * capacity * rowWidth
    keys = .allocate(capacity: count)
    keys.initialize(repeating: 0, count: count)
    values = .allocate(capacity: count)
    values.initialize(repeating: 0, count: count)
  }

  deinit {
    keys.deallocate()
    values.deallocate()
  }

  /// The first key row of `layer`.
  func keys(layer: Int) -> UnsafeMutablePointer<Float> { keys + layer * capacity * rowWidth }
  /// The first value row of `layer`.
  func values(layer: Int) -> UnsafeMutablePointer<Float> { values + layer * capacity * rowWidth }

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
      guard row > previous, row < capacity else {
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
