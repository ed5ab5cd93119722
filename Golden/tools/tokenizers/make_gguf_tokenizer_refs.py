#!/usr/bin/env python3
"""Tokenizer expectations for tokenizers that live inside GGUF files, as transformers builds them.

For each GGUF below, `AutoTokenizer.from_pretrained(dir, gguf_file=...)` (transformers 5.24,
which converts the GGUF's `tokenizer.ggml.*` metadata into a `tokenizers` Tokenizer; see
Golden/tokenizers/gguf-smollm2/CONVERSION.md) is run on the Golden corpus
(Golden/tokenizers/corpus.json), and Golden/tokenizers/NAME/expected.json is written in the
format of Golden/tools/tokenizers/generate.py (read by Tests/MedusaTokenizerTests):
  cases[i]        {ids, ids_no_special, decoded, decoded_skip} for corpus string i
                  (encode with / without special tokens; decode of `ids` with / without
                  skipping special tokens)
  random_decode   300 random id lists (random.Random(7), 1..10 ids below the vocab size with
                  added tokens) and their decodes
plus `source` (the GGUF path and sha256), `transformers_version`, `tokenizers_version`.
Only ids and strings are written; no model bytes. Also NAME/tokenizer.json, the converted
tokenizer as the tokenizers library serialises it (documentation only; skipped above 3 MB).

  gguf-smollm2      Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
                    (fetched, not committed: bash Golden/tools/fetch_smollm2.sh); skipped if absent
  gguf-tiny-gpt2    Golden/models/gguf-tiny/tiny-gpt2-Q8_0.gguf  (Golden/tools/make_gguf_models.py)
  gguf-tiny-llama   Golden/models/gguf-tiny/tiny-llama-F16.gguf

For SmolLM2 it also measures how the conversion differs from the original Hugging Face SmolLM2
tokenizer (pre-tokenizer Digits(individual_digits) then ByteLevel), rebuilt from the converted
one by swapping the pre-tokenizer, and, when Golden/tools/.cache/llama.cpp/bin/llama-golden
exists (Golden/tools/bench/build_llama_cpp.sh), how llama.cpp's tokenizer differs from both; the
counts and examples are printed (and summarised by hand in CONVERSION.md), nothing of llama.cpp
is written to Golden/.

Run from the repository root:  .venv/bin/python Golden/tools/tokenizers/make_gguf_tokenizer_refs.py
"""

import hashlib
import json
import os
import random
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import tokenizers  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, pre_tokenizers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "Golden"
OUT = GOLDEN / "tokenizers"
LLAMA_GOLDEN = GOLDEN / "tools" / ".cache" / "llama.cpp" / "bin" / "llama-golden"
TARGETS = {
    "gguf-smollm2": GOLDEN / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf",
    "gguf-tiny-gpt2": GOLDEN / "models" / "gguf-tiny" / "tiny-gpt2-Q8_0.gguf",
    "gguf-tiny-llama": GOLDEN / "models" / "gguf-tiny" / "tiny-llama-F16.gguf",
}
MAX_TOKENIZER_JSON = 3 * 1024 * 1024
ORIGINAL = {"gguf-tiny-gpt2": "gpt2", "gguf-tiny-llama": "llama2"}


def dump(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load(gguf):
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    return tok, Tokenizer.from_str(tok.backend_tokenizer.to_str())


def expected_outputs(hf, tok, texts, rng):
    cases = []
    mismatch_hf = 0
    for text in texts:
        ids = tok.encode(text, add_special_tokens=True).ids
        plain = tok.encode(text, add_special_tokens=False).ids
        case = {"ids": ids, "ids_no_special": plain,
                "decoded": tok.decode(ids, skip_special_tokens=False),
                "decoded_skip": tok.decode(ids, skip_special_tokens=True)}
        # The transformers-level tokenizer must agree with its backend (what we write).
        if (hf(text)["input_ids"] != ids or hf(text, add_special_tokens=False)["input_ids"] != plain
                or hf.decode(ids) != case["decoded"] or hf.decode(ids, skip_special_tokens=True) != case["decoded_skip"]):
            mismatch_hf += 1
        cases.append(case)
    size = tok.get_vocab_size(with_added_tokens=True)
    random_decode = []
    for _ in range(300):
        ids = [rng.randrange(size) for _ in range(rng.randint(1, 10))]
        random_decode.append({"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                              "decoded_skip": tok.decode(ids, skip_special_tokens=True)})
    return cases, random_decode, mismatch_hf


def llama_cpp(gguf, mode, flags, lines):
    """Runs llama-golden (tokenize / detokenize) on lines; None when it is not built."""
    if not LLAMA_GOLDEN.exists():
        return None
    if mode == "tokenize":
        inp = "".join(t.encode("utf-8").hex() + "\n" for t in lines)
    else:
        inp = "".join(" ".join(map(str, ids)) + "\n" for ids in lines)
    r = subprocess.run([str(LLAMA_GOLDEN), str(gguf), mode, *map(str, flags)], input=inp.encode(),
                       capture_output=True, check=True)
    out = r.stdout.decode().splitlines()
    assert len(out) == len(lines), (len(out), len(lines))
    if mode == "tokenize":
        return [json.loads(x) for x in out]
    return [bytes.fromhex(x).decode("utf-8", errors="replace") for x in out]


def compare(name, a, b, texts, show=4):
    diff = [i for i in range(len(texts)) if a[i] != b[i]]
    print(f"  {name}: {len(diff)} of {len(texts)} differ")
    for i in diff[:show]:
        print(f"    #{i} {texts[i][:60]!r}\n      {a[i][:24]}\n      {b[i][:24]}")
    return diff


def smollm2_investigation(gguf, tok, texts):
    """Converted vs original HF semantics vs llama.cpp, printed."""
    orig = Tokenizer.from_str(tok.to_str())
    orig.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    conv_ids = [tok.encode(t, add_special_tokens=False).ids for t in texts]
    orig_ids = [orig.encode(t, add_special_tokens=False).ids for t in texts]
    diffs = [{"index": i, "text": texts[i], "ids": orig.encode(texts[i], add_special_tokens=True).ids,
              "ids_no_special": orig_ids[i]} for i in range(len(texts)) if orig_ids[i] != conv_ids[i]]
    dump(OUT / "gguf-smollm2" / "original_pipeline.json", {
        "what": ("The corpus strings on which the original Hugging Face SmolLM2 tokenizer pipeline "
                 "(pre_tokenizer Sequence[Digits(individual_digits=true), ByteLevel(add_prefix_space=false, "
                 "trim_offsets=true, use_regex=true)], everything else as in tokenizer.json here) gives other ids "
                 "than transformers' GGUF conversion (expected.json). llama.cpp's tokenizer agrees with this "
                 "pipeline on every corpus string (CONVERSION.md). Made by the tokenizers library."),
        "pre_tokenizer": json.loads(orig.to_str())["pre_tokenizer"],
        "tokenizers_version": tokenizers.__version__,
        "corpus_count": len(texts),
        "count": len(diffs),
        "cases": diffs})
    print("SmolLM2 tokenizer, encode without special tokens, special tokens in text parsed:")
    report = {"corpus": len(texts)}
    report["converted_vs_original"] = compare("transformers GGUF conversion vs original HF pipeline (Digits+ByteLevel)",
                                              conv_ids, orig_ids, texts)
    cpp = llama_cpp(gguf, "tokenize", (0, 1), texts)
    if cpp is not None:
        report["llama_cpp_vs_original"] = compare("llama.cpp vs original HF pipeline", cpp, orig_ids, texts)
        report["llama_cpp_vs_converted"] = compare("llama.cpp vs transformers conversion", cpp, conv_ids, texts)
        cpp_plain = llama_cpp(gguf, "tokenize", (1, 0), texts)
        # llama.cpp with parse_special=false treats special tokens as text: count how many strings
        # contain a special-token spelling, so the reader can compare.
        with_special = [i for i, t in enumerate(texts) if cpp_plain[i] != cpp[i]]
        print(f"  llama.cpp parse_special off changes {len(with_special)} strings (those containing special-token text)")
        dec_cpp = llama_cpp(gguf, "detokenize", (0, 1), conv_ids)
        dec_tr = [tok.decode(ids, skip_special_tokens=False) for ids in conv_ids]
        report["detok_llama_cpp_vs_converted"] = compare("decode: llama.cpp (unparse_special) vs transformers",
                                                         dec_cpp, dec_tr, texts)
    return report


def main():
    texts = json.loads((OUT / "corpus.json").read_text(encoding="utf-8"))
    for name, gguf in TARGETS.items():
        if not gguf.exists():
            print(f"{name}: {gguf} missing, skipped", file=sys.stderr)
            continue
        hf, tok = load(gguf)
        cases, random_decode, mismatch = expected_outputs(hf, tok, texts, random.Random(7))
        doc = {
            "source": {"gguf": str(gguf.relative_to(ROOT)), "sha256": sha256(gguf),
                       "conversion": "transformers AutoTokenizer.from_pretrained(dir, gguf_file=...) -> backend_tokenizer"},
            "transformers_version": transformers.__version__,
            "tokenizers_version": tokenizers.__version__,
            "gguf_version": version("gguf"),
            "corpus_count": len(texts),
            "add_bos_token": bool(getattr(hf, "_add_bos_token", False)),
            "add_eos_token": bool(getattr(hf, "_add_eos_token", False)),
            "bos_token": hf.bos_token, "eos_token": hf.eos_token, "unk_token": hf.unk_token, "pad_token": hf.pad_token,
            "cases": cases,
            "random_decode": random_decode,
        }
        dump(OUT / name / "expected.json", doc)
        tj = tok.to_str()
        tj_path = OUT / name / "tokenizer.json"
        if len(tj.encode()) <= MAX_TOKENIZER_JSON:
            tj_path.write_text(json.dumps(json.loads(tj), ensure_ascii=False, separators=(",", ":")) + "\n",
                               encoding="utf-8")
        elif tj_path.exists():
            tj_path.unlink()
        print(f"{name}: vocab {tok.get_vocab_size(with_added_tokens=True)}, {len(cases)} cases, "
              f"transformers-vs-backend mismatches {mismatch}, "
              f"expected.json {(OUT / name / 'expected.json').stat().st_size} B")
        if name == "gguf-smollm2":
            smollm2_investigation(gguf, tok, texts)
        else:
            # The tokenizer.json the tiny model was made from (Golden/tokenizers/gpt2 or llama2).
            src = Tokenizer.from_file(str(OUT / ORIGINAL[name] / "tokenizer.json"))
            orig = [src.encode(t, add_special_tokens=True).ids for t in texts]
            conv = [c["ids"] for c in cases]
            print(f"{name}, encode with special tokens (BOS where the file says so), special tokens in text parsed:")
            d = compare(f"transformers GGUF conversion vs the source Golden/tokenizers/{ORIGINAL[name]}", conv, orig, texts)
            lead = sum(1 for i in d if texts[i][:1] == " ")
            print(f"    ({lead} of them start with a space)")
            if LLAMA_GOLDEN.exists():
                cpp = llama_cpp(gguf, "tokenize", (1, 1), texts)
                compare("llama.cpp vs the source tokenizer.json", cpp, orig, texts)
                compare("llama.cpp vs transformers conversion", cpp, conv, texts)


if __name__ == "__main__":
    main()
