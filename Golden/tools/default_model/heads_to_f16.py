"""Stores heads written by `medusa train-heads` (f32 master weights) in float16, the dtype of
the default model, as the original Medusa stores heads in the model's dtype.

    python Golden/tools/default_model/heads_to_f16.py HEADS_DIR Golden/models/default/medusa

Copies config.json and writes medusa_lm_head.safetensors; the tensor names are unchanged.
"""

import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file


def main():
    source, target = sys.argv[1], sys.argv[2]
    os.makedirs(target, exist_ok=True)
    tensors = load_file(os.path.join(source, "medusa_lm_head.safetensors"))
    save_file({name: value.to(torch.float16).contiguous() for name, value in sorted(tensors.items())},
              os.path.join(target, "medusa_lm_head.safetensors"))
    with open(os.path.join(source, "config.json")) as f:
        config = json.load(f)
    config["dtype"] = "float16"
    with open(os.path.join(target, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
