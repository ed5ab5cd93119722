import Foundation
import Medusa

/// One self-distillation example (paper §2.3.2, "self-distillation"): a prompt and the
/// backbone's own continuation of it. Stored as one JSON object per line of
/// `sequences.jsonl`: `{"prompt_ids":[...],"output_ids":[...]}` (token ids, no other fields).
/// Medusa-1 trains on targets inside `output_ids` only, as the original masks everything but
/// the assistant's reply.
public struct DistilledSequence: Sendable, Equatable {
  /// The prompt's token ids.
  public var promptIDs: [Int]
  /// The generated token ids.
  public var outputIDs: [Int]

  /// A sequence of `promptIDs` followed by `outputIDs`.
  public init(promptIDs: [Int], outputIDs: [Int]) {
    self.promptIDs = promptIDs
    self.outputIDs = outputIDs
  }

  /// The whole token sequence.
  public var tokens: [Int] { promptIDs + outputIDs }

  /// The line that stores this sequence (without the newline).
  public var jsonLine: String {
    let prompt = promptIDs.map(String.init).joined(separator: ",")
    let output = outputIDs.map(String.init).joined(separator: ",")
    return "{\"prompt_ids\":[\(prompt)],\"output_ids\":[\(output)]}"
  }

  /// The name of the file in a data folder.
  public static let fileName = "sequences.jsonl"

  /// Reads every complete line of a `sequences.jsonl` (a trailing line without a newline is an
  /// interrupted write and is ignored). Every id must be in `0..<vocabulary`.
  public static func read(_ url: URL, vocabulary: Int) throws(TrainingError) -> [DistilledSequence]
  {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw .invalidData(file: url.path, reason: "cannot read: \(error.localizedDescription)")
    }
    var sequences: [DistilledSequence] = []
    var lineNumber = 0
    for line in completeLines(data) {
      lineNumber += 1
      guard !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) else {
        continue
      }
      let where_ = "line \(lineNumber)"
      guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
        let prompt = object["prompt_ids"] as? [NSNumber],
        let output = object["output_ids"] as? [NSNumber]
      else {
        throw .invalidData(
          file: url.path, reason: "\(where_): not an object with prompt_ids and output_ids arrays")
      }
      let sequence = DistilledSequence(
        promptIDs: prompt.map(\.intValue), outputIDs: output.map(\.intValue))
      if let bad = sequence.tokens.first(where: { $0 < 0 || $0 >= vocabulary }) {
        throw .invalidData(
          file: url.path,
          reason: "\(where_): token id \(bad) outside the vocabulary 0..<\(vocabulary)")
      }
      guard !sequence.promptIDs.isEmpty else {
        throw .invalidData(file: url.path, reason: "\(where_): empty prompt_ids")
      }
      sequences.append(sequence)
    }
    return sequences
  }

  /// The newline-terminated lines of `data`, without their newlines.
  static func completeLines(_ data: Data) -> [ArraySlice<UInt8>] {
    let bytes = [UInt8](data)
    guard let last = bytes.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
    return bytes[..<last].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
  }
}
