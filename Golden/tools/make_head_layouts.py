"""Writes the other published Medusa head layouts of tiny-mha-f32's heads, for the loader tests.

From Golden/models/tiny-mha-f32/medusa/medusa_lm_head.safetensors (made by train_heads.py):

* Golden/heads/tiny-mha-f32-pt/: medusa_lm_head.pt, a torch.save of the head ModuleList's
  state dict (what the original's training scripts write), with a config.json that claims 5
  heads (the published Vicuna-7B config disagrees with its file the same way).
* Golden/heads/tiny-mha-f32-medusa2/: a full Medusa-2 checkpoint, the backbone's tensors and
  `medusa_head.*` tensors in one sharded safetensors folder.
* Golden/heads/tiny-mha-f32-shared2/: heads with medusa_num_layers = 2 built like the original,
  `nn.Sequential(*([ResBlock(h)] * 2), nn.Linear)`: one ResBlock object used twice. Saved with
  safetensors' save_model, which keeps one copy of shared tensors (layer 0 only). The expected
  logits of each head for a fixed hidden state, computed by torch, go to expected.json.

    python Golden/tools/make_head_layouts.py
"""

import json
import os
import shutil

import torch
from safetensors.torch import load_file, save_file, save_model

ROOT = os.path.join(os.path.dirname(__file__), "..")
MODEL = os.path.join(ROOT, "models", "tiny-mha-f32")
OUT = os.path.join(ROOT, "heads")


class ResBlock(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.linear = torch.nn.Linear(hidden, hidden)
        self.act = torch.nn.SiLU()

    def forward(self, x):
        return x + self.act(self.linear(x))


def main():
    torch.manual_seed(0)
    heads = load_file(os.path.join(MODEL, "medusa", "medusa_lm_head.safetensors"))
    count = 1 + max(int(name.split(".")[0]) for name in heads)
    hidden = heads["0.0.linear.weight"].shape[0]
    vocab = heads["0.1.weight"].shape[0]

    pt = os.path.join(OUT, "tiny-mha-f32-pt")
    os.makedirs(pt, exist_ok=True)
    torch.save(dict(heads), os.path.join(pt, "medusa_lm_head.pt"))
    with open(os.path.join(pt, "config.json"), "w") as f:
        json.dump({"medusa_num_heads": count + 1, "medusa_num_layers": 1}, f, indent=2)

    full = os.path.join(OUT, "tiny-mha-f32-medusa2")
    os.makedirs(full, exist_ok=True)
    for name in ("config.json", "generation_config.json"):
        shutil.copy(os.path.join(MODEL, name), full)
    backbone = load_file(os.path.join(MODEL, "model.safetensors"))
    save_file(backbone, os.path.join(full, "model-00001-of-00002.safetensors"))
    medusa = {"medusa_head." + name: value for name, value in heads.items()}
    save_file(medusa, os.path.join(full, "model-00002-of-00002.safetensors"))
    weight_map = {name: "model-00001-of-00002.safetensors" for name in backbone}
    weight_map.update({name: "model-00002-of-00002.safetensors" for name in medusa})
    with open(os.path.join(full, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {}, "weight_map": dict(sorted(weight_map.items()))}, f, indent=2)

    shared = os.path.join(OUT, "tiny-mha-f32-shared2")
    os.makedirs(shared, exist_ok=True)
    modules = torch.nn.ModuleList()
    for _ in range(count):
        block = ResBlock(hidden)
        torch.nn.init.normal_(block.linear.weight, std=0.05)
        torch.nn.init.normal_(block.linear.bias, std=0.05)
        projection = torch.nn.Linear(hidden, vocab, bias=False)
        torch.nn.init.normal_(projection.weight, std=0.2)
        modules.append(torch.nn.Sequential(*([block] * 2), projection))
    save_model(modules, os.path.join(shared, "medusa_lm_head.safetensors"))
    with open(os.path.join(shared, "config.json"), "w") as f:
        json.dump({"medusa_num_heads": count, "medusa_num_layers": 2}, f, indent=2)
    hidden_state = torch.randn(hidden)
    with torch.no_grad():
        logits = [head(hidden_state).tolist() for head in modules]
    with open(os.path.join(shared, "expected.json"), "w") as f:
        json.dump({"hidden": hidden_state.tolist(), "logits": logits}, f)


if __name__ == "__main__":
    main()
