/// Which key/value rows each query may attend to, in logical sequence order (CSR form): the rows
/// of query `q` are `rows[offsets[q]..<offsets[q + 1]]`, visited by attention in exactly that
/// order (for Medusa: the cached prefix, then the tree ancestors by depth, then the node itself).
public struct VisibleRows: Sendable {
  /// `queryCount + 1` non-decreasing offsets into `rows`, starting at 0.
  public var offsets: [Int]
  /// Key/value row indices into the cache, query after query.
  public var rows: [Int]

  /// Wraps CSR arrays; `offsets` has one more element than there are queries.
  public init(offsets: [Int], rows: [Int]) {
    self.offsets = offsets
    self.rows = rows
  }

  /// Number of queries.
  public var queryCount: Int { max(0, offsets.count - 1) }

  /// The largest number of rows any one query sees (the scratch size per thread of attention).
  public var maxRowsPerQuery: Int {
    var largest = 0
    for q in 0..<queryCount { largest = max(largest, offsets[q + 1] - offsets[q]) }
    return largest
  }
}
