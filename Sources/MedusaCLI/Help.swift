/// The text of `medusa help`.
enum Help {
  static let text = """
    medusa: Medusa decoding (Cai et al., 2024) on Llama-family models, in pure Swift.

    usage:
      medusa                                   run the default model and show Medusa at work
      medusa generate --model DIR --prompt-ids 1,2,3 [--max-new-tokens N] [--json]
                      [--ignore-eos] [--threads N]
      medusa bench --model DIR [--threads N] [--tokens N]
      medusa tokenize --tokenizer PATH [--jsonl] [--no-special] [TEXT]
      medusa detokenize --tokenizer PATH --jsonl [--skip-special]
    """
}
