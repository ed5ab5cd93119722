#!/usr/bin/env python3
"""GGUF fixtures for MedusaFormats' GGUF reader and MedusaTokenizer's GGUF tokenizer, written by
independent code: the `gguf` package's GGUFWriter (gguf-py, the llama.cpp project's Python
library) and transformers' GGUF tokenizer conversion.

    .venv/bin/python Golden/tools/make_gguf_fixtures.py            # everything
    .venv/bin/python Golden/tools/make_gguf_fixtures.py --formats  # only values, aligned64, big_endian

Outputs, all in Golden/formats/gguf/:

- values.gguf + values.expected.json: one value of every GGUF type, arrays of every element type,
  nested arrays, and tensors of plain and quantized types (F32, F16, BF16, F64, I8...I64, Q8_0,
  Q4_0, Q4_1, Q4_K, Q6_K); default alignment.
- aligned64.gguf + aligned64.expected.json: `general.alignment` 64.
- big_endian.gguf: the same kind of file written big-endian by GGUFWriter (must be rejected).
- tokenizer-*.gguf + tokenizer-*.expected.json: tokenizer-only GGUF files (no tensors) built
  from the Golden/tokenizers families (TOKENIZER_SPECS), and what transformers' GGUF conversion
  (AutoTokenizer.from_pretrained(folder, gguf_file=...)) makes of them: on the first 400 strings
  of Golden/tokenizers/corpus.json the ids with and without special tokens and the decodes with
  and without skipping them (the format of Golden/tokenizers/*/expected.json), 100 random-id
  decodes, the special tokens, and ("chat") apply_chat_template renderings of the file's
  chat template. transformers' own tokenizer.json of each is left in /tmp for reading.

Expected JSON (values/aligned64): "version", "alignment", "data_offset", "metadata" (file order;
each value {"type": gguf-py type name, "value": ...}; integers as decimal strings, floats as
{"bits": IEEE bit pattern as a decimal string}, arrays as {"type": "ARRAY", "element_type": T,
"value": [values]}), "tensors" (file order; "name", "type", "dimensions" in ggml order, ne[0]
first, "offset" relative to the data section, "byte_count", "fnv1a64" of the bytes as 16 hex
digits). Everything is deterministic (fixed seeds), so regeneration is byte-for-byte identical.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np

import gguf
from gguf import GGMLQuantizationType as Q
from gguf import GGUFValueType as V
from gguf import GGUFWriter

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Golden" / "formats" / "gguf"


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def expected_value(vtype: V, value, sub_type: V | None = None) -> dict:
    """The expected-JSON form of a value written with type `vtype`."""
    if vtype == V.ARRAY:
        if sub_type is None:
            sub_type = V.get_type(value[0])
        return {
            "type": "ARRAY",
            "element_type": sub_type.name,
            "value": [expected_value(sub_type, item) for item in value],
        }
    if vtype == V.FLOAT32:
        return {"type": vtype.name, "value": {"bits": str(f32_bits(value))}}
    if vtype == V.FLOAT64:
        return {"type": vtype.name, "value": {"bits": str(f64_bits(value))}}
    if vtype == V.BOOL:
        return {"type": vtype.name, "value": bool(value)}
    if vtype == V.STRING:
        return {"type": vtype.name, "value": value}
    return {"type": vtype.name, "value": str(int(value))}


# Every scalar type, arrays of every element type, and nested arrays. Floats are chosen to be
# exactly representable so that Python's float -> f32 packing is unambiguous.
VALUES: list[tuple[str, V, object, V | None]] = [
    ("test.uint8", V.UINT8, 250, None),
    ("test.int8", V.INT8, -128, None),
    ("test.uint16", V.UINT16, 65535, None),
    ("test.int16", V.INT16, -12345, None),
    ("test.uint32", V.UINT32, 4294967295, None),
    ("test.int32", V.INT32, -2147483648, None),
    ("test.uint64", V.UINT64, 18446744073709551615, None),
    ("test.int64", V.INT64, -9223372036854775808, None),
    ("test.float32", V.FLOAT32, -0.375, None),
    ("test.float64", V.FLOAT64, 1.0e-300, None),
    ("test.bool_true", V.BOOL, True, None),
    ("test.bool_false", V.BOOL, False, None),
    ("test.string", V.STRING, "Grüße, ▁ 🦙 \n\t\"quoted\"", None),
    ("test.empty_string", V.STRING, "", None),
    ("test.array.uint8", V.ARRAY, [0, 1, 255], V.UINT8),
    ("test.array.int8", V.ARRAY, [-1, 2], V.INT8),
    ("test.array.uint16", V.ARRAY, [7, 65535], V.UINT16),
    ("test.array.int16", V.ARRAY, [-7], V.INT16),
    ("test.array.uint32", V.ARRAY, [1, 2, 3], V.UINT32),
    ("test.array.int32", V.ARRAY, [-1, 0, 1], V.INT32),
    ("test.array.uint64", V.ARRAY, [2**64 - 1, 0], V.UINT64),
    ("test.array.int64", V.ARRAY, [-(2**63), 2**63 - 1], V.INT64),
    ("test.array.float32", V.ARRAY, [0.5, -2.25, 1e-8], V.FLOAT32),
    ("test.array.float64", V.ARRAY, [3.141592653589793], V.FLOAT64),
    ("test.array.bool", V.ARRAY, [True, False, True], V.BOOL),
    ("test.array.string", V.ARRAY, ["a", "", "▁b c", "日本"], V.STRING),
    ("test.array.nested", V.ARRAY, [[1, 2], [3], [4, 5, 6]], V.ARRAY),
    ("test.array.nested_strings", V.ARRAY, [["x", "y"], ["z"]], V.ARRAY),
]


def tensors(rng: np.random.Generator) -> list[tuple[str, np.ndarray, Q | None, list[int]]]:
    """(name, array to write, raw ggml type or None, ggml dims ne[0] first)."""
    out = []
    f32 = rng.standard_normal((3, 4)).astype(np.float32)
    out.append(("plain.f32", f32, None, [4, 3]))
    out.append(("plain.f16", rng.standard_normal(8).astype(np.float16), None, [8]))
    bf16 = (rng.standard_normal((2, 5)).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    out.append(("plain.bf16", bf16.view(np.uint8).reshape(2, 10), Q.BF16, [5, 2]))
    out.append(("plain.f64", rng.standard_normal(3), None, [3]))
    out.append(("plain.i8", rng.integers(-128, 127, 5, dtype=np.int8), None, [5]))
    out.append(("plain.i16", rng.integers(-30000, 30000, 2, dtype=np.int16), None, [2]))
    out.append(("plain.i32", rng.integers(-(2**31), 2**31 - 1, (2, 2), dtype=np.int32), None, [2, 2]))
    out.append(("plain.i64", rng.integers(-(2**62), 2**62, 1, dtype=np.int64), None, [1]))
    for qtype, shape in [(Q.Q8_0, (2, 64)), (Q.Q4_0, (3, 32)), (Q.Q4_1, (1, 2, 32))]:
        data = rng.standard_normal(shape).astype(np.float32)
        out.append((f"quant.{qtype.name.lower()}", gguf.quants.quantize(data, qtype), qtype, list(reversed(shape))))
    # gguf-py cannot quantize k-quants; the reader only needs their geometry, so random blocks.
    for qtype, shape in [(Q.Q4_K, (2, 256)), (Q.Q6_K, (1, 256))]:
        byte_shape = gguf.quants.quant_shape_to_byte_shape(shape, qtype)
        blocks = rng.integers(0, 256, byte_shape, dtype=np.uint8)
        out.append((f"quant.{qtype.name.lower()}", blocks, qtype, list(reversed(shape))))
    return out


def write_values(name: str, alignment: int | None, endianess=gguf.GGUFEndian.LITTLE) -> None:
    path = OUT / f"{name}.gguf"
    writer = GGUFWriter(str(path), arch="llama", endianess=endianess)
    if alignment is not None:
        writer.add_custom_alignment(alignment)
    for key, vtype, value, sub_type in VALUES:
        writer.add_key_value(key, value, vtype, sub_type=sub_type)
    rng = np.random.default_rng(20240601)
    specs = tensors(rng)
    for tensor_name, array, raw_dtype, _ in specs:
        writer.add_tensor(tensor_name, array, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    if endianess != gguf.GGUFEndian.LITTLE:
        return

    # The expected values: what was written (metadata) and where gguf-py's reader finds it.
    reader = gguf.GGUFReader(str(path))
    metadata = [{"key": "general.architecture", **expected_value(V.STRING, "llama")}]
    if alignment is not None:
        metadata.append({"key": "general.alignment", **expected_value(V.UINT32, alignment)})
    metadata += [{"key": key, **expected_value(vtype, value, sub_type)} for key, vtype, value, sub_type in VALUES]
    file_bytes = path.read_bytes()
    expected_tensors = []
    for (tensor_name, _, _, dims), tensor in zip(specs, reader.tensors):
        assert tensor.name == tensor_name and [int(d) for d in tensor.shape] == dims, tensor.name
        start = int(tensor.data_offset)
        expected_tensors.append({
            "name": tensor.name,
            "type": tensor.tensor_type.name,
            "dimensions": dims,
            "offset": int(start - reader.data_offset),
            "byte_count": int(tensor.n_bytes),
            "fnv1a64": fnv1a64(file_bytes[start:start + int(tensor.n_bytes)]),
        })
    expected = {
        "version": 3,
        "alignment": int(reader.alignment),
        "data_offset": int(reader.data_offset),
        "metadata": metadata,
        "tensors": expected_tensors,
    }
    assert [m["key"] for m in metadata] == list(reader.fields)[3:], "metadata order"
    (OUT / f"{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n")


def make_formats() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    write_values("values", None)
    write_values("aligned64", 64)
    write_values("big_endian", None, gguf.GGUFEndian.BIG)
    print(f"wrote {OUT}/values, aligned64, big_endian")


# ---------------------------------------------------------------------------------------------
# Tokenizer fixtures: tokenizer-only GGUF files made from the Golden/tokenizers families (the
# metadata llama.cpp's converter would write for them), and what transformers makes of them.

TOKENIZERS = ROOT / "Golden" / "tokenizers"
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6

# SmolLM2-Instruct's chat template (from its GGUF): ChatML with a default system prompt.
SMOLLM2_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
    "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% endif %}"
)

# Conversations rendered with each fixture's chat template (apply_chat_template).
CONVERSATIONS = [
    [{"role": "user", "content": "Hi!"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}],
    [{"role": "user", "content": "Name a colour."}, {"role": "assistant", "content": "Blue."},
     {"role": "user", "content": "Another,\nplease — in 日本語."}],
]

# name: (family, tokenizer.ggml.model, tokenizer.ggml.pre, general.architecture, options)
TOKENIZER_SPECS = {
    # byte-level BPE, the GPT-2 regex; a user-defined token, and a "control" token spelled
    # outside the byte alphabet (transformers respells it in the vocabulary and skips it).
    "gpt2": ("gpt2", "gpt2", "gpt2", "llama", {"extra": [("<think>", USER_DEFINED), ("<|my token|>", CONTROL)]}),
    # pre "smollm": transformers keeps the GPT-2 regex (no digit splitting).
    "smollm": ("smollm", "gpt2", "smollm", "llama", {"bos": "<|im_start|>", "eos": "<|im_end|>", "chat_template": SMOLLM2_CHAT_TEMPLATE}),
    # pre "llama-bpe": the Llama-3 split regex; BOS added; the vocabulary has no <|endoftext|>.
    "llama3": ("llama3", "gpt2", "llama-bpe", "llama", {"add_bos": True, "bos": "<|begin_of_text|>", "eos": "<|end_of_text|>"}),
    # pre "qwen2": the Qwen2 split regex (the tokenizer.json's NFC normalizer is not in a GGUF).
    "qwen2": ("qwen2", "gpt2", "qwen2", "qwen2", {"eos": "<|im_end|>", "pad": "<|endoftext|>"}),
    # SentencePiece-style BPE with merges; add_bos_token absent (transformers: true).
    "llama2": ("llama2", "llama", "default", "llama", {"bos": "<s>", "eos": "</s>", "unk": "<unk>"}),
    # SentencePiece-style BPE without merges (rebuilt from scores), EOS added, no space prefix flag.
    "llama2-scores": ("tinyllama", "llama", "default", "llama", {"bos": "<s>", "eos": "</s>", "unk": "<unk>", "merges": False, "add_eos": True, "add_bos": False, "add_space_prefix": False}),
    # Corner cases of the added tokens. Byte-level: the BOS is an ordinary token (it becomes
    # special), the padding token a control token spelled outside the byte alphabet (added anew,
    # after the vocabulary), <|endoftext|> user-defined (GPT2Tokenizer's default adds it as
    # special first).
    "gpt2-specials": ("gpt2", "gpt2", "gpt2", "llama", {
        "types": {0: USER_DEFINED},
        "extra": [("<tool_call>", USER_DEFINED), ("<|my token|>", CONTROL), ("<|sep|>", CONTROL)],
        "bos": "ic", "eos": "<|sep|>", "pad": "<|my token|>", "add_bos": True, "add_eos": True}),
    # SentencePiece without <s>, </s>, <unk> (LlamaTokenizer's defaults are added after the
    # vocabulary); architecture phi3 (a normalizer instead of Metaspace); a user-defined token.
    "phi3": ("llama2", "llama", "default", "phi3", {
        "rename": {0: "<|unk|>", 1: "<|bos|>", 2: "<|eos|>"}, "extra": [("<|tool|>", USER_DEFINED)],
        "bos": "<|bos|>", "eos": "<|eos|>", "unk": "<|unk|>"}),
    # SentencePiece whose <s> is user-defined: still special (the library's set of special
    # tokens keeps a content once added as special).
    "llama2-userdefined": ("llama2", "llama", "default", "llama", {
        "types": {1: USER_DEFINED}, "bos": "<s>", "eos": "</s>", "pad": "<0x00>"}),
}


def family_vocabulary(family: str) -> tuple[list[str], list[int], list[str], dict]:
    """Tokens by id, their llama.cpp token types, the merges, and tokenizer_config.json."""
    tj = json.loads((TOKENIZERS / family / "tokenizer.json").read_text())
    config = json.loads((TOKENIZERS / family / "tokenizer_config.json").read_text())
    by_id = {index: token for token, index in tj["model"]["vocab"].items()}
    added = {entry["id"]: entry for entry in tj["added_tokens"]}
    for index, entry in added.items():
        by_id[index] = entry["content"]
    count = max(by_id) + 1
    tokens, types = [], []
    unk = tj["model"].get("unk_token")
    for index in range(count):
        token = by_id.get(index)
        if token is None:  # as convert_hf_to_gguf.py fills holes
            tokens.append(f"[PAD{index}]")
            types.append(UNUSED)
        elif index in added:
            tokens.append(token)
            types.append(CONTROL if added[index]["special"] else USER_DEFINED)
        elif token == unk:
            tokens.append(token)
            types.append(UNKNOWN)
        elif re.fullmatch(r"<0x[0-9A-F]{2}>", token) and tj["model"].get("byte_fallback"):
            tokens.append(token)
            types.append(BYTE)
        else:
            tokens.append(token)
            types.append(NORMAL)
    merges = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    return tokens, types, merges, config


def write_tokenizer_gguf(path: Path, spec) -> None:
    family, model, pre, arch, options = spec
    tokens, types, merges, config = family_vocabulary(family)
    for index, token in options.get("rename", {}).items():
        tokens[index] = token
    for index, token_type in options.get("types", {}).items():
        types[index] = token_type
    for token, token_type in options.get("extra", []):
        tokens.append(token)
        types.append(token_type)
    writer = GGUFWriter(str(path), arch=arch)
    # The architecture keys transformers needs to build a config (no tensors are written).
    writer.add_context_length(256)
    writer.add_embedding_length(64)
    writer.add_block_count(1)
    writer.add_feed_forward_length(128)
    writer.add_head_count(4)
    writer.add_head_count_kv(4)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model(model)
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    if model == "llama":
        writer.add_token_scores([-float(index) for index in range(len(tokens))])
    if options.get("merges", True):
        writer.add_token_merges(merges)
    index = {token: i for i, token in enumerate(tokens)}
    for key, add in [("bos", writer.add_bos_token_id), ("eos", writer.add_eos_token_id),
                     ("unk", writer.add_unk_token_id), ("pad", writer.add_pad_token_id)]:
        if key in options:
            add(index[options[key]])
    if "add_bos" in options:
        writer.add_add_bos_token(options["add_bos"])
    if "add_eos" in options:
        writer.add_add_eos_token(options["add_eos"])
    if "add_space_prefix" in options:
        writer.add_add_space_prefix(options["add_space_prefix"])
    template = options.get("chat_template", config.get("chat_template"))
    if template:
        writer.add_chat_template(template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def make_tokenizers(corpus_count: int = 400, random_count: int = 100) -> None:
    import random  # noqa: PLC0415

    import tokenizers  # noqa: PLC0415
    import transformers  # noqa: PLC0415
    from transformers import AutoTokenizer  # noqa: PLC0415

    corpus = json.loads((TOKENIZERS / "corpus.json").read_text())
    strings = corpus["strings"] if isinstance(corpus, dict) else corpus
    strings = strings[:corpus_count]
    for name, spec in TOKENIZER_SPECS.items():
        path = OUT / f"tokenizer-{name}.gguf"
        write_tokenizer_gguf(path, spec)
        tok = AutoTokenizer.from_pretrained(str(OUT), gguf_file=path.name)
        backend = tok.backend_tokenizer
        cases = []
        for text in strings:
            ids = tok.encode(text, add_special_tokens=True)
            ids_plain = tok.encode(text, add_special_tokens=False)
            assert ids == backend.encode(text).ids and ids_plain == backend.encode(text, add_special_tokens=False).ids
            for skip in (False, True):
                assert tok.decode(ids, skip_special_tokens=skip) == backend.decode(ids, skip_special_tokens=skip)
            cases.append({
                "ids": ids,
                "ids_no_special": ids_plain,
                "decoded": tok.decode(ids, skip_special_tokens=False),
                "decoded_skip": tok.decode(ids, skip_special_tokens=True),
            })
        rng = random.Random(1234)
        size = backend.get_vocab_size(with_added_tokens=True)
        random_decode = []
        for _ in range(random_count):
            ids = [rng.randrange(size) for _ in range(rng.randrange(1, 12))]
            random_decode.append({
                "ids": ids,
                "decoded": tok.decode(ids, skip_special_tokens=False),
                "decoded_skip": tok.decode(ids, skip_special_tokens=True),
            })
        expected = {
            "source": f"Golden/formats/gguf/tokenizer-{name}.gguf (from Golden/tokenizers/{spec[0]})",
            "conversion": "transformers AutoTokenizer.from_pretrained(folder, gguf_file=...)",
            "transformers_version": transformers.__version__,
            "tokenizers_version": tokenizers.__version__,
            "gguf_version": gguf.__version__ if hasattr(gguf, "__version__") else "0.19.0",
            "corpus_count": len(strings),
            "add_bos_token": bool(getattr(tok, "add_bos_token", False)),
            "add_eos_token": bool(getattr(tok, "add_eos_token", False)),
            "bos_token": tok.bos_token, "eos_token": tok.eos_token,
            "unk_token": tok.unk_token, "pad_token": tok.pad_token,
            "vocab_size": size,
            "cases": cases,
            "random_decode": random_decode,
        }
        if tok.chat_template:
            expected["chat"] = [
                {"messages": messages, "add_generation_prompt": prompt,
                 "rendered": tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=prompt)}
                for messages in CONVERSATIONS for prompt in (False, True)
            ]
        (OUT / f"tokenizer-{name}.expected.json").write_text(json.dumps(expected, ensure_ascii=False) + "\n")
        debug = Path("/tmp") / f"gguf-tokenizer-{name}.transformers.json"
        debug.write_text(json.dumps(json.loads(backend.to_str()), ensure_ascii=False, indent=1))
        print(f"wrote {path.name}: vocab {size}, {len(cases)} cases (transformers' tokenizer.json: {debug})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--formats", action="store_true", help="only the reader fixtures")
    args = parser.parse_args()
    make_formats()
    if not args.formats:
        make_tokenizers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
