#!/usr/bin/env python3
"""Golden data for the Medusa tree and verification code, from the original implementation.

Writes Golden/cases/trees/buffers.json, posterior.json and sampling.json.

Independent references (nothing here is a re-implementation of the algorithm under test):
  * generate_medusa_buffers, generate_candidates and the published trees come from a checkout
    of the original repository, FasterDecoding/Medusa (pyproject version 1.0, snapshot of
    2024-04-18), files medusa/model/utils.py and medusa/model/medusa_choices.py, loaded by path.
    The PyPI package medusa-llm==0.1 is too old for these: its generate_medusa_buffers takes
    per-head top-k counts (a dense cartesian tree), not sparse index paths.
  * evaluate_posterior comes from PyPI medusa-llm==0.1 (greedy, and typical acceptance, which
    0.1 implements exactly as the newest source's `fast=True` path); the tool asserts that the
    newest source's evaluate_posterior(..., sampling='typical', fast=True) returns the same.

Verdicts are computed in float64 from logits that are exact float32 values (multiples of 2**-12,
or of 2**-20 for the near-threshold cases), so a float32 reader gets the same numbers.

Each posterior case records the original's verdict ("original") and the verdict with this
project's one deviation ("expected"): a pad position (retrieve index -1, candidate token 0) is
never accepted. "expected" is the original evaluate_posterior run on logits where token 0 is
masked to -inf at the columns that judge a pad; "pad_accepted_by_original" flags the cases
where the two differ.

sampling.json is not from the original (its torch.multinomial draws cannot be replayed outside
torch): it is this project's documented seeded sampling (SplitMix64, u = (next >> 11) * 2**-53,
first token whose running weight sum exceeds u * total), implemented here independently of the
Swift code, over the original's truncation rules (get_typical_posterior_mask: remove p <
threshold; get_nucleus_posterior_mask: remove tokens once the sorted cumulative probability
before them exceeds top_p) and its acceptance rule (candidate == draw, first longest row).

Formats (one JSON object per case in "cases"):
  buffers.json: name, choices (the input paths, in input order), attn_mask (node x node,
    0/1; the name trees.json uses too), tree_indices, position_ids, retrieve_indices (rows padded with -1), exactly as
    generate_medusa_buffers returns them.
  posterior.json: id, tree, choices, heads, seed, temperature (0 = greedy), posterior_threshold,
    posterior_alpha, base_token, head_topk (heads x 10), tree_candidates and candidates (from
    the original generate_candidates), node_logits (node x vocab; the per-path logits are
    node_logits[retrieve_indices], -1 reading the last node), original, expected
    ({best_candidate, accept_length}), pad_accepted_by_original.
  sampling.json: posterior_case (id of the posterior.json case whose tree, candidates and
    logits are used), mode ("typical" or "nucleus"), temperature, posterior_threshold,
    posterior_alpha, top_p, seed, samples (rows x max depth, one draw per row and column in
    row-major order, pads included), verdict, next_token (one more draw with the same generator
    from the logits of node retrieve_indices[best][accept_length], as the next step's base token).

Usage (torch installed; medusa-llm installed with --no-deps):
  python Golden/tools/medusa_original_reference.py --medusa-src /path/to/Medusa
"""

import argparse
import importlib.util
import json
import math
import pathlib

import numpy as np
import torch

from medusa.model import utils as medusa_llm_utils  # PyPI medusa-llm==0.1

PUBLISHED = [
    "mc_sim_7b_63", "vicuna_7b_stage1", "vicuna_7b_stage2", "vicuna_7b_stage1_ablation",
    "vicuna_13b_stage1", "vicuna_13b_stage2", "vicuna_33b_stage1", "vicuna_33b_stage2",
    "zephyr_stage2",
]
EXTRA_TREES = {
    "chain_3": [[0], [0, 0], [0, 0, 0]],
    "tiny_3": [[0], [1], [0, 0]],
    "unsorted_branching": [[1], [0, 1], [0], [1, 3], [0, 1, 2], [2], [0, 0], [1, 3, 9]],
}
VOCAB = 16
FAST_GRID = 2.0 ** -12
FINE_GRID = 2.0 ** -20


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trees(src):
    choices = load(src / "medusa/model/medusa_choices.py", "medusa_src_choices")
    out = {name: [list(p) for p in getattr(choices, name)] for name in PUBLISHED}
    out.update(EXTRA_TREES)
    return out


def buffers_case(utils, name, paths):
    b = utils.generate_medusa_buffers(paths, device="cpu")
    return {
        "name": name,
        "choices": paths,
        "attn_mask": b["medusa_attn_mask"][0, 0].to(torch.long).tolist(),
        "tree_indices": b["tree_indices"].tolist(),
        "position_ids": b["medusa_position_ids"].tolist(),
        "retrieve_indices": b["retrieve_indices"].tolist(),
    }


def quantize(x, grid):
    return np.clip(np.round(np.asarray(x) / grid) * grid, -15.0, 15.0)


def verdict(utils, logits, candidates, temperature, threshold, alpha, newest=None):
    t = logits.to(torch.float64)
    c = torch.tensor(candidates, dtype=torch.long)
    best, length = utils.evaluate_posterior(t, c, temperature, threshold, alpha)
    result = {"best_candidate": int(best), "accept_length": int(length)}
    if newest is not None:
        nb, nl = newest.evaluate_posterior(
            t, c, temperature, threshold, alpha, sampling="typical", fast=True)
        assert (int(nb), int(nl)) == (result["best_candidate"], result["accept_length"])
    return result


def typical_margin(row, token, temperature, threshold, alpha):
    x = np.asarray(row, dtype=np.float64) / temperature
    p = np.exp(x - x.max())
    p /= p.sum()
    h = -np.sum(p * np.log(p + 1e-5))
    return p[token] - min(threshold, alpha * math.exp(-h))


def near_threshold(row, token, temperature, threshold, alpha, side):
    """Moves logit `token` to just above (side=+1) or below (-1) the acceptance threshold."""
    lo, hi = -15.0, 15.0
    for _ in range(200):
        mid = (lo + hi) / 2
        row[token] = mid
        if typical_margin(row, token, temperature, threshold, alpha) > 0:
            hi = mid
        else:
            lo = mid
    row[token] = quantize(hi if side > 0 else lo, FINE_GRID) + side * 2 * FINE_GRID
    assert (typical_margin(row, token, temperature, threshold, alpha) > 0) == (side > 0)


def posterior_case(src_utils, case_id, tree_name, paths, heads, temperature, seed, rng):
    threshold, alpha = 0.09, 0.3
    b = src_utils.generate_medusa_buffers(paths, device="cpu")
    tree_indices, retrieve = b["tree_indices"], b["retrieve_indices"]
    n = len(tree_indices)
    base = int(rng.integers(VOCAB))
    head_topk = [rng.permutation(VOCAB)[:10].tolist() for _ in range(heads)]
    # Logits whose argmax/top-k are the chosen tokens, through the original generate_candidates.
    logits = torch.zeros(1, 1, VOCAB)
    logits[0, 0, base] = 1.0
    medusa_logits = torch.zeros(heads, 1, 1, VOCAB)
    for k, row in enumerate(head_topk):
        for rank, token in enumerate(row):
            medusa_logits[k, 0, 0, token] = float(20 - rank)
    cart, tree_candidates = src_utils.generate_candidates(
        medusa_logits, logits, tree_indices, retrieve, temperature=0)
    tree_tokens = tree_candidates[0].tolist()

    sorted_paths = sorted(paths, key=lambda x: (len(x), x))
    node_of = {tuple(p): i + 1 for i, p in enumerate(sorted_paths)}
    children = {i: [] for i in range(n)}
    for p in sorted_paths:
        children[node_of[tuple(p[:-1])] if len(p) > 1 else 0].append(node_of[tuple(p)])
    max_depth = max(len(p) for p in paths)

    node_logits = quantize(rng.normal(0.0, 2.0, (n, VOCAB)), FAST_GRID)
    for node in range(n):
        row = node_logits[node]
        kids = children[node]
        depth = len(sorted_paths[node - 1]) if node else 0
        if kids and rng.random() < 0.8:
            chosen = kids[int(rng.integers(min(len(kids), 3)))]
            token = tree_tokens[chosen]
            others = np.delete(row, token).max()
            mode = rng.random()
            if temperature == 0 and mode < 0.25:
                row[token] = others  # exact tie: the lowest id wins the argmax
            elif temperature == 0 and mode < 0.4:
                row[token] = others - FAST_GRID  # near tie, just below
            elif temperature > 0 and mode < 0.3:
                near_threshold(row, token, temperature, threshold, alpha, 1 if mode < 0.15 else -1)
            elif temperature > 0 and mode < 0.45 and len(kids) > 1:
                # two siblings with (nearly) equal logits: a likelihood tie or near-tie
                sibling = tree_tokens[[k for k in kids if k != chosen][0]]
                row[token] = others + 1.0
                row[sibling] = row[token] - (0.0 if mode < 0.38 else FAST_GRID)
            else:
                row[token] = min(others + float(rng.choice([0.5, 1.5, 3.0])), 15.0)
        elif not kids and depth < max_depth and rng.random() < 0.5:
            row[0] = min(np.delete(row, 0).max() + 2.0, 15.0)  # pad token 0 looks right
    gathered = torch.tensor(node_logits, dtype=torch.float64)[retrieve]  # tree_decoding
    masked = gathered.clone()
    pads = retrieve[:, 1:] == -1
    masked[:, :-1, 0][pads] = -math.inf

    newest = src_utils if temperature > 0 else None
    cands = cart.tolist()
    original = verdict(medusa_llm_utils, gathered, cands, temperature, threshold, alpha, newest)
    expected = verdict(medusa_llm_utils, masked, cands, temperature, threshold, alpha, newest)
    return {
        "id": case_id,
        "tree": tree_name,
        "choices": paths,
        "heads": heads,
        "seed": seed,
        "temperature": temperature,
        "posterior_threshold": threshold,
        "posterior_alpha": alpha,
        "base_token": base,
        "head_topk": head_topk,
        "tree_candidates": tree_tokens,
        "candidates": cands,
        "node_logits": node_logits.tolist(),
        "original": original,
        "expected": expected,
        "pad_accepted_by_original": original != expected,
    }


class SplitMix64:
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53


def draw(weights, rng):
    total = 0.0
    for w in weights:
        total += w
    target = rng.unit() * total
    running, last = 0.0, 0
    for token, w in enumerate(weights):
        if w > 0:
            running += w
            last = token
            if running > target:
                return token
    return last


def kept_weights(row, mode, temperature, threshold, alpha, top_p):
    x = torch.tensor(row, dtype=torch.float64) / temperature
    weights = torch.exp(x - x.max())
    probs = torch.softmax(x, dim=-1)
    if mode == "typical":
        entropy = -torch.sum(probs * torch.log(probs + 1e-5))
        cut = min(threshold, alpha * math.exp(-float(entropy)))
        remove = probs < cut
        remove[int(torch.argmax(x))] = False
    else:
        if top_p >= 1:
            return weights.tolist()
        order = torch.sort(probs, descending=True, stable=True).indices
        cumulative = torch.cumsum(probs[order], dim=-1)
        remove_sorted = cumulative > top_p
        remove_sorted[1:] = remove_sorted[:-1].clone()
        remove_sorted[0] = False
        remove = torch.zeros_like(remove_sorted)
        remove[order] = remove_sorted
    weights[remove] = 0.0
    return weights.tolist()


def sampling_case(src_utils, posterior, mode, temperature, top_p, seed):
    threshold, alpha = 0.09, 0.3
    retrieve = src_utils.generate_medusa_buffers(posterior["choices"], device="cpu")[
        "retrieve_indices"].tolist()
    nodes = posterior["node_logits"]
    rng = SplitMix64(seed)
    samples, lengths = [], []
    for r, row in enumerate(retrieve):
        drawn = [draw(kept_weights(nodes[row[j]], mode, temperature, threshold, alpha, top_p), rng)
                 for j in range(len(row) - 1)]
        accepted = 0
        for j, token in enumerate(drawn):
            if row[j + 1] == -1 or posterior["candidates"][r][j + 1] != token:
                break
            accepted += 1
        samples.append(drawn)
        lengths.append(accepted)
    length = max(lengths)
    best = lengths.index(length) if length > 0 else 0
    next_node = retrieve[best][length]
    next_token = draw(kept_weights(nodes[next_node], mode, temperature, threshold, alpha, top_p),
                      rng)
    return {
        "posterior_case": posterior["id"], "mode": mode, "temperature": temperature,
        "posterior_threshold": threshold, "posterior_alpha": alpha, "top_p": top_p,
        "seed": seed, "samples": samples,
        "verdict": {"best_candidate": best, "accept_length": length}, "next_token": next_token,
    }


def dump(path, header, cases):
    with open(path, "w") as f:
        f.write("{\n")
        for key, value in header.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n  ]\n}\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medusa-src", type=pathlib.Path, required=True,
                        help="checkout of FasterDecoding/Medusa (the newest utils.py)")
    parser.add_argument("--out", type=pathlib.Path,
                        default=pathlib.Path(__file__).resolve().parents[1] / "cases" / "trees")
    args = parser.parse_args()
    src_utils = load(args.medusa_src / "medusa/model/utils.py", "medusa_src_utils")
    all_trees = trees(args.medusa_src)
    args.out.mkdir(parents=True, exist_ok=True)

    dump(args.out / "buffers.json",
         {"source": "generate_medusa_buffers, FasterDecoding/Medusa medusa/model/utils.py"},
         [buffers_case(src_utils, name, paths) for name, paths in all_trees.items()])

    plan = [("tiny_3", 2, 10), ("chain_3", 3, 10), ("chain_3", 5, 4),
            ("unsorted_branching", 3, 12), ("mc_sim_7b_63", 4, 4), ("vicuna_33b_stage1", 3, 3)]
    cases = []
    for temperature in (0.0, 0.7, 1.0):
        for tree_name, heads, count in plan:
            for k in range(count):
                seed = len(cases) + 1000
                rng = np.random.default_rng(seed)
                cases.append(posterior_case(src_utils, len(cases), tree_name, all_trees[tree_name],
                                            heads, temperature, seed, rng))
    dump(args.out / "posterior.json",
         {"source": "evaluate_posterior of PyPI medusa-llm==0.1, float64; see the tool's docstring",
          "vocab": VOCAB},
         cases)

    sampling = []
    for posterior in cases:
        if posterior["temperature"] == 0 or posterior["tree"] == "mc_sim_7b_63":
            continue
        for mode, top_p in (("typical", 1.0), ("nucleus", 0.8), ("nucleus", 1.0)):
            seed = 7000 + len(sampling)
            sampling.append(sampling_case(src_utils, posterior, mode, posterior["temperature"],
                                          top_p, seed))
    dump(args.out / "sampling.json",
         {"source": "this project's seeded sampling rule over the original's truncations",
          "generator": "SplitMix64"},
         sampling)


if __name__ == "__main__":
    main()
