import Foundation
import Llama
import Medusa
import MedusaKernels
import MedusaTokenizer
import MedusaTraining

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

/// `medusa distill`: self-distillation data for Medusa-1 (paper §2.3.2). Every prompt of a JSONL
/// file (`{"ids":[...]}` or `{"text":"..."}`, the latter through the model's tokenizer.json) is
/// continued by the backbone (greedy, or sampled with `--temperature`; see ``Distiller``) and
/// stored as one line of `OUT/sequences.jsonl` (``DistilledSequence``). Each line is written
/// with one `write` and an `fsync`; a rerun continues after the complete lines when
/// `OUT/distill.json` says they were made with the same model, prompts and settings
/// (``DistillationOutput``; `--force` starts over), never duplicating a prompt.
enum DistillCommand {
  /// `medusa distill --prompts FILE --out DIR [options]`.
  static let spec = CommandSpec(
    name: "distill",
    summary:
      "Self-distillation data for Medusa-1: every JSONL prompt continued by the backbone, "
      + "written to OUT/sequences.jsonl; a rerun with the same settings resumes after the last "
      + "complete line.",
    options: [
      .option("model", "DIR|FILE", "the backbone (default: the embedded model)"),
      .option(
        "prompts", "FILE", "JSONL, one {\"ids\": [...]} or {\"text\": \"...\"} a line",
        required: true),
      .option("out", "DIR", "the folder of sequences.jsonl", required: true),
      .flag("force", "start over, discarding what OUT holds"),
      .option("max-new-tokens", "N", "at most N new tokens per prompt (default 128)"),
      .option("temperature", "T", "sample at temperature T (default 0: greedy)"),
      .option("seed", "S", "the sampling seed (default 0)"),
      .flag("ignore-eos", "do not stop at EOS"),
      .option("chat", "model|NAME", "render text prompts as a one-turn chat with this template"),
      .option("threads", "N", "kernel threads (default: all cores)"),
    ])

  /// Runs `distill` with the words after it.
  static func run(_ words: [String]) throws {
    var arguments = try Arguments(words, spec: spec)
    let modelURL = try ModelLocator.model(arguments.string("model"))
    guard let promptsPath = arguments.string("prompts"), let outPath = arguments.string("out")
    else {
      throw UsageError("give --prompts FILE and --out DIR")
    }
    let maxNewTokens = try arguments.int("max-new-tokens", default: 128, in: 1...1_000_000)
    let temperature = try arguments.double("temperature", default: 0, in: 0...100)
    let seed = try arguments.int("seed", default: 0, in: 0...Int.max)
    let threads = try arguments.int(
      "threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
    let ignoreEOS = arguments.flag("ignore-eos")
    let chat = arguments.string("chat")
    let force = arguments.flag("force")
    try arguments.finish()

    let model = try ModelLocator.load(modelURL)
    let prompts = try readPrompts(URL(fileURLWithPath: promptsPath), model: model, chat: chat)
    let out = URL(fileURLWithPath: outPath)
    let file = out.appendingPathComponent(DistilledSequence.fileName)
    let record = try DistillationRecord(
      model: modelURL, prompts: URL(fileURLWithPath: promptsPath), maxNewTokens: maxNewTokens,
      temperature: temperature, seed: UInt64(seed), chat: chat, ignoreEOS: ignoreEOS)
    let resume = try DistillationOutput.prepare(out, record: record, force: force)
    if resume.droppedBytes > 0 {
      Output.error("distill: dropped a partial last line of \(resume.droppedBytes) bytes")
    }
    let done = resume.sequences
    guard done <= prompts.count else {
      throw UsageError(
        "\(file.path) holds \(done) sequences, more than the \(prompts.count) prompts")
    }
    let longest = prompts.map(\.count).max() ?? 1
    let distiller = try Distiller(
      model: model,
      capacity: AutoregressiveDecoder.capacity(promptLength: longest, maxNewTokens: maxNewTokens),
      temperature: temperature,
      seed: UInt64(seed), parallelism: Parallelism(threads: threads))
    let stop = StopRule(
      maxNewTokens: maxNewTokens, stopTokens: ignoreEOS ? [] : Set(model.config.eosTokenIDs))
    let handle = open(file.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
    guard handle >= 0 else { throw UsageError("\(file.path): cannot open for appending") }
    defer { close(handle) }
    let start = Date()
    var generated = 0
    if done > 0 { Output.error("distill: resuming after \(done) complete sequences") }
    for index in done..<prompts.count {
      let output = try distiller.continuation(prompt: prompts[index], index: index, stop: stop)
      let line = DistilledSequence(promptIDs: prompts[index], outputIDs: output).jsonLine + "\n"
      try append(Array(line.utf8), to: handle, path: file.path)
      generated += output.count
      guard (index + 1) % max(1, prompts.count / 100) == 0 || index + 1 == prompts.count else {
        continue
      }
      let seconds = Date().timeIntervalSince(start)
      let rate = Double(generated) / max(seconds, 1e-9)
      let eta = seconds / Double(index + 1 - done) * Double(prompts.count - index - 1)
      FileHandle.standardError.write(
        Data(
          ("\rdistill \(index + 1)/\(prompts.count) prompts  \(generated) tokens  "
            + String(format: "%.1f tokens/s", rate) + "  ETA \(TrainHeadsCommand.clock(eta))").utf8)
      )
    }
    FileHandle.standardError.write(Data("\n".utf8))
    Output.line("wrote \(prompts.count - done) sequences (\(generated) tokens) to \(file.path)")
  }

  /// The prompts as token ids, one per non-blank line. With `chat`, a `"text"` prompt is the
  /// user's message of a one-turn conversation rendered with a chat format (``chatFormat(_:tokenizer:)``)
  /// and the generation prompt, as the model sees it in a chat; `"ids"` prompts are used as given.
  static func readPrompts(_ url: URL, model: LlamaModel, chat: String? = nil) throws -> [[Int]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    var tokenizer: Tokenizer?
    var format: ChatFormat?
    var prompts: [[Int]] = []
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      let place = "\(url.path) line \(number + 1)"
      guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      else { throw UsageError("\(place): not a JSON object") }
      var ids: [Int]
      if let numbers = object["ids"] as? [NSNumber] {
        ids = numbers.map(\.intValue)
      } else if let prompt = object["text"] as? String {
        if tokenizer == nil {
          guard let found = try ModelTokenizer.load(for: model) else {
            throw UsageError(
              "\(place): a text prompt needs the model's tokenizer (none found); give \"ids\" instead"
            )
          }
          tokenizer = found
          format = try chat.map { try chatFormat($0, tokenizer: found) }
        }
        ids = try encode(prompt, tokenizer: tokenizer, format: format)
      } else {
        throw UsageError("\(place): needs \"ids\" (token ids) or \"text\"")
      }
      guard !ids.isEmpty else { throw UsageError("\(place): empty prompt") }
      if let bad = ids.first(where: { $0 < 0 || $0 >= model.config.vocabularySize }) {
        throw UsageError("\(place): token id \(bad) outside 0..<\(model.config.vocabularySize)")
      }
      prompts.append(ids)
    }
    return prompts
  }

  /// The chat format `--chat` names: `model` is the tokenizer's own template (GGUF
  /// `tokenizer.chat_template` or tokenizer_config.json's, with its default system prompt), any
  /// other value a template by name (`chatml`, `vicuna`, `zephyr`, `llama2`).
  static func chatFormat(_ name: String, tokenizer: Tokenizer) throws -> ChatFormat {
    if name == "model" {
      guard let format = try ChatFormat(config: tokenizer.config) else {
        throw UsageError("--chat model: the model's tokenizer has no chat template; name one")
      }
      return format
    }
    guard let template = ChatTemplate.named(name) else {
      let names = ChatTemplate.allCases.map(\.rawValue).joined(separator: ", ")
      throw UsageError("--chat '\(name)' is neither 'model' nor a template (\(names))")
    }
    return ChatFormat(template: template)
  }

  /// `text` as token ids: rendered as one user turn when there is a chat format (a template
  /// that writes the BOS token itself gets no second one).
  static func encode(_ text: String, tokenizer: Tokenizer?, format: ChatFormat?) throws -> [Int] {
    guard let tokenizer else { return [] }
    guard let format else { return try tokenizer.encode(text) }
    let rendered = format.render(
      messages: [ChatMessage(role: "user", content: text)], addGenerationPrompt: true)
    let bos = tokenizer.bosTokenID.flatMap { tokenizer.token(for: $0) }
    let templateHasBOS = bos.map { rendered.hasPrefix($0) } == true
    return try tokenizer.encode(rendered, addSpecialTokens: !templateHasBOS)
  }

  /// Writes `bytes` with one `write` call (looping only on a short write) and `fsync`s.
  static func append(_ bytes: [UInt8], to handle: Int32, path: String) throws {
    var written = 0
    while written < bytes.count {
      let n = bytes.withUnsafeBytes {
        write(handle, $0.baseAddress.map { $0 + written }, bytes.count - written)
      }
      guard n > 0 else { throw UsageError("\(path): write failed") }
      written += n
    }
    guard fsync(handle) == 0 else { throw UsageError("\(path): fsync failed") }
  }
}
