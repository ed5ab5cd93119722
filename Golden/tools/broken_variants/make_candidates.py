"""Deliberately broken Medusa variants, to prove `medusa conformance check` catches real bugs
and names them (Docs/CONFORMANCE.md, "Broken variants").

Each variant is the Python re-implementation of Golden/tools/medusa_reference.py (transformers'
LlamaForCausalLM in float32, the Golden heads) with ONE classic bug injected:

  no_tree_mask        tree nodes attend causally to every earlier node (siblings included)
  wrong_position_ids  tree positions without the cache offset (node n at depth(n), not L + depth)
  stale_kv            after acceptance the cache keeps the first accept+1 tree rows in node order
                      instead of the accepted path's rows
  stale_head_logits   the next step's heads run on the root node's hidden state instead of the
                      last accepted node's
  off_by_one_retrieve the accepted prefix is read one column too far: one unverified token is
                      appended (and its KV row kept, and its logits used as the next base)

plus `correct_noise`: the correct algorithm, every reported logit perturbed by N(0, 1e-6).

Input: a reference file written by `medusa conformance emit` (prompts, trees, stop rule).
Output: one candidate file per variant in Golden/cases/conformance/candidate-VARIANT.json, with
output ids and per-step traces (node_top1 included); correct_noise also reports logits.

Run:  /path/to/python Golden/tools/broken_variants/make_candidates.py \
          Golden/cases/conformance/reference-tiny-mha-f32.json
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import GOLDEN, setup  # noqa: E402

import torch  # noqa: E402
from transformers import LlamaForCausalLM  # noqa: E402

import medusa_reference as mr  # noqa: E402

VARIANTS = ["correct_noise", "no_tree_mask", "wrong_position_ids", "stale_kv",
            "stale_head_logits", "off_by_one_retrieve"]
NOISE = 1e-6


def causal_tree_mask(n, prefix_len):
    """The bug: a plain causal mask over the tree tokens (each node sees all earlier nodes)."""
    m = torch.full((1, 1, n, prefix_len + n), float("-inf"))
    m[..., :prefix_len] = 0.0
    m[0, 0, :, prefix_len:] = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
    return m


@torch.no_grad()
def generate(model, heads, prompt, buffers, max_new, stop_ids, variant, generator):
    """Greedy Medusa decoding with `variant`'s bug; returns (output ids, steps, logits rows)."""
    logits, hidden, cache = mr.backbone(model, prompt, None)
    base_logits, head_logits = logits[-1], heads(hidden[-1])
    retrieve = buffers["retrieve_indices"]
    width = len(retrieve[0])
    ridx = torch.tensor(retrieve)
    n = len(buffers["tree_indices"])
    out, steps, rows = [], [], []
    while True:
        L = len(prompt) + len(out)
        _, tree, cart = mr.generate_candidates(base_logits, head_logits, buffers)
        if variant == "wrong_position_ids":
            pos = list(buffers["position_ids"])
        else:
            pos = [L + d for d in buffers["position_ids"]]
        mask = causal_tree_mask(n, L) if variant == "no_tree_mask" else mr.tree_mask(buffers, L)
        t_logits, t_hidden, cache = mr.backbone(model, tree, cache, pos, mask)
        best, accept, _ = mr.evaluate_posterior(t_logits[ridx], cart, retrieve, {"name": "greedy"})
        if (variant == "off_by_one_retrieve" and accept + 1 < width
                and retrieve[best][accept + 1] != -1):
            accept += 1
        nodes = [retrieve[best][j] for j in range(accept + 1)]
        verifying = [base_logits] + [t_logits[i] for i in nodes[:-1]]
        appended, done = [], False
        for tok, row in zip(cart[best][:accept + 1], verifying):
            appended.append(tok)
            out.append(tok)
            noisy = row + NOISE * torch.randn(row.shape, generator=generator)
            rows.append([float(v) for v in noisy])
            if tok in stop_ids or len(out) >= max_new:
                done = True
                break
        steps.append({
            "tree_candidates": tree, "candidates": cart, "best_candidate": best,
            "accept_length": accept, "tokens": appended,
            "node_top1": [int(i) for i in t_logits.argmax(-1)],
        })
        if done:
            return out, steps, rows
        if variant == "stale_kv":
            keep = list(range(L)) + [L + i for i in range(accept + 1)]
        else:
            keep = list(range(L)) + [L + i for i in nodes]
        mr.keep_cache_rows(cache, keep)
        last = nodes[-1]
        base_logits = t_logits[last]
        head_logits = heads(t_hidden[0] if variant == "stale_head_logits" else t_hidden[last])


def main(reference_path):
    setup(0)
    reference = json.load(open(reference_path))
    root = os.path.dirname(GOLDEN)
    model_dir = os.path.join(root, reference["model"]["path"])
    model = LlamaForCausalLM.from_pretrained(model_dir, dtype=torch.float32,
                                             attn_implementation="eager").eval()
    heads_dir = os.path.join(root, reference["heads"]["path"])
    heads = mr.MedusaHeads(os.path.join(heads_dir, "medusa_lm_head.safetensors"),
                           reference["heads"]["head_count"], reference["heads"]["layer_count"])
    trees = {t["name"]: mr.generate_medusa_buffers(t["choices"]) for t in reference["trees"]}
    stop_ids = set(reference["stop"]["stop_token_ids"])
    max_new = reference["stop"]["max_new_tokens"]
    out_dir = os.path.dirname(os.path.abspath(reference_path))
    for variant in VARIANTS:
        generator = torch.Generator().manual_seed(0)
        cases = []
        for case in reference["cases"]:
            ids, steps, rows = generate(model, heads, case["prompt_ids"], trees[case["tree"]],
                                        max_new, stop_ids, variant, generator)
            entry = {"id": case["id"], "output_ids": ids, "steps": steps}
            if variant == "correct_noise" and case["tree"] == reference["trees"][0]["name"]:
                entry["logits"] = rows
            cases.append(entry)
        doc = {"format": "medusa-conformance-candidate", "format_version": 1,
               "backend": f"Golden/tools/broken_variants/make_candidates.py {variant}",
               "cases": cases}
        path = os.path.join(out_dir, f"candidate-{variant}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
        same = sum(c["output_ids"] == r["medusa_output_ids"]
                   for c, r in zip(cases, reference["cases"]))
        print(f"{variant}: {same}/{len(cases)} cases with reference output ids -> {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         os.path.join(GOLDEN, "cases", "conformance", "reference-tiny-mha-f32.json"))
