import Dispatch
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

  func testThreadsAreClamped() {
    XCTAssertEqual(Parallelism(threads: 0).threads, 1)
    XCTAssertEqual(Parallelism(threads: -3).threads, 1)
    XCTAssertEqual(Parallelism.serial.threads, 1)
    XCTAssertGreaterThanOrEqual(Parallelism.machine.threads, 1)
  }
}
