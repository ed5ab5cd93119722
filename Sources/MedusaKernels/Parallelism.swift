import Foundation

/// Thread fan-out over a pool of spinning workers (``WorkerPool``).
///
/// Kernels split *independent outputs* (rows, tokens, query-head pairs) across threads, never a
/// reduction, so the number of threads never changes a single bit of any result.
public struct Parallelism: Sendable {
  /// The largest number of chunks a call is split into (at least 1).
  public let threads: Int

  /// Creates a fan-out over `threads` threads; values below 1 are clamped to 1.
  public init(threads: Int) {
    self.threads = max(1, threads)
  }

  /// One thread: every body runs inline on the caller's thread.
  public static let serial = Parallelism(threads: 1)

  /// One thread per active processor (`ProcessInfo.activeProcessorCount`).
  public static var machine: Parallelism {
    Parallelism(threads: ProcessInfo.processInfo.activeProcessorCount)
  }

  /// Splits `0..<count` into at most `threads` contiguous chunks of nearly equal size (the first
  /// `count % chunks` chunks are one longer) and runs `body(chunkIndex, range)` for each,
  /// concurrently on this process's ``WorkerPool`` (chunk 0 on the calling thread). `chunkIndex
  /// < threads` always, so a caller may give each chunk its own slice of scratch memory. With
  /// one chunk (one thread, or `count <= 1`) the body runs inline. Empty ranges are never passed.
  public func forEachChunk(
    _ count: Int, _ body: @Sendable (_ chunk: Int, _ range: Range<Int>) -> Void
  ) {
    guard count > 0 else { return }
    let chunks = min(threads, count)
    if chunks == 1 {
      body(0, 0..<count)
      return
    }
    let base = count / chunks
    let remainder = count % chunks
    WorkerPool.shared.run(chunks: chunks) { chunk in
      let start = chunk * base + min(chunk, remainder)
      let length = base + (chunk < remainder ? 1 : 0)
      body(chunk, start..<(start + length))
    }
  }
}

/// The one place a mutable raw pointer is made `Sendable`, so that `@Sendable` closures run by
/// `concurrentPerform` can write disjoint parts of one buffer. The caller guarantees that
/// concurrent chunks never touch the same element.
public struct SendablePointer<Pointee>: @unchecked Sendable {
  /// The wrapped pointer.
  public let base: UnsafeMutablePointer<Pointee>

  /// Wraps `base`.
  public init(_ base: UnsafeMutablePointer<Pointee>) {
    self.base = base
  }
}

/// The one place a read-only raw pointer is made `Sendable` for `concurrentPerform` closures.
public struct SendableConstPointer<Pointee>: @unchecked Sendable {
  /// The wrapped pointer.
  public let base: UnsafePointer<Pointee>

  /// Wraps `base`.
  public init(_ base: UnsafePointer<Pointee>) {
    self.base = base
  }
}
