"""A bug-injection suite for `medusa conformance check`: one deliberately broken backend per
cause the checker names (Docs/CONFORMANCE.md, "Proof: injected bugs"), beside the six classic
variants of make_candidates.py. Each is the Python re-implementation
(Golden/tools/medusa_reference.py: transformers' LlamaForCausalLM in float32, the Golden heads)
with ONE bug, reporting what a real backend would report (output ids, steps, sometimes
autoregressive ids or logits). The checker must name the cause in every failing case; the
Swift test ConformanceInjectedBugTests holds it to that, cause by cause.

  bug                cause the checker must name   what is wrong
  topk_reversed      candidate-order               each head's top-10 in ascending order
  topk_id_sorted     candidate-order               each head's top-10 sorted by token id
  topk_slot_swap     candidate-order               slots 0 and 1 of every head swapped
  node_order         candidate-order               tree_candidates / node_top1 in plain lexicographic
                                                   path order (not by length first)
  leaves_forward     retrieve-indices              candidate rows in forward leaf order
  logits_shifted     logits-misaligned             the row reported for the token at column j is
                                                   the logits OF column j (should be j - 1)
  eos_not_cut        (deviation eos-after-step)    the chunk that emits EOS is appended whole:
                                                   passes as the original's deviation; fails as
                                                   stop-rule [tokens] under --semantics swift-medusa
  eos_ignored        stop-rule                     EOS never stops generation (ar_output_ids too)
  pad_accepted       (deviation pad-accepted)      the original's rule: a pad compared like a token,
                                                   its KV row and next logits read through index -1
  position_counter   stale-kv-after-compaction     tree positions from a counter advanced by 1 per
                                                   step instead of accept_length + 1
  prenorm_heads      head-logits                   heads on the hidden state before the final norm
  forgotten_v        stale-kv-after-compaction     compaction moves K rows but not V rows
  interleaved_rope   backbone                      RoPE on interleaved pairs (ar_output_ids too)
  fp16_kv            logits-tolerance              K/V rows stored as float16 (logits reported)
  case_ids           missing-case, duplicate-case, one case left out, one given twice, one id
                     unknown id                    the reference does not have

Output: Golden/cases/conformance/candidate-bug-NAME.json for the reference given (default
reference-tiny-mha-f32.json). Steps keep `candidates` only for leaves_forward and `head_topk`
only for the top-k bugs (optional fields a backend may leave out); logits have 7 significant
digits.

Run:  nice .venv/bin/python Golden/tools/broken_variants/make_injected.py [REFERENCE] [--only NAME]
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from common import GOLDEN, setup  # noqa: E402

import torch  # noqa: E402
from transformers import LlamaForCausalLM  # noqa: E402
from transformers.models.llama import modeling_llama  # noqa: E402

import medusa_reference as mr  # noqa: E402

BUGS = ["topk_reversed", "topk_id_sorted", "topk_slot_swap", "node_order", "leaves_forward",
        "logits_shifted", "eos_not_cut", "eos_ignored", "pad_accepted", "position_counter",
        "prenorm_heads", "forgotten_v", "interleaved_rope", "fp16_kv", "case_ids"]
# Bugs whose evidence is in the logits: rows are reported for the first prompts' first tree.
LOGITS_BUGS = {"logits_shifted", "fp16_kv"}
LOGITS_PROMPTS = 3
# Optional step fields each file keeps (the others are left out, as a backend may: the
# checker derives candidate rows from tree_candidates and judges order without head_topk).
KEEP_CANDIDATES = {"leaves_forward"}
KEEP_HEAD_TOPK = {"topk_reversed", "topk_id_sorted", "topk_slot_swap"}


def interleaved_rope(q, k, cos, sin, unsqueeze_dim=1):
    """The bug: rotate pairs (2i, 2i + 1) instead of (i, i + d/2)."""
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)
    half = cos.shape[-1] // 2
    c = cos[..., :half].repeat_interleave(2, dim=-1)
    s = sin[..., :half].repeat_interleave(2, dim=-1)

    def rotate(x):
        return torch.stack((-x[..., 1::2], x[..., ::2]), dim=-1).flatten(-2)

    return q * c + rotate(q) * s, k * c + rotate(k) * s


def head_topk(head_logits, bug):
    """Each head's top-10 as the (buggy) backend ranks them."""
    rows = []
    for k in range(head_logits.shape[0]):
        top = mr.topk_lowest_id(head_logits[k], mr.TOPK).tolist()
        if bug == "topk_reversed":
            top = top[::-1]
        elif bug == "topk_id_sorted":
            top = sorted(top)
        elif bug == "topk_slot_swap":
            top[0], top[1] = top[1], top[0]
        rows.append(top)
    return rows


def round_cache(cache):
    for layer in cache.layers:
        layer.keys = layer.keys.half().float()
        layer.values = layer.values.half().float()


class Backbone:
    """mr.backbone plus the bugs that live in the backbone (pre-norm hidden states, fp16 KV)."""

    def __init__(self, model, bug):
        self.model, self.bug = model, bug
        self.prenorm = None
        if bug == "prenorm_heads":
            model.model.norm.register_forward_hook(self._capture)

    def _capture(self, module, inputs, output):
        self.prenorm = inputs[0][0]

    def __call__(self, ids, cache, pos=None, mask=None):
        logits, hidden, cache = mr.backbone(self.model, ids, cache, pos, mask)
        if self.bug == "fp16_kv":
            round_cache(cache)
        head_input = self.prenorm if self.bug == "prenorm_heads" else hidden
        return logits, hidden, head_input, cache


@torch.no_grad()
def ar_greedy(backbone, prompt, max_new, stop_ids):
    logits, _, _, cache = backbone(prompt, None)
    out = []
    while len(out) < max_new:
        tok = int(torch.argmax(logits[-1]))
        out.append(tok)
        if tok in stop_ids:
            break
        logits, _, _, cache = backbone([tok], cache)
    return out


def lexicographic_order(buffers):
    """node_order bug: the backend's node n is the n-th path in plain lexicographic order."""
    sc = buffers["sorted_choices"]
    lex = sorted(sc)
    return [0] + [sc.index(p) + 1 for p in lex]


@torch.no_grad()
def generate(backbone, heads, prompt, buffers, max_new, stop_ids, bug):
    """Greedy Medusa decoding with `bug`; returns (output ids, steps, logits rows)."""
    logits, hidden, head_in, cache = backbone(prompt, None)
    base_logits, head_logits = logits[-1], heads(head_in[-1])
    retrieve = buffers["retrieve_indices"]
    ridx = torch.tensor(retrieve)
    out, steps, rows = [], [], []
    step_index = 0
    while True:
        L = len(prompt) + len(out)
        topk = head_topk(head_logits, bug)
        flat = [int(torch.argmax(base_logits))] + [t for row in topk for t in row]
        tree = [flat[i] for i in buffers["tree_indices"]]
        cart = [[(tree + [0])[i] for i in row] for row in retrieve]
        base = len(prompt) + step_index if bug == "position_counter" else L
        pos = [base + d for d in buffers["position_ids"]]
        t_logits, t_hidden, t_head_in, cache = backbone(tree, cache, pos, mr.tree_mask(buffers, L))
        best, accept, _ = mr.evaluate_posterior(
            t_logits[ridx], cart, retrieve, {"name": "greedy"}, mask_pad=bug != "pad_accepted")
        nodes = [retrieve[best][j] for j in range(accept + 1)]
        verifying = [base_logits] + [t_logits[i] for i in nodes[:-1]]
        if bug == "logits_shifted":
            verifying = [t_logits[i] for i in nodes]
        chunk = cart[best][:accept + 1]
        appended, done = [], False
        for tok, row in zip(chunk, verifying):
            appended.append(tok)
            out.append(tok)
            rows.append([float(v) for v in row])
            if len(out) >= max_new or (tok in stop_ids and bug != "eos_not_cut"):
                done = True
                break
        if bug == "eos_not_cut" and any(t in stop_ids for t in appended):
            done = True
        node_top1 = [int(i) for i in t_logits.argmax(-1)]
        step = {"tree_candidates": tree, "candidates": cart, "best_candidate": best,
                "accept_length": accept, "tokens": appended, "node_top1": node_top1,
                "head_topk": topk}
        if bug == "node_order":
            order = lexicographic_order(buffers)
            step = {"tree_candidates": [tree[n] for n in order],
                    "node_top1": [node_top1[n] for n in order],
                    "best_candidate": best, "accept_length": accept, "tokens": appended}
        if bug == "leaves_forward":
            step["candidates"] = cart[::-1]
            step["best_candidate"] = next(r for r, row in enumerate(cart[::-1])
                                          if row[:accept + 1] == chunk)
        steps.append(step)
        if done:
            return out, steps, rows
        # index -1 (pad_accepted only) reads the row before the tree and the last tree node
        keep_v = [L + i for i in nodes]
        if bug == "forgotten_v":
            keep_v = [L + i for i in range(accept + 1)]
        keep_k = [L + i for i in nodes]
        if bug == "forgotten_v":
            idx_k = torch.tensor(list(range(L)) + keep_k)
            idx_v = torch.tensor(list(range(L)) + keep_v)
            for layer in cache.layers:
                layer.keys = layer.keys.index_select(-2, idx_k).contiguous()
                layer.values = layer.values.index_select(-2, idx_v).contiguous()
        else:
            mr.keep_cache_rows(cache, list(range(L)) + keep_k)
        last = nodes[-1]
        base_logits = t_logits[last]
        head_logits = heads(t_head_in[last])
        step_index += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", default=os.path.join(
        GOLDEN, "cases", "conformance", "reference-tiny-mha-f32.json"))
    parser.add_argument("--only", action="append", choices=BUGS)
    args = parser.parse_args()
    setup(0)
    reference = json.load(open(args.reference))
    root = os.path.dirname(GOLDEN)
    model = LlamaForCausalLM.from_pretrained(os.path.join(root, reference["model"]["path"]),
                                             dtype=torch.float32,
                                             attn_implementation="eager").eval()
    heads_dir = os.path.join(root, reference["heads"]["path"])
    heads = mr.MedusaHeads(os.path.join(heads_dir, "medusa_lm_head.safetensors"),
                           reference["heads"]["head_count"], reference["heads"]["layer_count"])
    trees = {t["name"]: mr.generate_medusa_buffers(t["choices"]) for t in reference["trees"]}
    stop_ids = set(reference["stop"]["stop_token_ids"])
    max_new = reference["stop"]["max_new_tokens"]
    first_tree = reference["trees"][0]["name"]
    prompts = []
    for case in reference["cases"]:
        if case["prompt_ids"] not in prompts:
            prompts.append(case["prompt_ids"])
    original_rope = modeling_llama.apply_rotary_pos_emb
    for bug in args.only or BUGS:
        modeling_llama.apply_rotary_pos_emb = (
            interleaved_rope if bug == "interleaved_rope" else original_rope)
        backbone = Backbone(model, bug)
        stops = set() if bug == "eos_ignored" else stop_ids
        cases = []
        for case in reference["cases"]:
            ids, steps, rows = generate(backbone, heads, case["prompt_ids"], trees[case["tree"]],
                                        max_new, stops, bug)
            for step in steps:
                if bug not in KEEP_CANDIDATES:
                    step.pop("candidates", None)
                if bug not in KEEP_HEAD_TOPK:
                    step.pop("head_topk", None)
            entry = {"id": case["id"], "output_ids": ids, "steps": steps}
            if bug in ("eos_ignored", "interleaved_rope"):
                entry["ar_output_ids"] = ar_greedy(backbone, case["prompt_ids"], max_new, stops)
            if bug in LOGITS_BUGS and case["tree"] == first_tree and \
                    prompts.index(case["prompt_ids"]) < LOGITS_PROMPTS:
                entry["logits"] = [[float(f"{v:.7g}") for v in row] for row in rows]
            cases.append(entry)
        if bug == "case_ids":
            cases = cases[1:] + [cases[1], dict(cases[2], id="p99/" + first_tree)]
        modeling_llama.apply_rotary_pos_emb = original_rope
        doc = {"format": "medusa-conformance-candidate", "format_version": 1,
               "backend": f"Golden/tools/broken_variants/make_injected.py {bug}", "cases": cases}
        path = os.path.join(os.path.dirname(os.path.abspath(args.reference)),
                            f"candidate-bug-{bug}.json")
        with open(path, "w") as f:
            json.dump(doc, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
        same = sum(c["output_ids"] == r["medusa_output_ids"]
                   for c, r in zip(cases, reference["cases"]))
        print(f"{bug}: {same}/{len(cases)} cases with reference output ids -> {path}")


if __name__ == "__main__":
    main()
