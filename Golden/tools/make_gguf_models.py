"""Tiny random-weight Llama models as GGUF files (llama.cpp's own converter and quantizer), with
transformers references for each file.

Makes
  Golden/models/gguf-tiny/NAME.gguf           the committed variants (see VARIANTS)
  Golden/models/gguf-tiny/README.md           shapes, tensor types per file, the q/k permutation
  Golden/cases/backbone/gguf-tiny-NAME.json   transformers (gguf_file=, float32, eager) references
  Golden/tools/.cache/gguf-tiny/              (gitignored) the HF checkpoints, the F32 / F16 GGUFs
                                              and every quantized file, committed or not
from
  seeded random weights in Hugging Face layout (transformers LlamaForCausalLM, like
  Golden/tools/make_models.py: embeddings N(0,1), projections N(0, gain/sqrt(fan_in)), RMSNorm
  weights 1 + N(0, 0.1), the tied model's final norm with random signs) and two real tokenizers
  from Golden/tokenizers:
    tiny-gpt2   Golden/tokenizers/gpt2 (byte-level BPE, vocab 2000) -> tokenizer.ggml.model "gpt2"
                (pre "gpt-2": the converter cannot recognise a home-made tokenizer by its hash, so
                get_vocab_base_pre is patched to return "gpt-2", llama.cpp's name for the GPT-2
                regex, which is exactly this tokenizer's ByteLevel regex); tied embeddings
    tiny-llama  Golden/tokenizers/llama2 (SentencePiece-style BPE with byte fallback, vocab 3000),
                written as a SentencePiece tokenizer.model (pieces in id order, score -id for
                normal pieces, 0 for <unk>/<s>/</s>/bytes) so the converter takes its
                tokenizer.model path -> tokenizer.ggml.model "llama" with scores; untied lm_head
  tiny-gpt2: hidden 256, 2 layers, 4 heads / 2 kv heads, head_dim 64, intermediate 256, tied
  (every matrix row is 256 long, so k-quants apply to every tensor); tiny-llama: hidden 64,
  2 layers, 4 / 2 heads, head_dim 16, intermediate 192, untied (committed as F16 only: size).
  Conversion: llama.cpp convert_hf_to_gguf.py --outtype f32 / f16 (it permutes the rows of
  attn_q / attn_k; checked here against the HF weights, formula in README.md), then llama-quantize
  from the F32 file. Needs Golden/tools/bench/build_llama_cpp.sh first.

References per committed file (format of Golden/cases/backbone/*.json, see Golden/README.md):
prompts of 1, 4, 11, 40 seeded random ids (redrawn while any greedy step has top1 - top2 < 5e-3),
48 greedy tokens (KV cache, EOS ignored, ties to the lowest id), `last_logits` full rows,
`step_logits` (top-20 / logsumexp / max_abs per greedy step), `all_position_logits` (full rows of
the 11-token prompt), eager-vs-sdpa noise floor.

Run from the repository root:  .venv/bin/python Golden/tools/make_gguf_models.py
(~5 min on a free core.)
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version

from common import CASES, GOLDEN, dump_json, f32, f32_list, setup

import numpy as np
import torch
import transformers
from transformers import AutoModelForCausalLM, GenerationConfig, LlamaConfig, LlamaForCausalLM

ROOT = os.path.dirname(GOLDEN)
TOKENIZERS = os.path.join(GOLDEN, "tokenizers")
OUT = os.path.join(GOLDEN, "models", "gguf-tiny")
CACHE = os.path.join(GOLDEN, "tools", ".cache", "gguf-tiny")
LLAMA = os.path.join(GOLDEN, "tools", ".cache", "llama.cpp")
CONVERTER = os.path.join(LLAMA, "src", "convert_hf_to_gguf.py")
QUANTIZE = os.path.join(LLAMA, "bin", "llama-quantize")
PY = sys.executable

N_NEW = 48
MIN_MARGIN = 5e-3
PROMPT_LENGTHS = [1, 4, 11, 40]
ALL_POSITIONS_LENGTH = 11
TOP_K = 20
STRIDE = 61

SPECS = {
    "tiny-gpt2": dict(seed=6001, prompt_seed=6101, tokenizer="gpt2",
                      config=dict(vocab_size=2000, hidden_size=256, num_hidden_layers=2, num_attention_heads=4,
                                  num_key_value_heads=2, head_dim=64, intermediate_size=256,
                                  tie_word_embeddings=True, rope_theta=10000.0, rms_norm_eps=1e-5,
                                  max_position_embeddings=512, bos_token_id=0, eos_token_id=0),
                      init=dict(attn_gain=0.7, mlp_gain=1.0, signed_final_norm=True)),
    "tiny-llama": dict(seed=6002, prompt_seed=6102, tokenizer="llama2",
                       config=dict(vocab_size=3000, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                   num_key_value_heads=2, head_dim=16, intermediate_size=192,
                                   tie_word_embeddings=False, rope_theta=100000.0, rms_norm_eps=1e-6,
                                   max_position_embeddings=512, bos_token_id=1, eos_token_id=2),
                       init=dict(attn_gain=0.7, mlp_gain=1.0, logit_std=6.0)),
}
# Committed variants (the others stay in the cache). tiny-gpt2's rows are 256 long, so every
# k-quant applies to every matrix; tiny-llama (rows of 64 / 192) is committed as F16 only.
# (Q3_K_M was dropped for size: Q2_K already mixes Q2_K and Q3_K.)
VARIANTS = {
    "tiny-gpt2": ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K_M", "Q5_K_M", "Q6_K", "Q2_K"],
    "tiny-llama": ["F16"],
}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"make_gguf_models: {' '.join(map(str, cmd[:3]))} ... failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---------------------------------------------------------------- HF checkpoints

def init_weights(model, spec):
    g = torch.Generator().manual_seed(spec["seed"])
    cfg, ini = model.config, spec["init"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                p.copy_(torch.randn(p.shape, generator=g))
            elif name == "lm_head.weight":
                if cfg.tie_word_embeddings:
                    continue
                p.copy_(torch.randn(p.shape, generator=g) * ini["logit_std"] / cfg.hidden_size ** 0.5)
            elif name == "model.norm.weight" and ini.get("signed_final_norm"):
                sign = torch.randint(0, 2, p.shape, generator=g) * 2.0 - 1.0
                p.copy_(sign * (1.0 + 0.1 * torch.randn(p.shape, generator=g)))
            elif "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2:
                gain = ini["mlp_gain"] if ".mlp." in name else ini["attn_gain"]
                p.copy_(torch.randn(p.shape, generator=g) * gain / p.shape[1] ** 0.5)
            else:
                raise RuntimeError(f"unhandled parameter {name}")


def sentencepiece_model(tokenizer_json):
    """A SentencePiece BPE ModelProto with the vocabulary of a Llama-2-style tokenizer.json."""
    from sentencepiece import sentencepiece_model_pb2 as pb
    vocab = sorted(tokenizer_json["model"]["vocab"].items(), key=lambda kv: kv[1])
    m = pb.ModelProto()
    ts = m.trainer_spec
    ts.model_type = pb.TrainerSpec.BPE
    ts.vocab_size = len(vocab)
    ts.byte_fallback = True
    ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id = 0, 1, 2, -1
    ts.unk_piece, ts.bos_piece, ts.eos_piece = "<unk>", "<s>", "</s>"
    ns = m.normalizer_spec
    ns.name = "identity"
    ns.add_dummy_prefix = True
    ns.remove_extra_whitespaces = False
    ns.escape_whitespaces = True
    for piece, i in vocab:
        assert i == len(m.pieces), "ids must be dense"
        p = m.pieces.add()
        p.piece = piece
        if i == 0:
            p.type, p.score = pb.ModelProto.SentencePiece.UNKNOWN, 0.0
        elif piece in ("<s>", "</s>"):
            p.type, p.score = pb.ModelProto.SentencePiece.CONTROL, 0.0
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            p.type, p.score = pb.ModelProto.SentencePiece.BYTE, 0.0
        else:
            p.type, p.score = pb.ModelProto.SentencePiece.NORMAL, float(-i)
    return m.SerializeToString()


def make_hf(name):
    spec = SPECS[name]
    setup(spec["seed"])
    config = LlamaConfig(**spec["config"])
    model = LlamaForCausalLM(config)
    init_weights(model, spec)
    d = os.path.join(CACHE, "hf", name)
    shutil.rmtree(d, ignore_errors=True)
    model.save_pretrained(d, safe_serialization=True)
    GenerationConfig(bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
                     do_sample=False).save_pretrained(d)
    src = os.path.join(TOKENIZERS, spec["tokenizer"])
    tj = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
    shutil.copy(os.path.join(src, "tokenizer.json"), os.path.join(d, "tokenizer.json"))
    cfg = json.load(open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8"))
    # load tokenizer.json as it is (no model-specific class rebuilding the pipeline)
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    if spec["tokenizer"] == "gpt2":
        cfg.update(bos_token="<|endoftext|>", eos_token="<|endoftext|>", add_bos_token=False, add_eos_token=False)
    else:
        cfg.update(unk_token="<unk>", add_bos_token=True, add_eos_token=False)
        with open(os.path.join(d, "tokenizer.model"), "wb") as f:
            f.write(sentencepiece_model(tj))
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    return d, model


# ---------------------------------------------------------------- conversion

BOOTSTRAP = r"""
import sys, runpy
src = sys.argv[1]
sys.path.insert(0, src)
sys.path.insert(1, src + "/gguf-py")  # as convert_hf_to_gguf.py does: the vendored gguf-py
import conversion.base as base
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "gpt-2"
sys.argv = [src + "/convert_hf_to_gguf.py"] + sys.argv[2:]
runpy.run_path(src + "/convert_hf_to_gguf.py", run_name="__main__")
"""


def convert(name, hf_dir, outtype):
    out = os.path.join(CACHE, "gguf", f"{name}-{outtype.upper()}.gguf")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1")
    run([PY, "-c", BOOTSTRAP, os.path.join(LLAMA, "src"), hf_dir, "--outfile", out, "--outtype", outtype], env=env)
    return out


def quantize(name, f32_path, variant):
    out = os.path.join(CACHE, "gguf", f"{name}-{variant}.gguf")
    run(["nice", "-n", "10", QUANTIZE, f32_path, out, variant, "1"])
    return out


def tensor_types(path):
    import gguf
    r = gguf.GGUFReader(path)
    out = {}
    for t in r.tensors:
        out[t.name] = gguf.GGMLQuantizationType(t.tensor_type).name
    return out


def permute(w, n_head):
    """llama.cpp's LlamaModel.permute (convert_hf_to_gguf): HF q/k rows -> GGUF rows."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def check_permutation(f32_path, model):
    """attn_q / attn_k rows in the F32 GGUF are the HF rows permuted; everything else is equal."""
    import gguf
    r = gguf.GGUFReader(f32_path)
    t = {x.name: np.array(x.data) for x in r.tensors}
    cfg = model.config
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    report = {}
    for i in range(cfg.num_hidden_layers):
        q = sd[f"model.layers.{i}.self_attn.q_proj.weight"]
        k = sd[f"model.layers.{i}.self_attn.k_proj.weight"]
        gq, gk = t[f"blk.{i}.attn_q.weight"], t[f"blk.{i}.attn_k.weight"]
        assert gq.shape == q.shape and gk.shape == k.shape
        assert np.array_equal(gq, permute(q, cfg.num_attention_heads)), "attn_q is not the permuted q_proj"
        assert np.array_equal(gk, permute(k, cfg.num_key_value_heads)), "attn_k is not the permuted k_proj"
        assert not np.array_equal(gq, q) and not np.array_equal(gk, k)
        assert np.array_equal(t[f"blk.{i}.attn_v.weight"], sd[f"model.layers.{i}.self_attn.v_proj.weight"])
        assert np.array_equal(t[f"blk.{i}.ffn_down.weight"], sd[f"model.layers.{i}.mlp.down_proj.weight"])
    hd = cfg.head_dim
    # explicit index form of the same map
    idx = [h * hd + s * (hd // 2) + j for h in range(cfg.num_attention_heads) for j in range(hd // 2) for s in range(2)]
    assert np.array_equal(t["blk.0.attn_q.weight"], sd["model.layers.0.self_attn.q_proj.weight"][idx])
    report["attn_q"] = f"permuted with n_head = {cfg.num_attention_heads}"
    report["attn_k"] = f"permuted with n_head = {cfg.num_key_value_heads} (num_key_value_heads)"
    report["formula"] = "gguf_row[h*d + 2*j + s] = hf_row[h*d + s*(d/2) + j], d = head_dim, j < d/2, s in {0, 1}"
    return report


# ---------------------------------------------------------------- references

def summary(row):
    a = row.detach().float().numpy().astype(np.float32)
    order = np.lexsort((np.arange(a.size), -a.astype(np.float64)))[:TOP_K]
    m = float(a[order[0]])
    return {"top_ids": [int(i) for i in order], "top_logits": f32_list(a[order]),
            "logsumexp": float(np.log(np.sum(np.exp(a.astype(np.float64) - m))) + m),
            "max_abs": f32(np.abs(a).max())}


@torch.no_grad()
def greedy(model, prompt, n_new=N_NEW):
    out = model(input_ids=torch.tensor([prompt]), use_cache=True)
    cache, logits = out.cache, out.logits[0, -1]
    rows, ids, margins = [], [], []
    for _ in range(n_new):
        rows.append(logits.clone())
        top2 = torch.topk(logits, 2)
        tok = int(torch.argmax(logits))
        ids.append(tok)
        margins.append(float(top2.values[0] - top2.values[1]))
        out = model(input_ids=torch.tensor([[tok]]), cache=cache, use_cache=True)
        cache, logits = out.cache, out.logits[0, -1]
    return rows, ids, margins


def load_gguf(path, attn="eager"):
    return AutoModelForCausalLM.from_pretrained(os.path.dirname(path), gguf_file=os.path.basename(path),
                                                dtype=torch.float32, attn_implementation=attn).eval()


def make_prompts(model, V, seed):
    g = torch.Generator().manual_seed(seed)
    prompts = []
    for i, L in enumerate(PROMPT_LENGTHS):
        for _ in range(200):
            p = torch.randint(0, V, (L,), generator=g).tolist()
            if i == 1:
                p[-1] = V - 1
            _, _, margins = greedy(model, p)
            if min(margins) >= MIN_MARGIN:
                break
        else:
            raise RuntimeError(f"no prompt of length {L} with margins >= {MIN_MARGIN}")
        prompts.append(p)
    return prompts


def make_refs(name, variant, path, types):
    setup(0)
    eager = load_gguf(path, "eager")
    V = eager.config.vocab_size
    prompts = make_prompts(eager, V, SPECS[name]["prompt_seed"])
    sdpa = load_gguf(path, "sdpa")
    cases, noise, max_abs, same = [], 0.0, 0.0, True
    for p in prompts:
        rows, ids, margins = greedy(eager, p)
        rows_s, ids_s, _ = greedy(sdpa, p)
        same &= ids == ids_s
        if ids == ids_s:
            noise = max(noise, max(float((a - b).abs().max()) for a, b in zip(rows, rows_s)))
        max_abs = max(max_abs, max(float(r.abs().max()) for r in rows))
        cases.append({"prompt_ids": p, "last_logits": f32_list(rows[0]), "greedy_ids": ids,
                      "greedy_margins": [f32(m) for m in margins], "min_margin": f32(min(margins)),
                      "step_logits": [summary(r) for r in rows]})
    ap = [p for p in prompts if len(p) == ALL_POSITIONS_LENGTH][0]
    with torch.no_grad():
        la = eager(input_ids=torch.tensor([ap])).logits[0]
        la_s = sdpa(input_ids=torch.tensor([ap])).logits[0]
    noise = max(noise, float((la - la_s).abs().max()))
    max_abs = max(max_abs, float(la.abs().max()))
    cfg = eager.config
    fname = f"{name}-{variant}.gguf"
    doc = {
        "model": f"gguf-tiny/{fname}",
        "gguf_file": f"Golden/models/gguf-tiny/{fname}",
        "gguf_sha256": sha256(path),
        "reference": f"transformers {transformers.__version__} AutoModelForCausalLM gguf_file= float32 eager",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__, "gguf": version("gguf"),
                     "numpy": np.__version__},
        "dtype_on_disk": variant,
        "tensor_types": dict(sorted(__import__("collections").Counter(types.values()).items())),
        "weights": "dequantized to float32 by transformers' GGUF loader (gguf.quants.dequantize); attn_q/attn_k rows un-permuted",
        "compute": "float32",
        "config": {"vocab_size": V, "hidden_size": cfg.hidden_size, "num_hidden_layers": cfg.num_hidden_layers,
                   "num_attention_heads": cfg.num_attention_heads, "num_key_value_heads": cfg.num_key_value_heads,
                   "head_dim": cfg.head_dim, "intermediate_size": cfg.intermediate_size,
                   "rope_theta": cfg.rope_parameters["rope_theta"], "rms_norm_eps": cfg.rms_norm_eps,
                   "tie_word_embeddings": cfg.tie_word_embeddings},
        "bos_token_id": cfg.bos_token_id, "eos_token_id": cfg.eos_token_id,
        "n_new": N_NEW,
        "ignore_eos": True,
        "greedy": "argmax over the float32 logits, ties to the lowest id; KV-cached, one token per forward after the prompt",
        "min_margin_filter": MIN_MARGIN,
        "tolerance": {"token_ids": "exact", "logits_abs": 1e-3},
        "noise_floor": {"eager_vs_sdpa_max_abs": f32(noise), "max_abs_logit": f32(max_abs), "greedy_ids_equal": bool(same)},
        "min_margin": f32(min(c["min_margin"] for c in cases)),
        "logits_summary": {"top_ids": f"ids of the {TOP_K} largest logits, descending, ties to the lower id",
                           "top_logits": "their logits", "logsumexp": "float64 log-sum-exp of the float32 row, written as float32",
                           "max_abs": "max |logit|", "step": "step_logits[i] is the row greedy_ids[i] was taken from (step 0 = last_logits)"},
        "cases": cases,
        "all_position_logits": {"prompt_ids": ap, "logits": f32_list(la)},
    }
    out = os.path.join(CASES, "backbone", f"gguf-tiny-{name[5:]}-{variant}.json")
    dump_json(out, doc)
    print(f"  {variant:7s} refs: min margin {doc['min_margin']:.4f}, noise {noise:.2e}, max|logit| {max_abs:.1f}, "
          f"sdpa same {same}, {os.path.getsize(out)} B")
    return out


# ---------------------------------------------------------------- README

def write_readme(inventory):
    import collections
    L = ["# gguf-tiny — tiny random-weight Llama models as GGUF files",
         "",
         "Made by `Golden/tools/make_gguf_models.py` (seeded, deterministic: a rerun writes identical files) with",
         "llama.cpp's own `convert_hf_to_gguf.py` and `llama-quantize` (the llama_cpp_python 0.3.36 vendor tree,",
         "`Golden/tools/bench/build_llama_cpp.sh`). The weights are seeded noise (they say nothing); the files exist",
         "to test GGUF reading, every quantization type inside real matmuls, and the GGUF tokenizers.",
         "transformers references (gguf_file=, float32, eager) for each file are in",
         "`Golden/cases/backbone/gguf-tiny-<model>-<variant>.json`; tokenizer expectations in",
         "`Golden/tokenizers/gguf-tiny-gpt2/` and `Golden/tokenizers/gguf-tiny-llama/`.",
         "",
         "| model | tokenizer | shape | embeddings |",
         "| --- | --- | --- | --- |"]
    for name, spec in SPECS.items():
        c = spec["config"]
        tk = ("Golden/tokenizers/gpt2 → `tokenizer.ggml.model` gpt2, pre gpt-2, no BOS" if spec["tokenizer"] == "gpt2" else
              "Golden/tokenizers/llama2 as a SentencePiece tokenizer.model → `tokenizer.ggml.model` llama, scores, BOS")
        L.append(f"| {name} | {tk} | vocab {c['vocab_size']}, hidden {c['hidden_size']}, {c['num_hidden_layers']} layers, "
                 f"{c['num_attention_heads']} heads / {c['num_key_value_heads']} kv heads, head_dim {c['head_dim']}, "
                 f"MLP {c['intermediate_size']}, rope theta {c['rope_theta']:g}, eps {c['rms_norm_eps']:g} | "
                 f"{'tied (no output.weight)' if c['tie_word_embeddings'] else 'untied (output.weight)'} |")
    L += ["", "Files (tensor types as written; F32 are the RMSNorm weights):", "",
          "| file | bytes | tensors by type | token_embd | attn_q / attn_k / attn_v / attn_output | ffn_gate / ffn_up / ffn_down (blk.0; blk.1) |",
          "| --- | --- | --- | --- | --- | --- |"]
    for name, m in inventory.items():
        for v, f in m["files"].items():
            t = f["tensor_types"]
            cnt = ", ".join(f"{n} × {k}" for k, n in sorted(collections.Counter(t.values()).items()))
            attn = " / ".join(t[f"blk.0.attn_{x}.weight"] for x in ("q", "k", "v", "output"))
            ffn = "; ".join(" / ".join(t[f"blk.{i}.ffn_{x}.weight"] for x in ("gate", "up", "down"))
                            for i in range(SPECS[name]["config"]["num_hidden_layers"]))
            attn1 = " / ".join(t[f"blk.1.attn_{x}.weight"] for x in ("q", "k", "v", "output"))
            if attn1 != attn:
                attn += f" (blk.1: {attn1})"
            emb = t["token_embd.weight"] + (f", output {t['output.weight']}" if "output.weight" in t else "")
            L.append(f"| {name}-{v}.gguf | {f['bytes']} | {cnt} | {emb} | {attn} | {ffn} |")
    L += ["",
          "The F32 and F16 conversions of tiny-gpt2 and the F32 one of tiny-llama are not committed (size); the",
          "script leaves them in `Golden/tools/.cache/gguf-tiny/gguf/`. Quantization runs on the F32 file.",
          "",
          "## The q/k row permutation",
          "",
          "`convert_hf_to_gguf.py` (`LlamaModel.permute`) reorders the rows of `attn_q` and `attn_k` from Hugging",
          "Face's rotate-half RoPE layout (pairs (j, j + d/2) within a head) to llama.cpp's adjacent-pair layout",
          "(pairs (2j, 2j + 1)):",
          "",
          "```python",
          "w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)",
          "```",
          "",
          "that is, with d = head_dim, for head h, j < d/2 and s in {0, 1}:",
          "",
          "    gguf_row[h*d + 2*j + s] = hf_row[h*d + s*(d/2) + j]",
          "",
          "with n_head = num_attention_heads for attn_q and n_head = num_key_value_heads for attn_k. attn_v,",
          "attn_output and the MLP are not permuted. The script checks this on the F32 files of both models",
          "(`check_permutation`: the GGUF rows equal the permuted HF rows bit for bit, differ from the",
          "unpermuted ones, and the index form above gives the same matrix). transformers' GGUF loader applies",
          "the inverse when it loads (`gguf_file=`), so its q_proj / k_proj are the HF rows again. A backend that",
          "keeps the GGUF rows must rotate adjacent pairs (x[2j], x[2j+1]) with frequency theta^(-2j/d); one that",
          "un-permutes must move quantized blocks of whole rows (a row is never split by the permutation).",
          "SmolLM2's GGUF (Golden/models/smollm2-135m-instruct) was made the same way.",
          ""]
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------- main

def main():
    if not (os.path.exists(CONVERTER) and os.path.exists(QUANTIZE)):
        sys.exit("make_gguf_models: llama.cpp is missing: run bash Golden/tools/bench/build_llama_cpp.sh")
    os.makedirs(OUT, exist_ok=True)
    inventory = {}
    for name, spec in SPECS.items():
        hf_dir, model = make_hf(name)
        f32_path = convert(name, hf_dir, "f32")
        f16_path = convert(name, hf_dir, "f16")
        perm = check_permutation(f32_path, model)
        print(f"{name}: converted; permutation check passed ({perm['formula']})")
        files = {"F32": f32_path, "F16": f16_path}
        for v in VARIANTS[name]:
            if v not in files:
                files[v] = quantize(name, f32_path, v)
        inventory[name] = {"permutation": perm, "files": {}}
        for v in VARIANTS[name]:
            dst = os.path.join(OUT, f"{name}-{v}.gguf")
            shutil.copy(files[v], dst)
            types = tensor_types(dst)
            inventory[name]["files"][v] = {"bytes": os.path.getsize(dst), "sha256": sha256(dst), "tensor_types": types}
            make_refs(name, v, dst, types)
    with open(os.path.join(CACHE, "inventory.json"), "w") as f:
        json.dump(inventory, f, indent=1)
    write_readme(inventory)
    total = sum(os.path.getsize(os.path.join(OUT, x)) for x in os.listdir(OUT) if x.endswith(".gguf"))
    print(f"committed GGUF bytes: {total}; inventory: {os.path.join(CACHE, 'inventory.json')}")


if __name__ == "__main__":
    main()
