/// The text of `medusa help`.
enum Help {
  static let text = """
    medusa: Medusa decoding (Cai et al., 2024) on Llama-family models, in pure Swift.

    usage:
      medusa [--model DIR] [--heads DIR] [--tree NAME|FILE] [--max-new-tokens N] [TEXT]
          the main job: stream a continuation with Medusa, then the same prompt
          autoregressively, and print accept lengths and the speedup
      medusa generate [--model DIR] [--heads DIR] [--tree NAME|FILE] [--decoder medusa|ar]
                      (--prompt-ids 1,2,3 | TEXT | stdin) [--chat NAME] [--max-new-tokens N]
                      [--temperature T [--posterior-threshold E] [--posterior-alpha D]
                       [--sampling typical|nucleus --top-p P --seed S]]
                      [--ignore-eos] [--json] [--trace] [--verify] [--threads N]
      medusa chat [--model DIR] [--chat NAME]
      medusa bench [--model DIR] [--threads N] [--tokens N] [--repeats N] [--json]
      medusa tokenize --tokenizer PATH [--jsonl] [--no-special] [TEXT]
      medusa detokenize --tokenizer PATH --jsonl [--skip-special]
      medusa tree show NAME|FILE | tree normalize ... | tree --accuracy FILE --nodes N | tree --auto
      medusa distill | train-heads | eval-heads ...      (Medusa-1 training, see Docs/TRAINING.md)
      medusa conformance emit ... | conformance check ... (see Docs/CONFORMANCE.md)

    Without --model the embedded default model (Golden/models/default) is used.
    Full reference: Docs/CLI.md
    """
}
