/// Which key/value rows each query may attend to, in logical sequence order: first the shared
/// prefix, rows `0..<prefix` (for Medusa and decoding: the committed cache), then the query's own
/// rows `rows[offsets[q]..<offsets[q + 1]]` (the tree ancestors by depth, then the node itself;
/// CSR form). Attention visits them in exactly that order.
public struct VisibleRows: Sendable {
  /// Rows `0..<prefix` come first for every query.
  public var prefix: Int
  /// `queryCount + 1` non-decreasing offsets into `rows`, starting at 0.
  public var offsets: [Int]
  /// Each query's own rows after the prefix, query after query.
  public var rows: [Int]

  /// Wraps CSR arrays of the rows after a shared `prefix`; `offsets` has one more element than
  /// there are queries.
  public init(prefix: Int = 0, offsets: [Int], rows: [Int]) {
    self.prefix = prefix
    self.offsets = offsets
    self.rows = rows
  }

  /// Number of queries.
  public var queryCount: Int { max(0, offsets.count - 1) }

  /// The largest number of rows any one query sees.
  public var maxRowsPerQuery: Int {
    var largest = 0
    for q in 0..<queryCount { largest = max(largest, offsets[q + 1] - offsets[q]) }
    return queryCount == 0 ? 0 : prefix + largest
  }
}
