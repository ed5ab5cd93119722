"""Backbone references: transformers' LlamaForCausalLM (float32, eager attention) on the Golden models.

Writes Golden/cases/backbone/NAME.json (see Golden/README.md for every field).

- The model is loaded with dtype=torch.float32: f16/bf16 weights widen exactly to f32, and all
  arithmetic is f32 (the semantics the Swift backbone implements).
- Prompts are seeded random token ids (lengths 1..40, plus one of 80 tokens for the llama3-rope
  model so positions pass original_max_position_embeddings=64); they contain token 0 and the
  largest id. A drawn prompt is redrawn (same seeded stream) when its 64-step greedy continuation
  has a top1-top2 margin below MIN_MARGIN, so float noise cannot flip a golden token.
- Greedy decoding ignores EOS (64 new tokens always), one token at a time with a KV cache.
- noise_floor: the largest |eager - sdpa| over every logit written (both f32, transformers).
- tolerance.logits_abs: the suggested bound for an f32 backend (>= 30x the measured noise floor,
  and MIN_MARGIN > 2 * tolerance, so a backend within the bound reproduces every greedy token).
"""
import json
import os

from common import CASES, MODELS, MODEL_NAMES, dump_json, f32, f32_list, setup

import torch
import transformers
from transformers import LlamaForCausalLM

N_NEW = 64
MIN_MARGIN = 5e-3
LOGITS_ABS_TOLERANCE = 1e-3  # suggested bound for f32 backends vs these logits
REFERENCE = f"transformers {transformers.__version__} LlamaForCausalLM float32 eager"
PROMPT_LENGTHS = [1, 3, 8, 16, 29, 40]
EXTRA_LENGTHS = {"tiny-gqa-f16": [80]}
SEEDS = {"tiny-mha-f32": 2001, "tiny-gqa-f16": 2002, "tiny-bf16-bias": 2003}


def load(name, attn="eager"):
    m = LlamaForCausalLM.from_pretrained(os.path.join(MODELS, name), dtype=torch.float32,
                                         attn_implementation=attn)
    return m.eval()


@torch.no_grad()
def greedy(model, prompt, n_new=N_NEW):
    """Greedy AR decoding with a KV cache, EOS ignored. Returns last logits, ids, margins."""
    ids = torch.tensor([prompt])
    out = model(input_ids=ids, use_cache=True)
    cache = out.cache
    logits = out.logits[0, -1]
    last_logits = logits.clone()
    new_ids, margins = [], []
    for _ in range(n_new):
        top2 = torch.topk(logits, 2)
        tok = int(torch.argmax(logits))  # lowest id on ties
        new_ids.append(tok)
        margins.append(float(top2.values[0] - top2.values[1]))
        out = model(input_ids=torch.tensor([[tok]]), cache=cache, use_cache=True)
        cache = out.cache
        logits = out.logits[0, -1]
    return last_logits, new_ids, margins


@torch.no_grad()
def all_logits(model, prompt):
    return model(input_ids=torch.tensor([prompt])).logits[0]


def make_prompts(name, model):
    V = model.config.vocab_size
    g = torch.Generator().manual_seed(SEEDS[name])
    prompts = []
    lengths = PROMPT_LENGTHS + EXTRA_LENGTHS.get(name, [])
    for i, L in enumerate(lengths):
        for _attempt in range(100):
            p = torch.randint(0, V, (L,), generator=g).tolist()
            if i == 0:
                p = [0]                      # the single-token prompt is token 0
            elif i == 1:
                p[-1] = V - 1                # ends with the largest id
            elif i == 2:
                p[0], p[3] = V - 1, 0        # both, inside the prompt
            _, _, margins = greedy(model, p)
            if min(margins) >= MIN_MARGIN:
                break
        else:
            raise RuntimeError(f"{name}: no prompt of length {L} with margins >= {MIN_MARGIN}")
        prompts.append(p)
    return prompts


def make(name):
    setup(0)
    eager = load(name, "eager")
    sdpa = load(name, "sdpa")
    prompts = make_prompts(name, eager)
    cases = []
    noise = 0.0
    max_abs = 0.0
    sdpa_same_ids = True
    for p in prompts:
        last, ids, margins = greedy(eager, p)
        last_s, ids_s, _ = greedy(sdpa, p)
        noise = max(noise, float((last - last_s).abs().max()))
        max_abs = max(max_abs, float(last.abs().max()))
        sdpa_same_ids &= ids == ids_s
        cases.append({"prompt_ids": p, "last_logits": f32_list(last), "greedy_ids": ids,
                      "greedy_margins": [f32(m) for m in margins], "min_margin": f32(min(margins))})
    ap = max(prompts, key=len) if name != "tiny-gqa-f16" else [q for q in prompts if len(q) == 40][0]
    la = all_logits(eager, ap)
    la_s = all_logits(sdpa, ap)
    noise = max(noise, float((la - la_s).abs().max()))
    max_abs = max(max_abs, float(la.abs().max()))
    doc = {
        "model": name,
        "reference": REFERENCE,
        "dtype_on_disk": json.load(open(os.path.join(MODELS, name, "config.json")))["dtype"],
        "compute": "float32",
        "n_new": N_NEW,
        "ignore_eos": True,
        "min_margin_filter": MIN_MARGIN,
        "tolerance": {"token_ids": "exact", "logits_abs": LOGITS_ABS_TOLERANCE},
        "noise_floor": {
            "eager_vs_sdpa_max_abs": f32(noise),
            "max_abs_logit": f32(max_abs),
            "greedy_ids_equal": bool(sdpa_same_ids),
        },
        "min_margin": f32(min(c["min_margin"] for c in cases)),
        "cases": cases,
        "all_position_logits": {"prompt_ids": ap, "logits": f32_list(la)},
    }
    dump_json(os.path.join(CASES, "backbone", f"{name}.json"), doc)
    print(f"{name}: {len(cases)} cases, min margin {doc['min_margin']:.5f}, "
          f"noise floor {noise:.3g} (max |logit| {max_abs:.3g}), sdpa same ids {sdpa_same_ids}")
    return doc


def main():
    for name in MODEL_NAMES:
        make(name)


if __name__ == "__main__":
    main()
