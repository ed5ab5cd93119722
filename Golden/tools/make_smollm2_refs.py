"""SmolLM2-135M-Instruct (the real Q4_1 GGUF) references from transformers.

Writes Golden/cases/backbone/smollm2-135m-instruct.json from
Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf (fetch it first with
`bash Golden/tools/fetch_smollm2.sh`; it is never committed).

Reference: transformers 5.24 `AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)` with
dtype float32 and eager attention, one thread, deterministic algorithms. transformers' GGUF
loader dequantizes every tensor to float32 with gguf-py (`gguf.quants.dequantize`, the same
values as Golden/cases/quant/) and undoes the converter's attn_q / attn_k row permutation, so
these logits are float32 arithmetic on exactly the dequantized GGUF weights.

Cases: 8 prompts written for this file (plain English, our own text): 4 chats rendered with the
GGUF's own chat template (`apply_chat_template(add_generation_prompt=True)`: default system
prompt, explicit system message, multi-turn) and 4 raw-text prompts (one over 200 tokens), each
continued greedily for 48 tokens with a KV cache, one token at a time, EOS ignored (so 48 tokens
always come; an EOS-stopping decoder stops at the first id 2 and keeps it). Full logit rows
(49152 floats) are too big: each checked position stores a summary (see `logits_summary`).
Two drafted prompts were dropped because a greedy step had a top1 - top2 margin below 5e-3 (the
filter of Golden/cases/backbone); every kept step has a margin >= 0.02, >= 250x the noise floor.

Run from the repository root:  .venv/bin/python Golden/tools/make_smollm2_refs.py
(~3-5 min on a free core; needs the venv from Golden/tools/requirements.txt.)
"""
import hashlib
import json
import math
import os
import sys
from importlib.metadata import version

from common import CASES, GOLDEN, dump_json, f32, f32_list, setup

import numpy as np
import torch
import transformers
from tokenizers import Tokenizer, pre_tokenizers
from transformers import AutoModelForCausalLM, AutoTokenizer

MODEL_DIR = os.path.join(GOLDEN, "models", "smollm2-135m-instruct")
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
OUT = os.path.join(CASES, "backbone", "smollm2-135m-instruct.json")
N_NEW = 48
TOP_K = 20
STRIDE = 61

LONG_TEXT = (
    "The old lighthouse stood at the end of a narrow spit of rock, where the river met the sea. "
    "For more than a hundred years its keepers had climbed the spiral stair each evening to light "
    "the great lamp, trim the wick, and wind the clockwork that turned the lens. The work was "
    "simple but it could never be skipped: a single dark night might send a fishing boat onto the "
    "reef that lay just beneath the waves. The last keeper was a quiet woman named Ada, who kept a "
    "careful log of the weather, the ships that passed, and the birds that rested on the gallery "
    "rail during storms. In her log she wrote that the sea was never the same two days in a row. "
    "Some mornings it was flat and grey like a sheet of slate; other mornings it was green and "
    "restless, throwing spray high over the rocks. When the lamp was finally replaced by an "
    "automatic beacon, Ada handed her keys to the harbour master, packed her books into a wooden "
    "crate, and walked back along the causeway without looking back. Years later, a visitor asked "
    "her what she missed most about the lighthouse. She thought for a long moment and then said"
)

PROMPTS = [
    {"name": "chat-default-system-capital", "kind": "chat",
     "messages": [{"role": "user", "content": "What is the capital of France?"}]},
    {"name": "chat-explicit-system", "kind": "chat",
     "messages": [{"role": "system", "content": "You are a patient science teacher. Answer in two or three short sentences."},
                  {"role": "user", "content": "Why is the sky blue during the day?"}]},
    {"name": "chat-multi-turn", "kind": "chat",
     "messages": [{"role": "user", "content": "I have two apples and I buy three more. How many apples do I have now?"},
                  {"role": "assistant", "content": "You have five apples."},
                  {"role": "user", "content": "If I give one apple to my friend, how many are left? Explain your answer."}]},
    {"name": "chat-code", "kind": "chat",
     "messages": [{"role": "system", "content": "You are a helpful programming assistant."},
                  {"role": "user", "content": "Write a Python function that checks whether a number is even."}]},
    {"name": "raw-story-opening", "kind": "raw",
     "text": "Once upon a time, in a small village at the edge of a great forest, there lived"},
    {"name": "raw-code", "kind": "raw",
     "text": "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"},
    {"name": "raw-digits-list", "kind": "raw",
     "text": "Shopping list for 12 people, 2024-05-17:\n1. 24 eggs\n2. 3 loaves of bread\n3."},
    {"name": "raw-long-lighthouse", "kind": "raw", "text": LONG_TEXT},
]
ALL_POSITIONS_CASE = "chat-explicit-system"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def summary(row):
    """top-20 (id, logit) (ties: lower id first), logsumexp, max |logit|, argmax margin, strided sample."""
    a = row.detach().float().cpu().numpy().astype(np.float32)
    order = np.lexsort((np.arange(a.size), -a.astype(np.float64)))[:TOP_K]
    lse = float(np.log(np.sum(np.exp(a.astype(np.float64) - float(a[order[0]])))) + float(a[order[0]]))
    return {
        "top_ids": [int(i) for i in order],
        "top_logits": f32_list(a[order]),
        "logsumexp": lse,
        "max_abs": f32(np.abs(a).max()),
        "strided": f32_list(a[::STRIDE]),
    }


@torch.no_grad()
def greedy(model, prompt, n_new=N_NEW):
    """Greedy AR decoding with a KV cache, EOS ignored. Returns the logit rows used and the ids."""
    out = model(input_ids=torch.tensor([prompt]), use_cache=True)
    cache = out.cache
    logits = out.logits[0, -1]
    rows, ids, margins = [], [], []
    for _ in range(n_new):
        rows.append(logits.clone())
        top2 = torch.topk(logits, 2)
        tok = int(torch.argmax(logits))  # the lowest id on ties
        ids.append(tok)
        margins.append(float(top2.values[0] - top2.values[1]))
        out = model(input_ids=torch.tensor([[tok]]), cache=cache, use_cache=True)
        cache = out.cache
        logits = out.logits[0, -1]
    return rows, ids, margins


@torch.no_grad()
def all_logits(model, prompt):
    return model(input_ids=torch.tensor([prompt])).logits[0]


def main():
    path = os.path.join(MODEL_DIR, GGUF_FILE)
    if not os.path.exists(path):
        sys.exit(f"make_smollm2_refs: {path} is missing: run bash Golden/tools/fetch_smollm2.sh")
    if sha256(path) != GGUF_SHA256:
        sys.exit(f"make_smollm2_refs: {path} has the wrong sha256")
    setup(0)
    tok = AutoTokenizer.from_pretrained(MODEL_DIR, gguf_file=GGUF_FILE)
    model = AutoModelForCausalLM.from_pretrained(MODEL_DIR, gguf_file=GGUF_FILE, dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    V = model.config.vocab_size
    original = Tokenizer.from_str(tok.backend_tokenizer.to_str())
    original.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
    cases = []
    prompts = []
    for p in PROMPTS:
        c = {"name": p["name"], "kind": p["kind"]}
        if p["kind"] == "chat":
            c["messages"] = p["messages"]
            text = tok.apply_chat_template(p["messages"], add_generation_prompt=True, tokenize=False)
            ids = tok.apply_chat_template(p["messages"], add_generation_prompt=True, tokenize=True)
            ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)
            assert ids == tok.encode(text, add_special_tokens=False), p["name"]
        else:
            text = p["text"]
            ids = tok.encode(text, add_special_tokens=False)
            assert ids == tok.encode(text), "add_special_tokens should add nothing (add_bos false)"
        # transformers' GGUF tokenizer differs from the original SmolLM2 pipeline (Digits +
        # ByteLevel, which llama.cpp follows) on some whitespace/number strings: keep prompts where
        # both give the same ids (Golden/tokenizers/gguf-smollm2/CONVERSION.md).
        assert original.encode(text, add_special_tokens=False).ids == ids, f"{p['name']}: tokenizations differ"
        c["prompt_text"] = text
        c["prompt_ids"] = ids
        prompts.append(ids)
        cases.append(c)

    results_eager = [greedy(model, ids) for ids in prompts]
    ap_index = [c["name"] for c in cases].index(ALL_POSITIONS_CASE)
    la = all_logits(model, prompts[ap_index])
    model.set_attn_implementation("sdpa")
    results_sdpa = [greedy(model, ids) for ids in prompts]
    la_s = all_logits(model, prompts[ap_index])

    noise, max_abs, same_ids = 0.0, 0.0, True
    for c, (rows, ids, margins), (rows_s, ids_s, _) in zip(cases, results_eager, results_sdpa):
        same_ids &= ids == ids_s
        for r, rs in zip(rows, rows_s):
            if ids == ids_s:
                noise = max(noise, float((r - rs).abs().max()))
            max_abs = max(max_abs, float(r.abs().max()))
        c["greedy_ids"] = ids
        c["greedy_text"] = tok.decode(ids)
        c["greedy_margins"] = [f32(m) for m in margins]
        c["min_margin"] = f32(min(margins))
        c["eos_positions"] = [i for i, t in enumerate(ids) if t == model.config.eos_token_id]
        c["step_logits"] = [summary(r) for r in rows]
        c["sdpa_greedy_ids_equal"] = ids == ids_s
    noise = max(noise, float((la - la_s).abs().max()))
    max_abs = max(max_abs, float(la.abs().max()))

    doc = {
        "model": "smollm2-135m-instruct",
        "gguf_file": "Golden/models/smollm2-135m-instruct/" + GGUF_FILE,
        "gguf_sha256": GGUF_SHA256,
        "fetch": "bash Golden/tools/fetch_smollm2.sh",
        "reference": f"transformers {transformers.__version__} AutoModelForCausalLM gguf_file= float32 eager",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "gguf": version("gguf"), "tokenizers": version("tokenizers"), "numpy": np.__version__},
        "dtype_on_disk": "Q4_1 matrices, Q8_0 token_embd (tied lm_head), F32 norms",
        "weights": "dequantized to float32 by transformers' GGUF loader (gguf.quants.dequantize); attn_q/attn_k rows un-permuted",
        "compute": "float32",
        "config": {"vocab_size": V, "hidden_size": model.config.hidden_size,
                   "num_hidden_layers": model.config.num_hidden_layers,
                   "num_attention_heads": model.config.num_attention_heads,
                   "num_key_value_heads": model.config.num_key_value_heads,
                   "intermediate_size": model.config.intermediate_size,
                   "rope_theta": model.config.rope_parameters["rope_theta"],
                   "rms_norm_eps": model.config.rms_norm_eps,
                   "tie_word_embeddings": model.config.tie_word_embeddings},
        "bos_token_id": tok.bos_token_id,
        "eos_token_id": model.config.eos_token_id,
        "pad_token_id": tok.pad_token_id,
        "unk_token_id": tok.unk_token_id,
        "add_bos_token": False,
        "n_new": N_NEW,
        "ignore_eos": True,
        "eos_handling": ("greedy runs ignore EOS: exactly n_new tokens are generated even after an EOS "
                         "(id 2, <|im_end|>); eos_positions lists where one was produced. A decoder that "
                         "stops at EOS must produce greedy_ids[:eos_positions[0]+1]."),
        "greedy": "argmax over the float32 logits, ties to the lowest id; KV-cached, one token per forward after the prompt",
        "logits_summary": {
            "top_ids": f"ids of the {TOP_K} largest logits, descending, ties to the lower id",
            "top_logits": "their logits",
            "logsumexp": "log(sum(exp(logits))) computed in float64 from the float32 row, written rounded to float32",
            "max_abs": "max |logit| of the row",
            "strided": f"logits[0::{STRIDE}] (ids 0, {STRIDE}, 2*{STRIDE}, ...; {len(range(0, V, STRIDE))} values)",
        },
        "tolerance": {"token_ids": "exact",
                      "logits_abs": "suggested: a few times noise_floor.eager_vs_sdpa_max_abs; see min_margin"},
        "noise_floor": {"eager_vs_sdpa_max_abs": f32(noise), "max_abs_logit": f32(max_abs),
                        "greedy_ids_equal": bool(same_ids),
                        "note": "max |eager - sdpa| over every full logit row summarised here (both transformers f32)"},
        "min_margin": f32(min(c["min_margin"] for c in cases)),
        "cases": [],
        "all_position_logits": {
            "case": ALL_POSITIONS_CASE,
            "prompt_ids": prompts[ap_index],
            "summaries": [summary(r) for r in la],
        },
    }
    for c in cases:
        doc["cases"].append({k: c[k] for k in ["name", "kind", "messages", "prompt_text", "prompt_ids",
                                               "greedy_ids", "greedy_text", "greedy_margins", "min_margin",
                                               "eos_positions", "sdpa_greedy_ids_equal", "step_logits"] if k in c})
    dump_json(OUT, doc)
    for c in cases:
        print(f"{c['name']:28s} prompt {len(c['prompt_ids']):4d} tokens, min margin {c['min_margin']:.4f}, "
              f"eos at {c['eos_positions'][:3]}: {c['greedy_text'][:70]!r}")
    print(f"noise floor {noise:.3g} (max |logit| {max_abs:.3g}), sdpa same ids {same_ids}; "
          f"{os.path.getsize(OUT)} bytes -> {OUT}")


if __name__ == "__main__":
    main()
