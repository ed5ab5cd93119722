"""Train K=4 Medusa heads (Medusa-1: frozen backbone) on each Golden model by self-distillation.

Data: seeded random prompts (token ids), continued by the frozen model itself (greedy for most
sequences, temperature-1 sampling for the rest). Head k (0-based) at position t is trained to
predict the token at t+k+2 (the base lm_head at t predicts t+1), exactly the shift of the
original train_legacy.py: `medusa_logits[k][:, :-(2+k)]` against `labels[..., 2+k:]`.
Only targets that the model generated are used (the random prompt tokens are unpredictable).

Head architecture (the original's MedusaModel): nn.Sequential(ResBlock * L, Linear(H, V, bias=False))
with ResBlock(x) = x + SiLU(Linear(x)), the block's linear initialised to zero weight and zero bias,
and the vocab projection initialised from the model's lm_head (= embed_tokens when tied).
The input is the backbone's last hidden state after the final RMSNorm.

Output, Golden/models/NAME/medusa/:
  medusa_lm_head.safetensors  keys {k}.0.linear.weight [H,H], {k}.0.linear.bias [H], {k}.1.weight [V,H]
                              stored in the model's dtype (F32 / F16 / BF16)
  config.json                 medusa_num_heads, medusa_num_layers, base_model_name_or_path,
                              hidden_size, vocab_size
"""
import json
import os
import sys
import time

from common import MODELS, MODEL_NAMES, setup

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file
from transformers import LlamaForCausalLM

NUM_HEADS = 4
NUM_LAYERS = 1
SEEDS = {"tiny-mha-f32": 3001, "tiny-gqa-f16": 3002, "tiny-bf16-bias": 3003}
N_SEQS = 3072          # training sequences per model
N_VAL = 256            # held-out sequences
GEN_LEN = 96           # generated tokens per sequence
SAMPLED_FRACTION = float(os.environ.get("MEDUSA_SAMPLED_FRACTION", 0.1))
STEPS = int(os.environ.get("MEDUSA_TRAIN_STEPS", 3000))
BATCH = 2048
LR = 3e-3


class ResBlock(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.linear = nn.Linear(hidden, hidden)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return x + F.silu(self.linear(x))


def make_heads(hidden, vocab, lm_head_weight, num_heads=NUM_HEADS, num_layers=NUM_LAYERS):
    heads = nn.ModuleList()
    for _ in range(num_heads):
        proj = nn.Linear(hidden, vocab, bias=False)
        with torch.no_grad():
            proj.weight.copy_(lm_head_weight)
        heads.append(nn.Sequential(*[ResBlock(hidden) for _ in range(num_layers)], proj))
    return heads


def load_model(name):
    m = LlamaForCausalLM.from_pretrained(os.path.join(MODELS, name), dtype=torch.float32,
                                         attn_implementation="eager")
    return m.eval()


@torch.no_grad()
def generate_data(model, n_seqs, seed, sampled_fraction):
    """Seeded prompts + the model's own continuations. Returns tokens [N,S], prompt lens [N]."""
    V = model.config.vocab_size
    g = torch.Generator().manual_seed(seed)
    seqs, plens = [], []
    batch = 256
    for b0 in range(0, n_seqs, batch):
        L = int(torch.randint(1, 33, (1,), generator=g))
        n = min(batch, n_seqs - b0)
        ids = torch.randint(0, V, (n, L), generator=g)
        sampled = torch.rand(n, generator=g) < sampled_fraction
        out = model(input_ids=ids, use_cache=True)
        cache = out.cache
        logits = out.logits[:, -1]
        toks = [ids]
        for _ in range(GEN_LEN):
            greedy = logits.argmax(-1)
            u = torch.rand(logits.shape, generator=g).clamp_min(1e-20)
            sample = (logits - torch.log(-torch.log(u))).argmax(-1)  # Gumbel-max, T = 1
            nxt = torch.where(sampled, sample, greedy)[:, None]
            toks.append(nxt)
            out = model(input_ids=nxt, cache=cache, use_cache=True)
            cache = out.cache
            logits = out.logits[:, -1]
        full = torch.cat(toks, 1)
        seqs += list(full)
        plens += [L] * n
    return seqs, plens


@torch.no_grad()
def hidden_states(model, seqs):
    return [model.model(input_ids=s[None]).last_hidden_state[0] for s in seqs]


def build_examples(seqs, plens, hiddens):
    """Rows (hidden at t, targets t+2 .. t+K+1 or -100) for positions with any generated target."""
    X, Y = [], []
    for s, L, h in zip(seqs, plens, hiddens):
        S = s.shape[0]
        t = torch.arange(S)
        ys = []
        for k in range(NUM_HEADS):
            idx = t + k + 2
            y = torch.full((S,), -100, dtype=torch.long)
            ok = (idx < S) & (idx >= L)
            y[ok] = s[idx[ok]]
            ys.append(y)
        y = torch.stack(ys, 1)
        keep = (y != -100).any(1)
        X.append(h[keep])
        Y.append(y[keep])
    return torch.cat(X), torch.cat(Y)


def head_logits(heads, x):
    return torch.stack([h(x) for h in heads])  # [K, N, V]


@torch.no_grad()
def accuracy(heads, X, Y, ks=(1, 10)):
    res = []
    logits = head_logits(heads, X)
    for k in range(NUM_HEADS):
        m = Y[:, k] != -100
        top = logits[k][m].topk(max(ks), -1).indices
        res.append([float((top[:, :kk] == Y[m, k][:, None]).any(1).float().mean()) for kk in ks])
    return res


def train(name, steps=STEPS, log=print):
    setup(SEEDS[name])
    model = load_model(name)
    for p in model.parameters():
        p.requires_grad_(False)
    t0 = time.time()
    seqs, plens = generate_data(model, N_SEQS, SEEDS[name], SAMPLED_FRACTION)
    X, Y = build_examples(seqs, plens, hidden_states(model, seqs))
    # held-out: greedy continuations only (what greedy Medusa decoding sees)
    seqs, plens = generate_data(model, N_VAL, SEEDS[name] + 7, 0.0)
    Xv, Yv = build_examples(seqs, plens, hidden_states(model, seqs))
    log(f"{name}: data {X.shape[0]} rows ({time.time() - t0:.0f}s)")
    H, V = model.config.hidden_size, model.config.vocab_size
    heads = make_heads(H, V, model.lm_head.weight.detach())
    opt = torch.optim.AdamW(heads.parameters(), lr=LR, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=0.05)
    g = torch.Generator().manual_seed(SEEDS[name] + 1)
    log(f"{name}: before {accuracy(heads, Xv, Yv)}")
    for step in range(steps):
        idx = torch.randint(0, X.shape[0], (BATCH,), generator=g)
        x, y = X[idx], Y[idx]
        loss = 0.0
        for k, h in enumerate(heads):
            loss = loss + F.cross_entropy(h(x), y[:, k], ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if (step + 1) % 500 == 0 or step == steps - 1:
            log(f"{name}: step {step + 1} loss {float(loss.detach()):.3f} val acc(top1,top10) "
                f"{[[round(a, 3) for a in r] for r in accuracy(heads, Xv, Yv)]} ({time.time() - t0:.0f}s)")
    return model, heads


def save_heads(name, model, heads):
    out = os.path.join(MODELS, name, "medusa")
    os.makedirs(out, exist_ok=True)
    dtype = next(iter(LlamaForCausalLM.from_pretrained(os.path.join(MODELS, name)).parameters())).dtype
    sd = {k: v.detach().to(dtype).contiguous() for k, v in heads.state_dict().items()}
    save_file(sd, os.path.join(out, "medusa_lm_head.safetensors"), metadata={"format": "pt"})
    cfg = {
        "medusa_num_heads": NUM_HEADS,
        "medusa_num_layers": NUM_LAYERS,
        "base_model_name_or_path": name,
        "hidden_size": model.config.hidden_size,
        "vocab_size": model.config.vocab_size,
        "dtype": str(dtype).replace("torch.", ""),
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def main(names=None):
    for name in names or MODEL_NAMES:
        model, heads = train(name)
        save_heads(name, model, heads)


if __name__ == "__main__":
    main(sys.argv[1:] or None)
