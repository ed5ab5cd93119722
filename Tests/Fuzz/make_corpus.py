"""Writes the fuzz seed corpus Tests/Fuzz/corpus/<Target>/ (small valid files that reach deep
into each reader; libFuzzer mutates from there). Python standard library only:

    python3 Tests/Fuzz/make_corpus.py

Tokenizer seeds are the Golden/tokenizers families cut down to a small vocabulary (the merges
whose parts and result survive); checkpoint and GGUF seeds are the smallest Golden/formats
fixtures plus hand-made files; GGUF tokenizer seeds are written here byte by byte.
"""
import json
import os
import shutil
import struct

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "Tests", "Fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(target, source, name=None):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    shutil.copyfile(os.path.join(ROOT, source), os.path.join(folder, name or os.path.basename(source)))


def compact(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def safetensors(header, data):
    text = compact(header).encode("utf-8")
    return struct.pack("<Q", len(text)) + text + data


def seeds_safetensors():
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
        "b": {"dtype": "F16", "shape": [1, 2], "data_offsets": [8, 12]},
        "c": {"dtype": "BF16", "shape": [], "data_offsets": [12, 14]},
        "d": {"dtype": "I8", "shape": [0, 3], "data_offsets": [14, 14]},
    }
    data = struct.pack("<2f", 1.0, -2.5) + struct.pack("<2e", 0.5, 3.0) + bytes([0x80, 0x3F])
    write("Safetensors", "three-dtypes.safetensors", safetensors(header, data))
    write("Safetensors", "empty.safetensors", safetensors({}, b""))


def seeds_pytorch():
    copy("PyTorch", "Golden/formats/medusa_lm_head.pt")
    copy("PyTorch", "Golden/formats/int64.pt")


def seeds_json():
    for name, text in {
        "object.json": '{"a": [1, -0, 2.5e-3, true, false, null], "b": {"c": "\\u00e9\\ud83d\\ude00"}}',
        "strings.json": '["\ufeffa", "\\n\\t\\"\\\\\\/", "e\u0301", ""]',
        "nested.json": "[[[[[[[[{}]]]]]]]]",
        "number.json": "-12345678901234567890.5e+10",
    }.items():
        write("JSON", name, text)


def small_tokenizer(family, keep=120):
    with open(os.path.join(ROOT, "Golden", "tokenizers", family, "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    model = tokenizer["model"]
    added = {t["content"] for t in tokenizer.get("added_tokens", [])}
    vocab = sorted(model["vocab"].items(), key=lambda kv: kv[1])
    kept = {token: i for token, i in vocab if i < keep or token in added}
    merges = []
    for merge in model["merges"]:
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        if left in kept and right in kept and left + right in kept:
            merges.append(merge)
    model["vocab"] = kept
    model["merges"] = merges
    return compact(tokenizer)


def seeds_tokenizer_json():
    for family in ["llama2", "tinyllama", "gpt2", "smollm", "llama3", "qwen2", "misc", "variants"]:
        write("TokenizerJSON", family + ".json", small_tokenizer(family))


def seeds_tree_json():
    for name, text in {
        "chain.json": "[[0], [0, 0], [0, 0, 0], [0, 0, 0, 0]]",
        "wide.json": "[[0], [1], [2], [0, 0], [0, 1], [1, 0], [0, 0, 0], [9]]",
        "bad.json": "[[0], [1, 1], [2.0], [true]]",
    }.items():
        write("TreeJSON", name, text)


def seeds_config_json():
    copy("ConfigJSON", "Golden/models/default/config.json", "default.json")
    for model in ["tiny-gqa-f16", "tiny-bf16-bias"]:
        copy("ConfigJSON", "Golden/models/%s/config.json" % model, model + ".json")
    write("ConfigJSON", "rope-llama3.json", compact({
        "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
        "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 2,
        "vocab_size": 100, "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
        "eos_token_id": [1, 2], "bos_token_id": 0, "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
    }))


# GGUF: little-endian, version 3.
GGUF_TYPES = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7,
              "str": 8, "arr": 9, "u64": 10, "i64": 11, "f64": 12}
FORMATS = {"u8": "<B", "i8": "<b", "u16": "<H", "i16": "<h", "u32": "<I", "i32": "<i",
           "f32": "<f", "bool": "<?", "u64": "<Q", "i64": "<q", "f64": "<d"}


def gguf_string(text):
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def gguf_value(kind, value):
    if kind == "str":
        return gguf_string(value)
    if isinstance(kind, tuple):  # ("arr", element kind)
        element = kind[1]
        out = struct.pack("<IQ", GGUF_TYPES[element], len(value))
        return out + b"".join(gguf_value(element, v) for v in value)
    return struct.pack(FORMATS[kind], value)


def gguf(metadata, tensors=()):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        type_id = GGUF_TYPES["arr"] if isinstance(kind, tuple) else GGUF_TYPES[kind]
        out += gguf_string(key) + struct.pack("<I", type_id) + gguf_value(kind, value)
    data = b""
    for name, ggml_type, dims, blob in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", ggml_type, len(data))
        data += blob + b"\0" * (-len(blob) % 32)
    out += b"\0" * (-len(out) % 32)
    return out + data


def seeds_gguf():
    copy("GGUF", "Golden/formats/gguf/values.gguf")
    copy("GGUF", "Golden/formats/gguf/aligned64.gguf")
    metadata = [
        ("general.architecture", "str", "llama"), ("llama.block_count", "u32", 1),
        ("llama.context_length", "u32", 64), ("llama.embedding_length", "u32", 32),
        ("llama.feed_forward_length", "u32", 64), ("llama.attention.head_count", "u32", 4),
        ("llama.attention.head_count_kv", "u32", 2), ("llama.rope.freq_base", "f32", 10000.0),
        ("llama.attention.layer_norm_rms_epsilon", "f32", 1e-5), ("llama.vocab_size", "u32", 8),
        ("nested", ("arr", "i32"), [1, -2, 3]),
    ]
    q8 = struct.pack("<e", 0.5) + bytes(range(32))  # one Q8_0 block of 32
    tensors = [
        ("output_norm.weight", 0, [32], struct.pack("<32f", *([1.0] * 32))),
        ("token_embd.weight", 8, [32, 1], q8),
        ("half", 1, [4], struct.pack("<4e", 1, 2, 3, 4)),
    ]
    write("GGUF", "tiny-llama.gguf", gguf(metadata, tensors))


def seeds_gguf_tokenizer():
    byte_level = [
        ("tokenizer.ggml.model", "str", "gpt2"), ("tokenizer.ggml.pre", "str", "llama-bpe"),
        ("tokenizer.ggml.tokens", ("arr", "str"), ["a", "b", "ab", "Ġ", "Ġa", "<|end|>", "1"]),
        ("tokenizer.ggml.token_type", ("arr", "i32"), [1, 1, 1, 1, 1, 3, 1]),
        ("tokenizer.ggml.merges", ("arr", "str"), ["a b", "Ġ a"]),
        ("tokenizer.ggml.eos_token_id", "u32", 5), ("tokenizer.ggml.add_bos_token", "bool", False),
        ("tokenizer.chat_template", "str",
         "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}"),
    ]
    write("GGUFTokenizer", "byte-level.gguf", gguf(byte_level))
    pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in (0x0A, 0x20, 0xC3, 0xA9)]
    pieces += ["▁", "a", "b", "▁a", "ab", "▁ab", "user"]
    sentence_piece = [
        ("general.architecture", "str", "llama"), ("tokenizer.ggml.model", "str", "llama"),
        ("tokenizer.ggml.tokens", ("arr", "str"), pieces),
        ("tokenizer.ggml.scores", ("arr", "f32"), [0.0] * 7 + [-1.0, -2.0, -3.0, -1.5, -2.5, -0.5, -4.0]),
        ("tokenizer.ggml.token_type", ("arr", "i32"), [2, 3, 3, 6, 6, 6, 6] + [1] * 7),
        ("tokenizer.ggml.bos_token_id", "u32", 1), ("tokenizer.ggml.eos_token_id", "u32", 2),
        ("tokenizer.ggml.unknown_token_id", "u32", 0), ("tokenizer.ggml.add_eos_token", "bool", True),
    ]
    write("GGUFTokenizer", "sentencepiece-scores.gguf", gguf(sentence_piece))


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    seeds_safetensors()
    seeds_pytorch()
    seeds_json()
    seeds_tokenizer_json()
    seeds_tree_json()
    seeds_config_json()
    seeds_gguf()
    seeds_gguf_tokenizer()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print("%-14s %2d seeds, %6d bytes" % (target, len(files), size))


if __name__ == "__main__":
    main()
