"""An independent Python re-implementation of Medusa decoding (Cai et al., ICML 2024) on top of
transformers' LlamaForCausalLM, following the semantics of the original FasterDecoding/Medusa
code (medusa/model/utils.py, medusa_model.py) with two documented deviations:

1. A padded slot of a path (retrieve index -1) is never accepted. The original compares the pad
   token 0 with the prediction of the previous node and could accept it (then copying a wrong
   KV row); we mask it out.
2. Stop rule: generation stops at an EOS token even in the middle of an accepted chunk (the EOS is
   kept, what follows it is dropped), and never returns more than max_new_tokens (the last chunk
   is truncated). With ignore_eos only max_new_tokens stops it.

Everything runs in float32 (weights widened from the file dtype). The tree is verified in ONE
forward pass over the cached prefix with a 4D additive attention mask (0 = visible, -inf =
hidden): every tree node sees the whole prefix, itself and its ancestors (paper Sec. 2.1.2,
"tree attention"). After verification the KV cache keeps the prefix plus the K/V rows of the
accepted nodes, in path order (they are moved, not recomputed).

Ties: argmax and top-k choose the lowest token id (torch.argmax returns the first maximum; top-k
is a stable descending sort).
"""
import math

import torch
from safetensors.torch import load_file

TOPK = 10  # top-k slots per head, as the original (a placeholder "sufficient" for every tree)


# --------------------------------------------------------------------------------------------
# Trees (medusa_choices) -> buffers
# --------------------------------------------------------------------------------------------

def validate_choices(choices, num_heads=None):
    """Reject a tree that the buffers cannot represent."""
    paths = [list(c) for c in choices]
    if not paths:
        raise ValueError("empty tree")
    seen = set()
    for p in paths:
        if not p:
            raise ValueError("empty path")
        if any((not isinstance(s, int)) or s < 0 or s >= TOPK for s in p):
            raise ValueError(f"path {p}: slot outside 0..{TOPK - 1}")
        if num_heads is not None and len(p) > num_heads:
            raise ValueError(f"path {p}: depth {len(p)} > {num_heads} heads")
        if tuple(p) in seen:
            raise ValueError(f"duplicate path {p}")
        seen.add(tuple(p))
    for p in paths:
        if len(p) > 1 and tuple(p[:-1]) not in seen:
            raise ValueError(f"path {p}: parent {p[:-1]} missing (tree not prefix-closed)")
    return paths


def generate_medusa_buffers(choices, num_heads=None):
    """Buffers of a sparse Medusa tree (paper Sec. 2.1.2; original generate_medusa_buffers).

    Node 0 is the root (the base model's next token); node i >= 1 is sorted_choices[i-1], the
    choices sorted by (depth, lexicographic). Returns plain Python lists:
      sorted_choices     the sorted paths
      attn_mask          (n x n) 1 where row node may attend to column node (itself, ancestors, root)
      tree_indices       (n) index into candidates = [base top-1] + head0 top-10 + head1 top-10 ...
                         root 0; node -> 1 + TOPK * (depth - 1) + last slot
      position_ids       (n) depth of the node (root 0)
      retrieve_indices   (leaves x (max_depth + 1)) node indices of each root->leaf path, padded
                         with -1; rows in the original's order (leaves of the reversed sorted list)
    """
    paths = validate_choices(choices, num_heads)
    sc = sorted(paths, key=lambda x: (len(x), x))
    index = {tuple(p): i + 1 for i, p in enumerate(sc)}
    n = len(sc) + 1
    attn = [[1 if (r == c or c == 0) else 0 for c in range(n)] for r in range(n)]
    tree_indices = [0] * n
    position_ids = [0] * n
    for i, p in enumerate(sc):
        node = i + 1
        for d in range(1, len(p)):
            attn[node][index[tuple(p[:d])]] = 1
        tree_indices[node] = 1 + TOPK * (len(p) - 1) + p[-1]
        position_ids[node] = len(p)
    # one row per leaf, visiting the sorted list from the end (the original's row order)
    covered = set()
    rows = []
    for p in reversed(sc):
        if tuple(p) in covered:
            continue
        rows.append([index[tuple(p[:d])] for d in range(1, len(p) + 1)])
        for d in range(1, len(p) + 1):
            covered.add(tuple(p[:d]))
    width = max(len(r) for r in rows)
    retrieve = [[0] + r + [-1] * (width - len(r)) for r in rows]
    return {"sorted_choices": sc, "attn_mask": attn, "tree_indices": tree_indices,
            "position_ids": position_ids, "retrieve_indices": retrieve}


# --------------------------------------------------------------------------------------------
# Heads
# --------------------------------------------------------------------------------------------

class MedusaHeads:
    """K heads, each ResBlock^L (x + SiLU(W x + b)) then a vocab projection, in float32."""

    def __init__(self, path, num_heads, num_layers):
        sd = load_file(path)
        self.num_heads = num_heads
        self.blocks = [[(sd[f"{k}.{l}.linear.weight"].float(), sd[f"{k}.{l}.linear.bias"].float())
                        for l in range(num_layers)] for k in range(num_heads)]
        self.proj = [sd[f"{k}.{num_layers}.weight"].float() for k in range(num_heads)]

    @torch.no_grad()
    def __call__(self, h):
        """h [..., H] (the backbone's last hidden state, after the final norm) -> [K, ..., V]"""
        out = []
        for k in range(self.num_heads):
            x = h
            for w, b in self.blocks[k]:
                x = x + torch.nn.functional.silu(x @ w.T + b)
            out.append(x @ self.proj[k].T)
        return torch.stack(out)


def topk_lowest_id(logits, k):
    """Top-k ids of a 1D tensor, ties broken towards the lowest id."""
    return torch.sort(logits, descending=True, stable=True).indices[:k]


def topk_min_gap(logits, k=TOPK):
    v = torch.sort(logits, descending=True, stable=True).values[:k]
    return float((v[:-1] - v[1:]).min())


def top2_margin(logits):
    v = torch.topk(logits, 2).values
    return float(v[0] - v[1])


# --------------------------------------------------------------------------------------------
# Backbone calls (transformers)
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def backbone(model, ids, cache, position_ids=None, attention_mask=None):
    out = model.model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True,
                      position_ids=None if position_ids is None else torch.tensor([position_ids]),
                      attention_mask=attention_mask)
    hidden = out.last_hidden_state[0]
    return model.lm_head(hidden), hidden, out.cache


def keep_cache_rows(cache, rows):
    idx = torch.tensor(rows)
    for layer in cache.layers:
        layer.keys = layer.keys.index_select(-2, idx).contiguous()
        layer.values = layer.values.index_select(-2, idx).contiguous()


@torch.no_grad()
def ar_greedy(model, prompt, n_new, eos_ids=(), ignore_eos=True):
    """Autoregressive greedy decoding (KV cache, lowest id on ties)."""
    logits, _, cache = backbone(model, prompt, None)
    last = logits[-1]
    out = []
    while len(out) < n_new:
        tok = int(torch.argmax(last))
        out.append(tok)
        if not ignore_eos and tok in eos_ids:
            break
        logits, _, cache = backbone(model, [tok], cache)
        last = logits[-1]
    return out


# --------------------------------------------------------------------------------------------
# One Medusa step
# --------------------------------------------------------------------------------------------

def generate_candidates(base_logits, head_logits, buffers):
    """candidates = [argmax base] + each head's top-10; tree candidates; cartesian candidates."""
    cands = [int(torch.argmax(base_logits))]
    for k in range(head_logits.shape[0]):
        cands += topk_lowest_id(head_logits[k], TOPK).tolist()
    tree = [cands[i] for i in buffers["tree_indices"]]
    # pad slots (-1) read the appended 0, as the original's tree_candidates_ext[-1]
    ext = tree + [0]
    cart = [[ext[i] for i in row] for row in buffers["retrieve_indices"]]
    return cands, tree, cart


def tree_mask(buffers, prefix_len):
    n = len(buffers["tree_indices"])
    m = torch.full((1, 1, n, prefix_len + n), float("-inf"))
    m[..., :prefix_len] = 0.0
    tm = torch.tensor(buffers["attn_mask"], dtype=torch.bool)
    m[0, 0, :, prefix_len:][tm] = 0.0
    return m


def evaluate_posterior(path_logits, cart, retrieve, mode, mask_pad=True):
    """Choose (best_candidate, accept_length, decision_gap) (paper Sec. 2.3.1 / original utils).

    path_logits [P, D+1, V]: logits at each node of each path (pad slots read the last tree
    node's logits, as Python's negative index in the original). cart [P, D+1] tokens.
    decision_gap: the smallest distance from a decision boundary among the comparisons that
    decided the result (greedy: top1-top2 margin of the verifying logits; typical: |p - threshold|).
    """
    cart_t = torch.tensor(cart)
    valid = torch.tensor(retrieve)[:, 1:] != -1           # deviation 1: pad never accepted
    if not mask_pad:                                       # the original's behaviour
        valid = torch.ones_like(valid)
    lg = path_logits[:, :-1]
    if mode["name"] == "greedy":
        pred = lg.argmax(-1)
        mask = (cart_t[:, 1:] == pred) & valid
        gaps = torch.topk(lg, 2, dim=-1).values
        gaps = gaps[..., 0] - gaps[..., 1]
        prob = None
    else:
        T = mode["temperature"]
        p = torch.softmax(lg / T, dim=-1)
        prob = torch.gather(p, -1, cart_t[:, 1:, None]).squeeze(-1)
        entropy = -torch.sum(p * torch.log(p + 1e-5), dim=-1)
        thr = torch.minimum(torch.full_like(entropy, mode["posterior_threshold"]),
                             torch.exp(-entropy) * mode["posterior_alpha"])
        mask = (prob > thr) & valid
        gaps = (prob - thr).abs()
    acc = torch.cumprod(mask.int(), dim=1).sum(dim=1)
    # comparisons that mattered: slots up to and including the first rejection, non-pad
    D = mask.shape[1]
    slot = torch.arange(D)[None, :]
    decided = (slot <= acc[:, None]) & valid
    gap = float(gaps[decided].min()) if bool(decided.any()) else math.inf
    accept = int(acc.max())
    if accept == 0:
        best = 0
    elif prob is None:
        best = int(torch.argmax(acc))                     # first path with the longest accept
    else:
        best_rows = torch.where(acc == accept)[0]
        likelihood = torch.sum(torch.log(prob[best_rows, :accept]), dim=-1)
        best = int(best_rows[torch.argmax(likelihood)])
        # rows sharing the accepted prefix (same nodes) tie exactly and are not a float risk;
        # the first such row wins (torch.argmax returns the first maximum)
        ridx = torch.tensor(retrieve)
        prefix = {}
        for r, lk in zip(best_rows.tolist(), likelihood.tolist()):
            key = tuple(ridx[r, 1:accept + 1].tolist())
            prefix[key] = max(prefix.get(key, -math.inf), lk)
        if len(prefix) > 1:
            srt = sorted(prefix.values(), reverse=True)
            gap = min(gap, srt[0] - srt[1])
    return best, accept, gap


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def medusa_generate(model, heads, prompt, buffers, mode, max_new_tokens, eos_ids=(),
                    ignore_eos=True):
    """Medusa decoding. Returns (output_ids, steps) with a trace per step."""
    logits, hidden, cache = backbone(model, prompt, None)
    base_logits, head_logits = logits[-1], heads(hidden[-1])
    retrieve = buffers["retrieve_indices"]
    ridx = torch.tensor(retrieve)
    out, steps = [], []
    done = False
    while not done:
        L = len(prompt) + len(out)
        cands, tree, cart = generate_candidates(base_logits, head_logits, buffers)
        pos = [L + d for d in buffers["position_ids"]]
        t_logits, t_hidden, cache = backbone(model, tree, cache, pos, tree_mask(buffers, L))
        path_logits = t_logits[ridx]                       # -1 reads the last node
        best, accept, gap = evaluate_posterior(path_logits, cart, retrieve, mode)
        orig_best, orig_accept, _ = evaluate_posterior(path_logits, cart, retrieve, mode, False)
        chunk = cart[best][:accept + 1]
        appended = []
        for tok in chunk:
            appended.append(tok)
            out.append(tok)
            if (not ignore_eos and tok in eos_ids) or len(out) >= max_new_tokens:
                done = True
                break
        steps.append({
            "tree_candidates": tree,
            "candidates": cart,
            "best_candidate": best,
            "accept_length": accept,
            "tokens": appended,
            "base_margin": top2_margin(base_logits),
            "head_topk_gaps": [topk_min_gap(head_logits[k]) for k in range(head_logits.shape[0])],
            "decision_gap": gap,
        })
        if (orig_best, orig_accept) != (best, accept):
            # the original (pad not masked) would accept a pad slot here
            steps[-1]["original_would_choose"] = [orig_best, orig_accept]
        if done:
            break
        nodes = [retrieve[best][j] for j in range(accept + 1)]
        keep_cache_rows(cache, list(range(L)) + [L + i for i in nodes])
        last = nodes[-1]
        base_logits = t_logits[last]
        head_logits = heads(t_hidden[last])
    return out, steps
