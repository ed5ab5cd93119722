import Foundation
import Medusa
import MedusaFormats

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// The folder layout that makes a training checkpoint (``HeadCheckpoint``, ``Medusa2Checkpoint``)
/// one atomic set:
///
/// ```
/// OUT/current -> step-17-1a2b3c4d              symbolic link: the only name a save switches
/// OUT/step-17-1a2b3c4d/                         the files of step 17
/// OUT/medusa_lm_head.safetensors -> current/medusa_lm_head.safetensors   (and config.json,
///                                               optimizer.safetensors, trainer_state.json)
/// ```
///
/// Which files a step holds is `files` (by default the four of a heads checkpoint); a file of
/// the list that a step does not have (an optional copy) gets no top-level link.
///
/// A save writes the new step's files into a hidden `.step-N-ID` folder and flushes them, renames
/// the folder to `step-N-ID`, creates a link `.current-ID` to it and renames that over `current`
/// (rename(2) replaces one name atomically: the commit), then removes the previous step's folder.
/// An interrupt at any instant leaves `current` naming a complete step, the old or the new one;
/// anything else it leaves (a hidden folder or link, a step folder `current` does not name) is
/// removed by the next save or resume. The top-level links never change once made (one is removed
/// only when a later step lacks its file), so `OUT` reads as a plain heads (or model) folder for
/// any tool; readers here resolve `current` once and read every file from its target. A folder
/// with the files at the top level and no `current` (the layout before this one) is read as it
/// is; the first save into it replaces those files by the links after its commit.
struct CheckpointFolder {
  /// The checkpoint folder (`--out`).
  let url: URL
  /// The files a step may hold, each linked at the top level when the step has it.
  var files: [String] = CheckpointFolder.files

  /// The name of the link to the current step's folder.
  static let pointer = MedusaHeads.checkpointPointer
  /// The files of one step of a heads checkpoint (``HeadCheckpoint``), each also linked at the
  /// top level: the default `files`.
  static let files = [
    HeadCheckpoint.headsFile, "config.json", HeadCheckpoint.optimizerFile,
    HeadCheckpoint.stateFile,
  ]
  /// The prefix of step folder names (`step-N-ID`).
  static let stepPrefix = "step-"

  /// The folder name `current` links to, if `current` is a link.
  var pointerTarget: String? {
    try? FileManager.default.destinationOfSymbolicLink(
      atPath: url.appendingPathComponent(Self.pointer).path)
  }

  /// The folder holding the current step's files: `current`'s target, else `url` itself (the old
  /// layout, or a plain heads folder).
  var currentStep: URL { MedusaHeads.currentStep(of: url) }

  /// Whether the folder holds a checkpoint of either layout (a `current` link, or any of the
  /// step's files at the top level).
  var holdsCheckpoint: Bool {
    pointerTarget != nil
      || files.contains {
        FileManager.default.fileExists(atPath: url.appendingPathComponent($0).path)
      }
  }

  /// Checks what may be done with this folder before a run writes into it: a checkpoint here
  /// is continued with `resume` (after removing what interrupted saves left), replaced at the
  /// run's first save with `force`, and otherwise refused with an error naming what the folder
  /// is `holding` and both options. Returns whether there is a checkpoint to restore.
  func prepare(resume: Bool, force: Bool, holding: String) throws(TrainingError) -> Bool {
    guard holdsCheckpoint else { return false }
    guard resume else {
      guard force else {
        throw .invalidOption(
          "\(url.path) holds \(holding); give --resume to continue it or --force to start over")
      }
      return false
    }
    var budget = WriteBudget()
    do {
      try removeStale(budget: &budget)
    } catch {
      throw .checkpoint(file: url.path, reason: "cannot remove a stale entry: \(error)")
    }
    return true
  }

  /// Writes a new step: `write` fills a fresh hidden folder (counting its writes in `budget`),
  /// which becomes the current step with one rename (the layout above). Every filesystem
  /// operation first asks `budget`, so a test can stop the save before any one of them as an
  /// interrupt would. Nothing is cleaned up on failure: the next save removes what an
  /// interrupted one left.
  func commit(
    step: Int, budget: inout WriteBudget, write: (URL, inout WriteBudget) throws -> Void
  ) throws {
    let manager = FileManager.default
    try budget.next(url)
    try manager.createDirectory(at: url, withIntermediateDirectories: true)
    try removeStale(budget: &budget)
    let previous = pointerTarget
    let id = UUID().uuidString.prefix(8).lowercased()
    let name = "\(Self.stepPrefix)\(step)-\(id)"
    let staging = url.appendingPathComponent(".\(name)")
    try budget.next(staging)
    try manager.createDirectory(at: staging, withIntermediateDirectories: false)
    try write(staging, &budget)
    try budget.next(staging)
    try AtomicFile.syncDirectory(staging)
    let folder = url.appendingPathComponent(name)
    try budget.next(folder)
    try Self.move(staging, to: folder)
    let link = url.appendingPathComponent(".\(Self.pointer)-\(id)")
    try budget.next(link)
    try manager.createSymbolicLink(atPath: link.path, withDestinationPath: name)
    let pointer = url.appendingPathComponent(Self.pointer)
    try budget.next(pointer)
    try Self.move(link, to: pointer)
    try budget.next(url)
    try AtomicFile.syncDirectory(url)
    if let previous, Self.isStepName(previous) {
      let old = url.appendingPathComponent(previous)
      try budget.next(old)
      try manager.removeItem(at: old)
    }
    try linkFiles(id: id, budget: &budget)
  }

  /// Makes the top-level name of each file the current step holds a link into `current`
  /// (replacing, one atomic rename each, a file of the old layout); a link into `current` left
  /// for a file the step does not hold is removed.
  func linkFiles(id: String, budget: inout WriteBudget) throws {
    let manager = FileManager.default
    let step = currentStep
    for file in files {
      let destination = "\(Self.pointer)/\(file)"
      let target = url.appendingPathComponent(file)
      let linked = (try? manager.destinationOfSymbolicLink(atPath: target.path)) == destination
      guard manager.fileExists(atPath: step.appendingPathComponent(file).path) else {
        if linked {
          try budget.next(target)
          try manager.removeItem(at: target)
        }
        continue
      }
      guard !linked else { continue }
      let link = url.appendingPathComponent(".link-\(id)-\(file)")
      try budget.next(link)
      try FileManager.default.createSymbolicLink(
        atPath: link.path, withDestinationPath: destination)
      try budget.next(target)
      try Self.move(link, to: target)
    }
  }

  /// Removes what interrupted saves left: hidden step folders and links, step folders that
  /// `current` does not name, temporary files of the old layout's writes. Touches no other name.
  func removeStale(budget: inout WriteBudget) throws {
    let manager = FileManager.default
    guard let names = try? manager.contentsOfDirectory(atPath: url.path) else { return }
    let current = pointerTarget
    for name in names.sorted() where isStale(name, current: current) {
      let entry = url.appendingPathComponent(name)
      try budget.next(entry)
      try manager.removeItem(at: entry)
    }
  }

  /// Whether `name` is something an interrupted save left behind.
  private func isStale(_ name: String, current: String?) -> Bool {
    if Self.isStepName(name) { return name != current }
    guard name.hasPrefix(".") else { return false }
    let hidden = name.dropFirst()
    return Self.isStepName(String(hidden)) || hidden.hasPrefix("\(Self.pointer)-")
      || hidden.hasPrefix("link-")
      || (name.hasSuffix(".tmp") && files.contains { hidden.hasPrefix($0 + ".") })
  }

  /// Whether `name` has the form of a step folder's name (`step-` then a digit).
  static func isStepName(_ name: String) -> Bool {
    name.hasPrefix(stepPrefix) && !name.contains("/")
      && name.dropFirst(stepPrefix.count).first?.isNumber == true
  }

  /// Renames `source` to `destination` with rename(2), which replaces `destination` (a file, a
  /// link or an empty folder) in one step.
  static func move(_ source: URL, to destination: URL) throws {
    guard rename(source.path, destination.path) == 0 else {
      throw TrainingError.checkpoint(
        file: destination.path,
        reason: "cannot rename \(source.lastPathComponent): \(String(cString: strerror(errno)))")
    }
  }
}

/// The filesystem operations a checkpoint save may still do: a test sets `limit` to stop a save
/// before operation number `limit` (0-based), as an interrupt there would.
struct WriteBudget {
  /// Operations allowed before the save stops; nil for no limit.
  var limit: Int?
  /// Operations started so far.
  private(set) var count = 0
  /// Whether the save was stopped by the limit.
  private(set) var interrupted = false

  /// Accounts for the next operation on `url`, or throws if the limit is reached.
  mutating func next(_ url: URL) throws(TrainingError) {
    if let limit, count >= limit {
      interrupted = true
      throw .checkpoint(file: url.path, reason: "interrupted before operation \(count)")
    }
    count += 1
  }
}
