"""Two Medusa-1 training steps in PyTorch, the reference for Swift's hand-written backward
passes and optimizer (Tests/MedusaTests/TrainingReferenceStepTests.swift).

Shape: K = 2 heads, L = 2 ResBlocks each (distinct), hidden 16, vocabulary 24, 6 rows, some
targets ignored (-100). The heads are the original's (medusa_model.py: ResBlock(x) = x +
SiLU(Linear(x)), then Linear(H, V, bias=False)), with random non-zero weights so every
path of the backward pass is exercised. Loss: sum over heads of lambda_k * CrossEntropyLoss
(mean over rows with a target), lambda = (1, 0.8). Then clip_grad_norm_(1.0) (active: the norm
is above 1), torch.optim.AdamW(lr from Hugging Face's cosine schedule with warmup 0 over 1000
steps, betas (0.9, 0.999), eps 1e-8, weight_decay 0.1). The same batch is used twice, so step 2
runs with non-zero moments.

Writes Golden/cases/training/step.json: shape, inputs, initial parameters in the Swift packing
order ({k}.{l}.linear.weight, {k}.{l}.linear.bias, ..., {k}.{L}.weight), the step-1 loss,
per-head losses, pre-clipping gradient norm and gradients, and the parameters after steps 1
and 2. Run: python Golden/tools/training/reference_step.py (torch 2.x, CPU, float32).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

K, L, H, V, ROWS = 2, 2, 16, 24, 6
LAMBDA = [1.0, 0.8]
LR, WD, STEPS = 0.01, 0.1, 1000
OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cases", "training", "step.json"))


class ResBlock(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.linear = nn.Linear(hidden, hidden)

    def forward(self, x):
        return x + F.silu(self.linear(x))


def lr_at(step):
    # get_cosine_schedule_with_warmup, warmup 0.
    return LR * max(0.0, 0.5 * (1.0 + math.cos(math.pi * step / STEPS)))


def main():
    torch.manual_seed(1234)
    heads = nn.ModuleList(
        nn.Sequential(*[ResBlock(H) for _ in range(L)], nn.Linear(H, V, bias=False)) for _ in range(K))
    with torch.no_grad():
        for p in heads.parameters():
            p.copy_(torch.randn(p.shape) * 0.4)
    hidden = torch.randn(ROWS, H)
    targets = torch.randint(0, V, (ROWS, K))
    targets[1, 0] = -100
    targets[4, 1] = -100
    targets[5, 1] = -100
    params = [p for p in heads.parameters()]
    names = [n for n, _ in heads.named_parameters()]
    initial = [p.detach().clone() for p in params]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD)
    record = {}
    for step in range(2):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad()
        losses = [F.cross_entropy(heads[k](hidden), targets[:, k], ignore_index=-100) for k in range(K)]
        loss = sum(LAMBDA[k] * losses[k] for k in range(K))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        if step == 0:
            record["loss"] = float(loss.detach())
            record["head_losses"] = [float(x.detach()) for x in losses]
            record["gradient_norm"] = float(norm)
            # clip_grad_norm_ scaled the gradients in place: undo to report the raw gradient.
            scale = min(1.0, 1.0 / (float(norm) + 1e-6))
            record["gradients"] = [(p.grad / scale).flatten().tolist() for p in params]
        opt.step()
        record[f"parameters_after_step_{step + 1}"] = [p.detach().flatten().tolist() for p in params]
    case = {
        "description": "two Medusa-1 steps (same batch) from Golden/tools/training/reference_step.py",
        "torch_version": torch.__version__,
        "heads": K, "layers": L, "hidden_size": H, "vocab_size": V, "rows": ROWS,
        "loss_weights": LAMBDA, "learning_rate": LR, "weight_decay": WD, "steps": STEPS,
        "warmup_steps": 0, "max_grad_norm": 1.0, "betas": [0.9, 0.999], "eps": 1e-8,
        "tensor_names": names,
        "hidden": hidden.flatten().tolist(),
        "targets": targets.flatten().tolist(),
        "parameters": [p.flatten().tolist() for p in initial],
        **record,
    }
    with open(OUT, "w") as f:
        json.dump(case, f)
        f.write("\n")
    print(f"wrote {OUT}: loss {record['loss']:.6f}, |g| {record['gradient_norm']:.4f}")


if __name__ == "__main__":
    main()
