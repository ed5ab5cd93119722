import MedusaKernels
import XCTest

/// Below this many multiply-adds (`tokens * rows * columns`) the linear kernels run on the
/// calling thread whatever `Parallelism` they are given (`Kernels.linear`, the fused
/// projections and the training kernels), so a test case that claims two threads must give at
/// least this much work.
let serialWorkLimit = 1 << 16

/// `Parallelism(threads: 2)` for a linear-style call of `work` multiply-adds over `units`
/// independent blocks (row blocks of 4, token blocks of 4, query-block × KV-head pairs),
/// failing the test when the kernel would still run the call on one thread.
func twoThreads(
  work: Int = serialWorkLimit, units: Int, _ what: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) -> Parallelism {
  XCTAssertGreaterThanOrEqual(
    work, serialWorkLimit, "\(what()): this 2-thread case would run serially", file: file,
    line: line)
  XCTAssertGreaterThanOrEqual(
    units, 2, "\(what()): one block of work cannot be split over 2 threads", file: file,
    line: line)
  return Parallelism(threads: 2)
}

/// The `Parallelism` of a `threads`-thread case: serial for 1; for 2, ``twoThreads``.
func parallelism(
  threads: Int, work: Int = serialWorkLimit, units: Int, _ what: @autoclosure () -> String = "",
  file: StaticString = #filePath, line: UInt = #line
) -> Parallelism {
  threads == 1
    ? .serial : twoThreads(work: work, units: units, what(), file: file, line: line)
}
