"""Golden Medusa data: trees.json (buffers of every published tree, cross-checked) and the
per-model decoding traces Golden/cases/medusa/NAME.json (see Golden/README.md).

Cross-checks recorded in trees.json:
 - "medusa_repo": the sparse-tree generate_medusa_buffers of the original repository
   (FasterDecoding/Medusa, medusa/model/utils.py), loaded from $MEDUSA_REF (default
   /tmp/medusa_ref), must give identical buffers for every published tree;
 - "medusa_llm_0.1": PyPI medusa-llm==0.1 (the only release) predates sparse trees: its
   generate_medusa_buffers takes per-head top-k counts ([1, k1, k2, ...]) and builds the full
   cartesian tree. We compare it with our buffers of the same dense trees, as structures
   (same nodes by (depth, head slot path), same ancestry, same positions, same leaf paths).
"""
import importlib.util
import itertools
import json
import os
import sys

from common import CASES, MODELS, MODEL_NAMES, dump_json, f32, setup

import torch
import transformers
from transformers import LlamaForCausalLM

import medusa_reference as mr
import medusa_trees

MAX_NEW = 40
TREES = {
    "mc_sim_7b_63": medusa_trees.PUBLISHED["mc_sim_7b_63"],
    "vicuna_7b_stage2": medusa_trees.PUBLISHED["vicuna_7b_stage2"],
    "zephyr_stage2": medusa_trees.PUBLISHED["zephyr_stage2"],
    "chain_4": medusa_trees.CHAIN_4,
    "tiny_3": medusa_trees.TINY_3,
}
MODES = [
    {"name": "greedy"},
    {"name": "typical", "temperature": 0.7, "posterior_threshold": 0.09, "posterior_alpha": 0.3},
    {"name": "typical", "temperature": 1.0, "posterior_threshold": 0.09, "posterior_alpha": 0.3},
]
# "candidates" (paths x (depth+1) tokens) is 2/3 of the traces' bytes: written at every step for
# these small trees, and only at step 0 for the 63-node trees (elsewhere it is
# tree_candidates + [0] indexed by trees.json's retrieve_indices). MEDUSA_FULL_CANDIDATES=1 writes all.
FULL_CANDIDATES_TREES = ("chain_4", "tiny_3")
FULL_CANDIDATES = os.environ.get("MEDUSA_FULL_CANDIDATES") == "1"
EOS_SEEDS = {"tiny-mha-f32": 4001, "tiny-gqa-f16": 4002, "tiny-bf16-bias": 4003}
DENSE_TREES = [[1, 3], [1, 3, 2], [1, 2, 2, 2], [1, 4, 3, 2], [1, 10], [1, 5, 4, 3, 2]]


# --------------------------------------------------------------------------------------------
# trees.json
# --------------------------------------------------------------------------------------------

def _load_repo_utils():
    root = os.environ.get("MEDUSA_REF", "/tmp/medusa_ref")
    path = os.path.join(root, "medusa", "model", "utils.py")
    if not os.path.exists(path):
        return None, path
    spec = importlib.util.spec_from_file_location("medusa_repo_utils", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m, path


def check_repo(ours, name, choices, repo):
    b = repo.generate_medusa_buffers([list(c) for c in choices], device="cpu")
    same = (b["medusa_attn_mask"][0, 0].long().tolist() == ours["attn_mask"]
            and b["tree_indices"].tolist() == ours["tree_indices"]
            and b["medusa_position_ids"].tolist() == ours["position_ids"]
            and b["retrieve_indices"].tolist() == ours["retrieve_indices"])
    if not same:
        raise AssertionError(f"{name}: buffers differ from the original repository's")
    return same


def check_dense(dense):
    """Our buffers of the cartesian tree vs medusa-llm 0.1's dense buffers, as structures."""
    from medusa.model.utils import generate_medusa_buffers as dense_buffers
    d = dense_buffers(dense, device="cpu")
    tops = dense[1:]
    sparse = [list(p) for depth in range(1, len(tops) + 1)
              for p in itertools.product(*[range(t) for t in tops[:depth]])]
    ours = mr.generate_medusa_buffers(sparse)
    index = {tuple(p): i + 1 for i, p in enumerate(ours["sorted_choices"])}
    cum = [0] + list(itertools.accumulate(dense))
    mask = d["medusa_attn_mask"][0, 0].long()
    tree_idx = d["tree_indices"].tolist()
    pos = d["medusa_position_ids"].tolist()
    n = len(tree_idx)
    # each dense node -> its slot path (ancestors from the mask, slots from tree_indices)
    level = pos
    paths = []
    for i in range(n):
        if level[i] == 0:
            paths.append(())
            continue
        anc = sorted([j for j in range(n) if mask[i, j] and j != i and level[j] > 0],
                     key=lambda j: level[j]) + [i]
        paths.append(tuple(tree_idx[j] - cum[level[j]] for j in anc))
    perm = [0 if p == () else index[p] for p in paths]   # dense node -> our node
    assert sorted(perm) == list(range(n)) and len(ours["tree_indices"]) == n
    for i in range(n):
        p = paths[i]
        assert ours["position_ids"][perm[i]] == pos[i] == len(p)
        if p:
            assert ours["tree_indices"][perm[i]] == 1 + mr.TOPK * (len(p) - 1) + p[-1]
        for j in range(n):
            assert ours["attn_mask"][perm[i]][perm[j]] == int(mask[i, j])
    rows_dense = sorted(tuple(perm[j] for j in r) for r in d["retrieve_indices"].tolist())
    rows_ours = sorted(tuple(r) for r in ours["retrieve_indices"])
    assert rows_dense == rows_ours, (rows_dense[:3], rows_ours[:3])
    return {"dense": dense, "nodes": n, "paths": len(rows_ours), "agree": True}


def make_trees():
    repo, repo_path = _load_repo_utils()
    trees = {}
    for name, choices in medusa_trees.PUBLISHED.items():
        b = mr.generate_medusa_buffers(choices, num_heads=4)
        entry = {"choices": [list(c) for c in choices], **b}
        entry["num_nodes"] = len(b["tree_indices"])
        entry["num_paths"] = len(b["retrieve_indices"])
        entry["depth"] = max(len(c) for c in choices)
        if repo is not None:
            check_repo(b, name, choices, repo)
        trees[name] = entry
    for name in ("chain_4", "tiny_3"):
        choices = TREES[name]
        b = mr.generate_medusa_buffers(choices, num_heads=4)
        trees[name] = {"choices": choices, **b, "num_nodes": len(b["tree_indices"]),
                       "num_paths": len(b["retrieve_indices"]),
                       "depth": max(len(c) for c in choices)}
        if repo is not None:
            check_repo(b, name, choices, repo)
    try:
        dense = [check_dense(t) for t in DENSE_TREES]
        dense_note = "agree"
    except ImportError:
        dense = []
        dense_note = "skipped: medusa-llm==0.1 not installed"
    doc = {
        "topk": mr.TOPK,
        "generator": "Golden/tools/medusa_reference.py generate_medusa_buffers",
        "cross_check": {
            "medusa_repo": {
                "source": "FasterDecoding/Medusa medusa/model/utils.py generate_medusa_buffers (sparse trees)",
                "result": "identical buffers for every tree in this file" if repo is not None
                else f"skipped: {repo_path} not found",
            },
            "medusa_llm_0.1": {
                "source": "PyPI medusa-llm==0.1 medusa.model.utils.generate_medusa_buffers "
                          "(dense trees only: per-head top-k counts)",
                "result": dense_note,
                "trees": dense,
            },
        },
        "trees": trees,
    }
    dump_json(os.path.join(CASES, "medusa", "trees.json"), doc)
    print(f"trees.json: {len(trees)} trees; repo check: {repo is not None}; dense check: {dense_note}")
    return trees


# --------------------------------------------------------------------------------------------
# traces
# --------------------------------------------------------------------------------------------

def load_all(name):
    model = LlamaForCausalLM.from_pretrained(os.path.join(MODELS, name), dtype=torch.float32,
                                             attn_implementation="eager").eval()
    mcfg = json.load(open(os.path.join(MODELS, name, "medusa", "config.json")))
    heads = mr.MedusaHeads(os.path.join(MODELS, name, "medusa", "medusa_lm_head.safetensors"),
                           mcfg["medusa_num_heads"], mcfg["medusa_num_layers"])
    eos = model.config.eos_token_id
    eos = list(eos) if isinstance(eos, (list, tuple)) else [eos]
    return model, heads, eos


@torch.no_grad()
def find_eos_prompt(model, eos, seed, min_margin=5e-3, tries=16, batch=256):
    """A seeded random prompt whose greedy continuation emits an EOS at new-token index 4..31
    (so the EOS-stop rule is exercised mid-generation) with every top1-top2 margin >= min_margin.
    Batched greedy search; returns (prompt, index of the EOS) or (None, None)."""
    V = model.config.vocab_size
    g = torch.Generator().manual_seed(seed)
    for _ in range(tries):
        L = int(torch.randint(2, 25, (1,), generator=g))
        ids = torch.randint(0, V, (batch, L), generator=g)
        out = model(input_ids=ids, use_cache=True)
        cache, lg = out.cache, out.logits[:, -1]
        toks, margins = [], []
        for _ in range(MAX_NEW):
            t2 = lg.topk(2).values
            margins.append(t2[:, 0] - t2[:, 1])
            nxt = lg.argmax(-1)[:, None]
            toks.append(nxt)
            out = model(input_ids=nxt, cache=cache, use_cache=True)
            cache, lg = out.cache, out.logits[:, -1]
        toks = torch.cat(toks, 1)
        margins = torch.stack(margins, 1).min(1).values
        for r in range(batch):
            row = toks[r].tolist()
            first = next((i for i, t in enumerate(row) if t in eos), None)
            if first is not None and 4 <= first <= 31 and float(margins[r]) >= min_margin:
                return ids[r].tolist(), first
    return None, None


def mode_doc(mode):
    return {k: (f32(v) if isinstance(v, float) else v) for k, v in mode.items()}


def make_traces(name, trees, log=print):
    setup(0)
    model, heads, eos = load_all(name)
    prompts = [c["prompt_ids"] for c in
               json.load(open(os.path.join(CASES, "backbone", f"{name}.json")))["cases"]]
    eos_prompt, eos_at = find_eos_prompt(model, eos, EOS_SEEDS[name])
    if eos_prompt is not None:
        prompts.append(eos_prompt)
        log(f"{name}: EOS prompt (length {len(eos_prompt)}), greedy EOS at new token {eos_at}")
    else:
        log(f"{name}: no EOS prompt found")
    cases, summary = [], {}
    ar = [mr.ar_greedy(model, p, MAX_NEW) for p in prompts]
    ar_eos = [mr.ar_greedy(model, p, MAX_NEW, eos, ignore_eos=False) for p in prompts]
    for tree_name, choices in TREES.items():
        buffers = mr.generate_medusa_buffers(choices, num_heads=heads.num_heads)
        for mode in MODES:
            accepts, n_tokens, n_steps = [], 0, 0
            for pi, p in enumerate(prompts):
                out, steps = mr.medusa_generate(model, heads, p, buffers, mode, MAX_NEW, eos,
                                                ignore_eos=True)
                cut = next((i + 1 for i, t in enumerate(out) if t in eos), len(out))
                if cut < len(out):
                    out_eos, steps_eos = mr.medusa_generate(model, heads, p, buffers, mode,
                                                            MAX_NEW, eos, ignore_eos=False)
                    # the EOS-stopped run is the ignore_eos run cut at the first EOS
                    assert out_eos == out[:cut], (name, tree_name, mode, p)
                    assert steps_eos[:-1] == steps[:len(steps_eos) - 1]
                else:
                    out_eos, steps_eos = out, steps
                if mode["name"] == "greedy":
                    assert out == ar[pi], f"{name} {tree_name}: Medusa greedy != AR greedy"
                    assert out_eos == ar_eos[pi]
                for i, s in enumerate(steps):
                    s["best_path"] = s["candidates"][s["best_candidate"]]
                    if i > 0 and tree_name not in FULL_CANDIDATES_TREES and not FULL_CANDIDATES:
                        del s["candidates"]  # size: derivable from tree_candidates + trees.json
                    s["head_topk_gaps"] = [f32(g) for g in s["head_topk_gaps"]]
                    s["base_margin"] = f32(s["base_margin"])
                    s["decision_gap"] = f32(s["decision_gap"])
                accepts += [s["accept_length"] for s in steps]
                n_tokens += len(out)
                n_steps += len(steps)
                cases.append({
                    "prompt_ids": p,
                    "tree": tree_name,
                    "mode": mode_doc(mode),
                    "max_new_tokens": MAX_NEW,
                    "ignore_eos": True,
                    "output_ids": out,
                    "eos_stop": {"output_ids": out_eos, "num_steps": len(steps_eos)},
                    "min_gaps": {
                        "base_margin": min(s["base_margin"] for s in steps),
                        "head_topk_gap": min(min(s["head_topk_gaps"]) for s in steps),
                        "decision_gap": min(s["decision_gap"] for s in steps),
                    },
                    "steps": steps,
                })
            key = f"{tree_name}/{mode['name']}" + (f"@{mode['temperature']}" if "temperature" in mode else "")
            summary[key] = {"mean_accept_length": f32(sum(accepts) / len(accepts)),
                            "tokens_per_step": f32(n_tokens / n_steps), "steps": n_steps}
            log(f"{name} {key}: mean accept {sum(accepts) / len(accepts):.3f}, "
                f"tokens/step {n_tokens / n_steps:.3f}")
    doc = {
        "model": name,
        "heads": f"Golden/models/{name}/medusa",
        "reference": f"Golden/tools/medusa_reference.py on transformers {transformers.__version__} "
                     "LlamaForCausalLM float32 eager, 4D tree attention mask",
        "eos_token_ids": eos,
        "topk": mr.TOPK,
        "summary": summary,
        "ar_greedy_agreement": "asserted: every greedy case's output_ids (and eos_stop output) "
                               "equal AR greedy decoding",
        "cases": cases,
    }
    dump_json(os.path.join(CASES, "medusa", f"{name}.json"), doc)
    return summary


def main(names=None):
    trees = make_trees()
    for name in names or MODEL_NAMES:
        make_traces(name, trees)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
