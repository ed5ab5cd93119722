extension UnsafeRawBufferPointer {
  /// The little-endian integer of type `T` at `offset`, or nil if it would read outside the
  /// buffer (including negative offsets).
  func littleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T? {
    guard offset >= 0, offset <= count - MemoryLayout<T>.size else { return nil }
    return T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }

  /// The sub-buffer `range`, or nil if it is not inside the buffer.
  func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer? {
    guard range.lowerBound >= 0, range.upperBound <= count else { return nil }
    return UnsafeRawBufferPointer(rebasing: self[range])
  }
}
