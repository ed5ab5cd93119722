#!/usr/bin/env python3
"""Regenerates everything under Golden/tokenizers with the Hugging Face tokenizers library.

    /path/to/venv/bin/python Golden/tools/tokenizers/generate.py

Writes, for every family F in families.FAMILIES:
  Golden/tokenizers/F/tokenizer.json         the trained tokenizer, in the family's pipeline
  Golden/tokenizers/F/tokenizer_config.json  bos/eos and a chat_template hint
  Golden/tokenizers/F/expected.json          ids and decoded text for the first corpus_count
                                             corpus strings (all of them for most families)
and once:
  Golden/tokenizers/corpus.json              the agreement corpus (list of strings)
  Golden/tokenizers/unicode_classes.json     \\s, \\p{L}, \\p{N} as Oniguruma sees them
  Golden/tokenizers/chat_templates.json      chat templates rendered with jinja2
"""

import json
import random
import sys
from pathlib import Path

import tokenizers
from tokenizers import Regex, Tokenizer, pre_tokenizers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chat_templates  # noqa: E402
import corpus  # noqa: E402
import families  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "tokenizers"

CONFIG_HINTS = {"llama2": "vicuna", "tinyllama": "zephyr", "smollm": "chatml", "qwen2": "chatml",
                "misc": "llama2"}


def dump(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")


def expected_outputs(tok, texts, rng):
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=True).ids
        plain = tok.encode(text, add_special_tokens=False).ids
        cases.append({"ids": ids, "ids_no_special": plain,
                      "decoded": tok.decode(ids, skip_special_tokens=False),
                      "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    size = tok.get_vocab_size(with_added_tokens=True)
    random_decode = []
    for _ in range(300):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 10))]
        random_decode.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                              "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    return {"tokenizers_version": tokenizers.__version__, "corpus_count": len(texts),
            "cases": cases,
            "random_decode": random_decode}


def unicode_classes():
    """Code point ranges that Oniguruma (the tokenizers library's regex engine) puts in each
    class: split a string of every scalar value with the class removed, keep what vanished."""
    scalars = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    text = "".join(chr(c) for c in scalars)
    result = {}
    for name, pattern in [("space", r"\s"), ("letter", r"\p{L}"), ("number", r"\p{N}")]:
        split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
        kept = [False] * len(scalars)
        for _, (start, end) in split.pre_tokenize_str(text):
            for i in range(start, end):
                kept[i] = True
        result[name] = _ranges([scalars[i] for i in range(len(scalars)) if not kept[i]])
    return result


def _ranges(values):
    ranges = []
    for v in values:
        if ranges and ranges[-1][1] + 1 == v:
            ranges[-1][1] = v
        else:
            ranges.append([v, v])
    return ranges


def main():
    lines = corpus.read_training_text()
    texts = corpus.build_corpus()
    dump(OUT / "corpus.json", texts)
    for name, build in families.FAMILIES.items():
        j = build(lines)
        path = OUT / name / "tokenizer.json"
        dump(path, j)
        tok = Tokenizer.from_file(str(path))
        config = chat_templates.tokenizer_config(CONFIG_HINTS.get(name), j)
        dump(OUT / name / "tokenizer_config.json", config)
        count = families.CORPUS_SUBSET.get(name, len(texts))
        dump(OUT / name / "expected.json",
             expected_outputs(tok, texts[:count], random.Random(7)))
        print(name, tok.get_vocab_size(with_added_tokens=True), file=sys.stderr)
    dump(OUT / "unicode_classes.json", unicode_classes())
    dump(OUT / "chat_templates.json", chat_templates.rendered())


if __name__ == "__main__":
    main()
