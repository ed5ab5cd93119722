import Foundation
import Synchronization

/// The threads behind ``Parallelism``: a process-wide pool of workers that spin briefly on an
/// atomic job counter and then sleep, so that the ~150 short kernel calls of one decoded token
/// do not each pay for waking a thread (what `DispatchQueue.concurrentPerform` costs on Linux).
///
/// A job is `chunks` calls of one body; chunk 0 runs on the caller's thread, chunk `k` on worker
/// `k - 1`. Which thread runs a chunk never changes what it computes. One job runs at a time; a
/// job submitted while another is in flight (another thread's, or a nested call) runs its chunks
/// inline on the caller, one after another.
final class WorkerPool: @unchecked Sendable {
  /// The pool every ``Parallelism`` uses.
  static let shared = WorkerPool()

  /// Iterations a worker spins on the job counter before it sleeps (tens of microseconds).
  private static let spinLimit = 20_000

  /// The current job: `serial << 16 | chunks`, a new value per job; workers run a job when
  /// they see a new value, and take its chunk count from the same load.
  private let job = Atomic<Int>(0)
  /// Chunks of the current job that workers have not finished.
  private let pending = Atomic<Int>(0)
  /// Workers asleep on `wake` (or about to be).
  private let sleeping = Atomic<Int>(0)
  /// Whether a job is in flight.
  private let busy = Atomic<Bool>(false)
  /// Guards `workerCount` and the sleep of workers.
  private let lock = NSCondition()
  private var workerCount = 0
  /// The current job's body, written before `job` is published, read by its participants only
  /// (it is not replaced before they have all finished).
  private var body: (@Sendable (Int) -> Void)?
  /// Jobs submitted so far (touched only by the submitter holding `busy`).
  private var serial = 0

  /// Runs `body(0)`, ..., `body(chunks - 1)`, chunk 0 on the calling thread, and returns when
  /// all are done.
  func run(chunks: Int, _ body: @Sendable (Int) -> Void) {
    guard chunks > 1, chunks < 1 << 16,
      busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      for chunk in 0..<chunks { body(chunk) }
      return
    }
    ensureWorkers(chunks - 1)
    withoutActuallyEscaping(body) { escaping in
      self.body = escaping
      serial += 1
      pending.store(chunks - 1, ordering: .relaxed)
      job.store(serial << 16 | chunks, ordering: .sequentiallyConsistent)
      if sleeping.load(ordering: .sequentiallyConsistent) > 0 {
        lock.lock()
        lock.broadcast()
        lock.unlock()
      }
      escaping(0)
      var spins = 0
      while pending.load(ordering: .acquiring) > 0 {
        spins += 1
        if spins > Self.spinLimit { sched_yield() }
      }
      self.body = nil
    }
    busy.store(false, ordering: .releasing)
  }

  /// Starts workers until there are at least `count`.
  private func ensureWorkers(_ count: Int) {
    lock.lock()
    defer { lock.unlock() }
    while workerCount < count {
      let index = workerCount
      let seen = job.load(ordering: .acquiring)
      let thread = Thread { [unowned self] in self.work(index: index, seen: seen) }
      thread.name = "medusa-worker-\(index)"
      thread.start()
      workerCount += 1
    }
  }

  /// A worker's loop: wait for a new job, run chunk `index + 1` if the job has it.
  private func work(index: Int, seen start: Int) {
    var seen = start
    while true {
      var spins = 0
      var current = job.load(ordering: .acquiring)
      while current == seen {
        spins += 1
        if spins > Self.spinLimit {
          sleeping.add(1, ordering: .sequentiallyConsistent)
          lock.lock()
          while job.load(ordering: .sequentiallyConsistent) == seen { lock.wait() }
          lock.unlock()
          sleeping.subtract(1, ordering: .relaxed)
          spins = 0
        }
        current = job.load(ordering: .acquiring)
      }
      seen = current
      let chunk = index + 1
      if chunk < current & 0xFFFF {
        runChunk(chunk)
        pending.subtract(1, ordering: .releasing)
      }
    }
  }

  /// Runs one chunk of the current job; its reference to the body ends when this returns,
  /// before the job is marked done (the submitter checks that the body did not escape).
  @inline(never)
  private func runChunk(_ chunk: Int) {
    body?(chunk)
  }
}
