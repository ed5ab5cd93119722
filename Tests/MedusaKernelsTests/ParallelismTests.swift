import Dispatch
import Foundation
import MedusaKernels
import XCTest

final class ParallelismTests: XCTestCase {
  /// Records the chunks of one call.
  private final class Log: @unchecked Sendable {
    private let lock = DispatchQueue(label: "log")
    private var entries: [(Int, Range<Int>)] = []

    func add(_ chunk: Int, _ range: Range<Int>) { lock.sync { entries.append((chunk, range)) } }

    var sorted: [(Int, Range<Int>)] { lock.sync { entries.sorted { $0.0 < $1.0 } } }
  }

  func testChunksCoverTheRangeInOrder() {
    for threads in [1, 2, 3, 8] {
      for count in [0, 1, 2, 5, 17, 100] {
        let log = Log()
        Parallelism(threads: threads).forEachChunk(count) { log.add($0, $1) }
        let chunks = log.sorted
        XCTAssertEqual(chunks.map(\.0), Array(0..<min(threads, count)))
        XCTAssertEqual(chunks.flatMap { Array($0.1) }, Array(0..<count))
        XCTAssertTrue(chunks.allSatisfy { !$0.1.isEmpty })
        if let shortest = chunks.map(\.1.count).min(), let longest = chunks.map(\.1.count).max() {
          XCTAssertLessThanOrEqual(longest - shortest, 1)
        }
      }
    }
  }

  /// A thread count below 1 means one thread: every call runs as one chunk, inline on the
  /// caller; counts above 1 are kept, and `machine` is the active processor count.
  func testThreadsAreClamped() {
    for requested in [0, -3, Int.min] {
      let parallelism = Parallelism(threads: requested)
      XCTAssertEqual(parallelism.threads, 1, "threads: \(requested)")
      let log = Log()
      let caller = pthread_self()
      let inline = Log()
      parallelism.forEachChunk(10) { chunk, range in
        log.add(chunk, range)
        if pthread_equal(pthread_self(), caller) != 0 { inline.add(chunk, range) }
      }
      XCTAssertEqual(log.sorted.map(\.0), [0], "threads: \(requested)")
      XCTAssertEqual(log.sorted.map(\.1), [0..<10], "threads: \(requested)")
      XCTAssertEqual(inline.sorted.count, 1, "one thread runs on the caller")
    }
    XCTAssertEqual(Parallelism.serial.threads, 1)
    XCTAssertEqual(Parallelism(threads: 7).threads, 7)
    XCTAssertEqual(Parallelism.machine.threads, ProcessInfo.processInfo.activeProcessorCount)
  }

  /// Two threads really are two: chunk 0 runs on the caller, chunk 1 on a worker thread, at
  /// the same time (each waits until the other has started).
  func testTwoThreadsRunConcurrentlyOnTwoThreads() {
    let caller = pthread_self()
    let onCaller = Log()
    let started = Log()
    Parallelism(threads: 2).forEachChunk(2) { chunk, range in
      if pthread_equal(pthread_self(), caller) != 0 { onCaller.add(chunk, range) }
      started.add(chunk, range)
      let deadline = Date().addingTimeInterval(10)
      while started.sorted.count < 2 && Date() < deadline { sched_yield() }
    }
    XCTAssertEqual(onCaller.sorted.map(\.0), [0], "chunk 0 on the caller, chunk 1 elsewhere")
    XCTAssertEqual(started.sorted.map(\.0), [0, 1])
  }
}
