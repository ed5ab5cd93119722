"""Two Medusa-2 training steps in PyTorch (backbone and heads trained jointly, Medusa paper
section 2.2.2), the reference for Swift's hand-written Medusa-2 backward pass and optimizer.

The semantics are those of the original Medusa-2 training code (FasterDecoding's axolotl fork,
medusa_utils.py: add_medusa_heads / replace_compute_loss / replace_create_optimizer):

Model. transformers LlamaForCausalLM, float32, attn_implementation="eager", CPU, plus K Medusa
heads attached to it as `medusa_head` (so parameter names are those of the original's full
checkpoint): medusa_head[k] = nn.Sequential(ResBlock(H), nn.Linear(H, V, bias=False)), ResBlock(x)
= x + SiLU(Linear(H, H)(x)) (bias=True); L = 1 ResBlock per head.

Forward. hidden = model.model(input_ids).last_hidden_state (after the final RMSNorm, no attention
mask: plain causal); logits[0] = lm_head(hidden); logits[i] = medusa_head[i-1](hidden), i = 1..K.

Loss. For i = 0..K: li = logits[i][:, :-(1+i)].reshape(-1, V), yi = labels[:, 1+i:].reshape(-1).
  i = 0, mode "ce": loss_0 = CrossEntropyLoss()(l0, y0) (mean over rows whose label != -100).
  i = 0, mode "kl" (self-distillation, section 2.3.2): the teacher is the same backbone with the
    original (saved, un-perturbed) weights, under no_grad; t0 = teacher_logits[:, :-1].reshape(-1, V),
    mask = y0 != -100, loss_0 = kl_div(log_softmax(l0[mask]), softmax(t0[mask]), "sum") / l0.shape[0]
    -- the divisor counts ALL B*(S-1) rows, masked ones included, as the original does.
  i >= 1: loss_i = CrossEntropyLoss()(li, yi), weighted by decay**i * coefficient (decay 0.8,
    coefficient lambda_0 = 0.2, medusa scheduler "constant").
  total = loss_0 + sum_{i>=1} loss_i * decay**i * coefficient.

Step. loss.backward(); clip_grad_norm_(all parameters, 1.0) (active: the pre-clip norm is > 1,
asserted); torch.optim.AdamW(betas (0.9, 0.999), eps 1e-8) with the original create_optimizer's
three groups: (1) backbone decay parameters (Trainer.get_decay_parameter_names: every weight
matrix incl. embeddings and lm_head, no bias, no norm weight): lr LR, weight_decay WD; (2) Medusa
head decay parameters (the heads' Linear weights: ResBlock linears and projections): lr LR * MULT,
weight_decay WD; (3) every bias and every RMSNorm weight, backbone and heads: lr LR, weight_decay 0.
LR 0.01, MULT 4.0, WD 0.1. Schedule: transformers.get_cosine_schedule_with_warmup(warmup 0, 10
total steps), i.e. each group's lr = its initial lr * 0.5 * (1 + cos(pi * step / 10)). Two steps
on the same batch (step 2 has non-zero moments and, in "kl" mode, a student != teacher).

Cases (each with its own seeded random model, written to Golden/cases/training/medusa2/<case>/):
  gqa-tied-kl        GQA (4 heads / 2 kv heads, head_dim 8), tied embeddings, llama3 rope
                     scaling, no biases, mode "kl", K = 3. The saved model is the teacher; the
                     student's initial backbone = teacher + 0.02 * randn on every parameter.
  mha-untied-bias-ce MHA (4 / 4), untied lm_head, attention and MLP biases, default rope (theta
                     1e4), mode "ce", K = 2. The student's initial backbone = the saved model.
Both: hidden 32, 2 layers, intermediate 48, vocabulary 64; RMSNorm weights 1 + 0.1 * randn;
heads: ResBlock weights and biases randn * 0.3, projections randn * 0.1; batch B = 2, S = 10,
ids uniform in [0, 64), labels = ids with labels[0, 0:3] = -100 and labels[1, 7] = -100.

Files per case: config.json + model.safetensors (the saved backbone, f32, Hugging Face layout);
reference.safetensors with initial.NAME, grad.NAME (step 1, before clipping) and step2.NAME
(after two AdamW steps) for every trainable parameter NAME (model.state_dict() names for the
backbone -- tied: only model.embed_tokens.weight, whose gradient sums both uses -- and
medusa_head.{k}.0.linear.weight / .bias, medusa_head.{k}.1.weight for the heads); reference.json
with the inputs, options, the optimizer groups, step-1 losses and pre-clip gradient norm, and
the step-2 loss.

Run: Golden/tools/.cache/venv-torch/bin/python Golden/tools/training/medusa2_reference.py
(torch 2.13.0+cpu, transformers 5.24.0, safetensors 0.8.0; see Golden/tools/requirements.txt).
"""
import copy
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import transformers
from safetensors.torch import load_file, save_file
from transformers import LlamaConfig, LlamaForCausalLM, Trainer, get_cosine_schedule_with_warmup

OUT_ROOT = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "cases", "training", "medusa2"))

B, S = 2, 10
IGNORE = -100
LR, MULT, WD = 0.01, 4.0, 0.1
BETAS, EPS = (0.9, 0.999), 1e-8
MAX_GRAD_NORM = 1.0
HEADS_COEFFICIENT, DECAY_COEFFICIENT = 0.2, 0.8
TOTAL_STEPS, WARMUP_STEPS = 10, 0
HEAD_LAYERS = 1

CASES = [
    {
        "name": "gqa-tied-kl", "seed": 20240601, "mode": "kl", "heads": 3, "student_noise": 0.02,
        "config": dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            head_dim=8, intermediate_size=48, vocab_size=64, tie_word_embeddings=True,
            max_position_embeddings=64, rms_norm_eps=1e-5, attention_bias=False, mlp_bias=False,
            rope_parameters={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 16,
                             "rope_theta": 500000.0}),
    },
    {
        "name": "mha-untied-bias-ce", "seed": 20240602, "mode": "ce", "heads": 2, "student_noise": 0.0,
        "config": dict(
            hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
            head_dim=8, intermediate_size=48, vocab_size=64, tie_word_embeddings=False,
            max_position_embeddings=64, rms_norm_eps=1e-5, attention_bias=True, mlp_bias=True,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
    },
]


class ResBlock(nn.Module):
    """The original's ResBlock: x + SiLU(Linear(x)), Linear with bias."""

    def __init__(self, hidden):
        super().__init__()
        self.linear = nn.Linear(hidden, hidden)
        self.act = nn.SiLU()

    def forward(self, x):
        return x + self.act(self.linear(x))


def make_teacher(case):
    config = LlamaConfig(**case["config"], bos_token_id=None, eos_token_id=None, pad_token_id=None)
    config._attn_implementation = "eager"
    model = LlamaForCausalLM(config).to(torch.float32)
    model.config._attn_implementation = "eager"
    with torch.no_grad():
        for name, module in model.named_modules():
            if type(module).__name__ == "LlamaRMSNorm":
                module.weight.copy_(1.0 + 0.1 * torch.randn(module.weight.shape))
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape))
    model.eval()  # no dropout anywhere (attention_dropout is 0 anyway)
    return model


def add_heads(model, K, hidden, vocab):
    # As in the original's add_medusa_heads, the heads hang off the LlamaForCausalLM itself.
    model.medusa_head = nn.ModuleList(
        nn.Sequential(*[ResBlock(hidden) for _ in range(HEAD_LAYERS)], nn.Linear(hidden, vocab, bias=False))
        for _ in range(K))
    with torch.no_grad():
        for k in range(K):
            for l in range(HEAD_LAYERS):
                blk = model.medusa_head[k][l]
                blk.linear.weight.copy_(0.3 * torch.randn(blk.linear.weight.shape))
                blk.linear.bias.copy_(0.3 * torch.randn(blk.linear.bias.shape))
            proj = model.medusa_head[k][HEAD_LAYERS]
            proj.weight.copy_(0.1 * torch.randn(proj.weight.shape))


def medusa_logits(model, input_ids):
    hidden = model.model(input_ids=input_ids).last_hidden_state
    out = [model.lm_head(hidden)]
    for head in model.medusa_head:
        out.append(head(hidden))
    return out


def kl_loss0(l0, t0, y0):
    mask = y0.ne(IGNORE)
    return F.kl_div(F.log_softmax(l0[mask], dim=-1), F.softmax(t0[mask], dim=-1),
                    reduction="sum") / l0.shape[0]


def compute_loss(model, input_ids, labels, mode, teacher_logits):
    logits = medusa_logits(model, input_ids)
    V = logits[0].shape[-1]
    loss_fct = nn.CrossEntropyLoss()
    total, loss_0, head_losses = 0.0, None, []
    for i, lg in enumerate(logits):
        li = lg[:, : -(1 + i)].contiguous().view(-1, V)
        yi = labels[:, 1 + i:].contiguous().view(-1)
        if i == 0:
            if mode == "kl":
                t0 = teacher_logits[:, :-1].contiguous().view(-1, V)
                loss_i = kl_loss0(li, t0, yi)
            else:
                loss_i = loss_fct(li, yi)
            loss_0 = loss_i
            total = total + loss_i
        else:
            loss_i = loss_fct(li, yi)
            head_losses.append(loss_i)
            total = total + loss_i * DECAY_COEFFICIENT ** i * HEADS_COEFFICIENT * 1.0  # "constant"
    return total, loss_0, head_losses


def optimizer_groups(model):
    # replace_create_optimizer: decay parameters from Trainer.get_decay_parameter_names (its
    # body does not use self); Medusa-head decay params get lr * multiplier; everything else
    # (biases and norm weights, backbone and heads) goes in a no-decay group at the base lr.
    decay = set(Trainer.get_decay_parameter_names(None, model))
    named = list(model.named_parameters())  # tied weights appear once
    g_backbone = [n for n, p in named if p.requires_grad and n in decay and "medusa_head" not in n]
    g_heads = [n for n, p in named if p.requires_grad and n in decay and "medusa_head" in n]
    g_nodecay = [n for n, p in named if p.requires_grad and n not in decay]
    # The spec's rule, checked: decay = every Linear/Embedding weight, nothing else.
    for n, p in named:
        is_matrix = n.endswith(".weight") and "norm" not in n
        assert (n in decay) == is_matrix, n
        assert (n in decay) == (p.ndim == 2), n
    return g_backbone, g_heads, g_nodecay


def run_case(case):
    name, mode, K = case["name"], case["mode"], case["heads"]
    out_dir = os.path.join(OUT_ROOT, name)
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(case["seed"])

    teacher = make_teacher(case)
    cfg = teacher.config
    H, V = cfg.hidden_size, cfg.vocab_size
    teacher.save_pretrained(out_dir, safe_serialization=True)
    # Round-trip: what is on disk is exactly the teacher.
    on_disk = load_file(os.path.join(out_dir, "model.safetensors"))
    sd = teacher.state_dict()
    for n, t in on_disk.items():
        assert t.dtype == torch.float32, n
        assert torch.equal(t, sd[n]), n
    reloaded = LlamaForCausalLM.from_pretrained(out_dir, dtype=torch.float32, attn_implementation="eager")
    reloaded.eval()

    # Batch.
    input_ids = torch.randint(0, V, (B, S))
    labels = input_ids.clone()
    labels[0, 0:3] = IGNORE
    labels[1, 7] = IGNORE

    with torch.no_grad():
        teacher_logits = teacher(input_ids=input_ids).logits.detach()
        assert torch.allclose(reloaded(input_ids=input_ids).logits, teacher_logits, atol=1e-6, rtol=0)
    for p in teacher.parameters():
        p.requires_grad_(False)

    # Student: backbone copy (+ noise), then the heads.
    student = copy.deepcopy(teacher)
    for p in student.parameters():
        p.requires_grad_(True)
    if case["student_noise"] > 0:
        with torch.no_grad():
            for n, p in student.named_parameters():
                p.add_(case["student_noise"] * torch.randn(p.shape))
    if cfg.tie_word_embeddings:
        assert student.lm_head.weight is student.model.embed_tokens.weight
    add_heads(student, K, H, V)
    student.train()  # no dropout in this model: train/eval give the same numbers

    # Sanity: at the teacher's own weights the KL term is 0.
    if mode == "kl":
        with torch.no_grad():
            hid = teacher.model(input_ids=input_ids).last_hidden_state
            l0 = teacher.lm_head(hid)[:, :-1].reshape(-1, V)
            t0 = teacher_logits[:, :-1].reshape(-1, V)
            y0 = labels[:, 1:].reshape(-1)
            self_kl = float(kl_loss0(l0, t0, y0))
        assert abs(self_kl) < 1e-6, self_kl

    params = dict(student.named_parameters())
    names = list(params.keys())
    g_backbone, g_heads, g_nodecay = optimizer_groups(student)
    assert sorted(g_backbone + g_heads + g_nodecay) == sorted(names)
    optimizer = torch.optim.AdamW([
        {"params": [params[n] for n in g_backbone], "weight_decay": WD},
        {"params": [params[n] for n in g_heads], "weight_decay": WD, "lr": LR * MULT},
        {"params": [params[n] for n in g_nodecay], "weight_decay": 0.0},
    ], lr=LR, betas=BETAS, eps=EPS)
    scheduler = get_cosine_schedule_with_warmup(optimizer, WARMUP_STEPS, TOTAL_STEPS)
    base_lrs = [LR, LR * MULT, LR]

    initial = {n: p.detach().clone() for n, p in params.items()}
    record, grads = {}, {}
    for step in range(2):
        factor = 0.5 * (1.0 + math.cos(math.pi * step / TOTAL_STEPS))
        for g, base in zip(optimizer.param_groups, base_lrs):
            assert abs(g["lr"] - base * factor) < 1e-12 * base, (g["lr"], base * factor)
        optimizer.zero_grad(set_to_none=True)
        loss, loss_0, head_losses = compute_loss(student, input_ids, labels, mode, teacher_logits)
        loss.backward()
        if step == 0:
            grads = {n: p.grad.detach().clone() for n, p in params.items()}
        norm = float(torch.nn.utils.clip_grad_norm_(list(params.values()), MAX_GRAD_NORM))
        rec = {"loss": float(loss.detach()), "loss_0": float(loss_0.detach()),
               "head_losses": [float(x.detach()) for x in head_losses], "grad_norm": norm,
               "lr_factor": factor}
        record[f"step{step + 1}"] = rec
        optimizer.step()
        scheduler.step()

    step1 = record["step1"]
    assert step1["grad_norm"] > MAX_GRAD_NORM, step1["grad_norm"]
    manual_norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads.values()))
    assert abs(manual_norm - step1["grad_norm"]) < 1e-4 * manual_norm
    final = {n: p.detach().clone() for n, p in params.items()}
    for n in names:
        assert not torch.equal(final[n], initial[n]), f"{n} did not move"
        assert grads[n].abs().max() > 0, f"{n} has a zero gradient"

    tensors = {}
    for n in names:
        tensors[f"initial.{n}"] = initial[n].contiguous()
        tensors[f"grad.{n}"] = grads[n].contiguous()
        tensors[f"step2.{n}"] = final[n].contiguous()
    for t in tensors.values():
        assert t.dtype == torch.float32
    save_file(tensors, os.path.join(out_dir, "reference.safetensors"))

    reference = {
        "case": name,
        "mode": mode,
        "heads": K,
        "head_layers": HEAD_LAYERS,
        "input_ids": input_ids.tolist(),
        "labels": labels.tolist(),
        "options": {
            "learning_rate": LR, "head_lr_multiplier": MULT, "weight_decay": WD,
            "beta1": BETAS[0], "beta2": BETAS[1], "epsilon": EPS, "max_grad_norm": MAX_GRAD_NORM,
            "heads_coefficient": HEADS_COEFFICIENT, "decay_coefficient": DECAY_COEFFICIENT,
            "total_steps": TOTAL_STEPS, "warmup_steps": WARMUP_STEPS,
        },
        "optimizer_groups": {
            "backbone_decay": g_backbone, "heads_decay": g_heads, "no_decay": g_nodecay,
        },
        "step1": {k: step1[k] for k in ("loss", "loss_0", "head_losses", "grad_norm")},
        "step2": {"loss": record["step2"]["loss"], "loss_0": record["step2"]["loss_0"],
                  "head_losses": record["step2"]["head_losses"],
                  "grad_norm": record["step2"]["grad_norm"]},
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
    }
    if mode == "kl":
        reference["teacher_self_kl"] = self_kl
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
        f.write("\n")

    print(f"== {name} (mode {mode}, K {K}, tied {cfg.tie_word_embeddings})")
    print(f"   step1 loss {step1['loss']:.8f}  loss_0 {step1['loss_0']:.8f}  heads "
          + " ".join(f"{x:.6f}" for x in step1["head_losses"]))
    print(f"   step1 pre-clip grad norm {step1['grad_norm']:.6f}; step2 loss {record['step2']['loss']:.8f}"
          + (f"; teacher self-KL {self_kl:.3e}" if mode == "kl" else ""))
    groups = {"backbone weights": g_backbone, "head weights": g_heads, "biases+norms": g_nodecay}
    for gname, gnames in groups.items():
        m = max(float(grads[n].abs().max()) for n in gnames)
        d = max(float((final[n] - initial[n]).abs().max()) for n in gnames)
        print(f"   {gname:17s} {len(gnames):2d} tensors  max|grad| {m:.4e}  max|step2-initial| {d:.4e}")
    for fn in sorted(os.listdir(out_dir)):
        print(f"   {fn}: {os.path.getsize(os.path.join(out_dir, fn))} bytes")


def main():
    torch.set_default_dtype(torch.float32)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    for case in CASES:
        run_case(case)


if __name__ == "__main__":
    main()
