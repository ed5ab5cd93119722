"""Golden sampling traces: autoregressive sampling and lossless Medusa sampling, replayed token
for token from the same seeds by an independent Python re-implementation on transformers'
LlamaForCausalLM (float32) with the Golden heads. Writes Golden/cases/sampling/NAME.json.

    .venv/bin/python Golden/tools/make_sampling_refs.py            # tiny-mha-f32, tiny-gqa-f16 (~1 min)
    .venv/bin/python Golden/tools/make_sampling_refs.py tiny-mha-f32

The rules re-implemented here are the ones Docs/CONFORMANCE.md ("Sampling: random numbers")
documents and Swift implements (Sources/Medusa/LogitsProcessing.swift, SamplingDecisions.swift,
LosslessTreeSampling.swift):

- processing in float64: x = logit / T; top-k keeps x >= k-th largest; w = exp(x - max x);
  top-p removes, in ascending (w, then descending id) order, tokens while the running sum of w is
  <= (1 - top_p) * sum(w), never the last; min-p removes w < min_p * max(w);
- SplitMix64, u = (next >> 11) * 2**-53, one u per decision;
- draw: first id whose running sum of w (ascending ids) exceeds u * sum(w);
- accept a draft: u * total < w[draft], total the residual's sum in ascending id order;
- lossless Medusa: each step draws its root from the previous step's last node's distribution
  with the drafts rejected there removed; then walks the tree from the root, trying children in
  node order, removing each rejected draft from the residual; the walk stops at a node whose
  children all fail, at a leaf, or when the accepted drafts fill the remaining token budget
  (max_new_tokens - emitted - 1).

Our logits differ from transformers' by ~1e-5 (float32 summation order), so a decision whose
margin is below that noise could go either way. Every case records `min_margin`, the smallest
distance of any decision from its boundary: |u * total - boundary| / total for draws and
accepts, the logit gap between the k-th and (k+1)-th token for top-k, |running - budget| / total
for top-p, |w - cut| / cut for min-p. A seed whose margin is below MIN_MARGIN is skipped for the
next one (seed + 1000, up to 50 tries), so the traces replay exactly on a correct float32
backend.
"""
import json
import math
import os
import sys

from common import CASES, MODELS, setup

import torch
from transformers import LlamaForCausalLM

import medusa_reference as mr
import medusa_trees

MAX_NEW = 32
MIN_MARGIN = 1e-4
TREES = {
    "mc_sim_7b_63": medusa_trees.PUBLISHED["mc_sim_7b_63"],
    "vicuna_7b_stage2": medusa_trees.PUBLISHED["vicuna_7b_stage2"],
    "chain_4": medusa_trees.CHAIN_4,
    "tiny_3": medusa_trees.TINY_3,
}
PROCESSORS = [
    {"temperature": 0.7, "top_k": 0, "top_p": 1.0, "min_p": 0.0},
    {"temperature": 1.0, "top_k": 0, "top_p": 1.0, "min_p": 0.0},
    {"temperature": 1.0, "top_k": 20, "top_p": 0.9, "min_p": 0.0},
    {"temperature": 1.3, "top_k": 0, "top_p": 1.0, "min_p": 0.05},
]
SEEDS = [7, 1234, 42, 2024]
PROMPTS = 2
MODELS_TRACED = ["tiny-mha-f32", "tiny-gqa-f16"]


class SplitMix64:
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53


def seqsum(values):
    """Left-to-right float64 sum (Python >= 3.12's sum() compensates; Swift's reduce does not)."""
    total = 0.0
    for v in values:
        total += v
    return total


def process(logits, p, margins):
    """Processed unnormalised weights of a float32 logit row (a list of Python floats)."""
    t = p["temperature"]
    x = [v / t for v in logits]
    k = p["top_k"]
    if 0 < k < len(x):
        ranked = sorted(x, reverse=True)
        threshold = ranked[k - 1]
        margins.append((ranked[k - 1] - ranked[k]) * t)
        x = [v if v >= threshold else -math.inf for v in x]
    top = max(x)
    w = [0.0 if v == -math.inf else math.exp(v - top) for v in x]
    if p["top_p"] < 1:
        total = seqsum(w)
        budget = (1 - p["top_p"]) * total
        order = sorted((i for i in range(len(w)) if w[i] > 0), key=lambda i: (w[i], -i))
        running = 0.0
        for i in order[:-1]:
            running += w[i]
            margins.append(abs(running - budget) / total)
            if running > budget:
                break
            w[i] = 0.0
    if p["min_p"] > 0:
        cut = p["min_p"] * max(w)
        margins.append(min(abs(v - cut) for v in w if v > 0) / cut)
        w = [0.0 if v < cut else v for v in w]
    return w


def draw(w, u, margins):
    total = seqsum(w)
    target = u * total
    running = 0.0
    last = 0
    for token, weight in enumerate(w):
        if weight <= 0:
            continue
        low = running
        running += weight
        last = token
        if running > target:
            margins.append(min(target - low, running - target) / total)
            return token
    return last


@torch.no_grad()
def ar_sample(model, prompt, p, seed, margins):
    rng = SplitMix64(seed)
    logits, _, cache = mr.backbone(model, prompt, None)
    row = logits[-1]
    out, uniforms = [], []
    while len(out) < MAX_NEW:
        u = rng.unit()
        uniforms.append(u)
        token = draw(process(row.tolist(), p, margins), u, margins)
        out.append(token)
        if len(out) == MAX_NEW:
            break
        logits, _, cache = mr.backbone(model, [token], cache)
        row = logits[-1]
    return out, uniforms


@torch.no_grad()
def medusa_sample(model, heads, prompt, buffers, p, seed, margins):
    rng = SplitMix64(seed)
    index = {tuple(c): i + 1 for i, c in enumerate(buffers["sorted_choices"])}
    parents = [-1] + [index[tuple(c[:-1])] if len(c) > 1 else 0 for c in buffers["sorted_choices"]]
    children = [[n for n in range(len(parents)) if parents[n] == node] for node in range(len(parents))]
    depth = buffers["position_ids"]
    retrieve = buffers["retrieve_indices"]
    logits, hidden, cache = mr.backbone(model, prompt, None)
    base, head_logits = logits[-1], heads(hidden[-1])
    out, steps, excluded = [], [], []
    while len(out) < MAX_NEW:
        L = len(prompt) + len(out)
        w = process(base.tolist(), p, margins)
        for token in excluded:
            w[token] = 0.0
        u = rng.unit()
        root = draw(w, u, margins)
        root_draw = {"token": root, "excluded": excluded, "uniform": u}
        flat = [root]
        for k in range(head_logits.shape[0]):
            flat += mr.topk_lowest_id(head_logits[k], mr.TOPK).tolist()
        tree = [flat[i] for i in buffers["tree_indices"]]
        pos = [L + d for d in depth]
        t_logits, t_hidden, cache = mr.backbone(model, tree, cache, pos, mr.tree_mask(buffers, L))
        node, accepted, trials, excluded = 0, 0, [], []
        budget = MAX_NEW - len(out) - 1
        while accepted < budget and children[node]:
            residual = process(t_logits[node].tolist(), p, margins)
            rejected, nxt = [], None
            for child in children[node]:
                token = tree[child]
                weight = residual[token]
                total = seqsum(residual)
                u = rng.unit()
                ok = u * total < weight
                if 0 < weight < total:
                    margins.append(abs(u * total - weight) / total)
                trials.append({"node": child, "token": token, "probability": weight / total,
                               "uniform": u, "accepted": ok})
                if ok:
                    nxt = child
                    break
                rejected.append(token)
                residual[token] = 0.0
            if nxt is None:
                excluded = rejected
                break
            node, accepted = nxt, accepted + 1
        row = next(r for r, ri in enumerate(retrieve) if ri[depth[node]] == node)
        path = retrieve[row][:depth[node] + 1]
        chunk = [tree[n] for n in path][:MAX_NEW - len(out)]
        out += chunk
        steps.append({"root_draw": root_draw, "trials": trials, "best_candidate": row,
                      "accept_length": depth[node], "tokens": chunk})
        if len(out) >= MAX_NEW:
            break
        mr.keep_cache_rows(cache, list(range(L)) + [L + n for n in path])
        base, head_logits = t_logits[node], heads(t_hidden[node])
    return out, steps


def seeded(run, seed):
    """run(seed, margins) with the first seed (seed, seed + 1000, ...) whose margin is safe."""
    for attempt in range(50):
        margins = []
        s = seed + 1000 * attempt
        result = run(s, margins)
        margin = min(margins) if margins else math.inf
        if margin >= MIN_MARGIN:
            return s, result, margin
    raise RuntimeError(f"no seed from {seed} with margin >= {MIN_MARGIN}")


def make(name, log=print):
    setup(0)
    model = LlamaForCausalLM.from_pretrained(os.path.join(MODELS, name), dtype=torch.float32,
                                             attn_implementation="eager").eval()
    mcfg = json.load(open(os.path.join(MODELS, name, "medusa", "config.json")))
    heads = mr.MedusaHeads(os.path.join(MODELS, name, "medusa", "medusa_lm_head.safetensors"),
                           mcfg["medusa_num_heads"], mcfg["medusa_num_layers"])
    prompts = [c["prompt_ids"] for c in
               json.load(open(os.path.join(CASES, "backbone", f"{name}.json")))["cases"]][:PROMPTS]
    cases = []
    for pi, prompt in enumerate(prompts):
        for j, p in enumerate(PROCESSORS):
            tag = "T{temperature}-k{top_k}-p{top_p}-m{min_p}".format(**p)
            for seed in [SEEDS[(pi + j) % len(SEEDS)]]:
                s, (out, uniforms), margin = seeded(
                    lambda s, m: ar_sample(model, prompt, p, s, m), seed)
                cases.append({"id": f"ar/p{pi}/{tag}/s{s}", "decoder": "ar", "prompt_ids": prompt,
                              "sampling": dict(p, seed=s), "output_ids": out,
                              "uniforms": uniforms, "min_margin": margin})
                for tree_name, choices in TREES.items():
                    buffers = mr.generate_medusa_buffers(choices, num_heads=heads.num_heads)
                    s, (out, steps), margin = seeded(
                        lambda s, m: medusa_sample(model, heads, prompt, buffers, p, s, m), seed)
                    cases.append({"id": f"medusa/{tree_name}/p{pi}/{tag}/s{s}", "decoder": "medusa",
                                  "tree": tree_name, "prompt_ids": prompt,
                                  "sampling": dict(p, seed=s), "output_ids": out, "steps": steps,
                                  "min_margin": margin})
        log(f"{name}: prompt {pi}: {len(cases)} cases")
    doc = {
        "format": "medusa-sampling-traces", "format_version": 1,
        "generator": "Golden/tools/make_sampling_refs.py (transformers float32, Python re-implementation)",
        "model": name, "max_new_tokens": MAX_NEW, "stop_token_ids": [], "topk": mr.TOPK,
        "generator_rule": "SplitMix64(seed); u = (next >> 11) * 2^-53; one u per decision",
        "min_margin_required": MIN_MARGIN,
        "trees": TREES,
        "cases": cases,
    }
    path = os.path.join(CASES, "sampling", f"{name}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("{\n")
        items = list(doc.items())
        for i, (key, value) in enumerate(items):
            if key == "cases":
                f.write(f'"cases": [\n')
                f.write(",\n".join(json.dumps(c, sort_keys=True) for c in value))
                f.write("\n]")
            else:
                f.write(f"{json.dumps(key)}: {json.dumps(value)}")
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write("}\n")
    log(f"wrote {path}")


def main(names):
    for name in names or MODELS_TRACED:
        make(name)


if __name__ == "__main__":
    main(sys.argv[1:])
