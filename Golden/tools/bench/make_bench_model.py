"""Writes a random-weight Llama model of a real shape for `medusa bench` (not committed).

The weights are seeded noise, so the model says nothing; it exists to measure speed on a
model far larger than the L3 cache, where decoding is memory-bandwidth bound.

    python Golden/tools/bench/make_bench_model.py --shape tinyllama-1.1b --dtype f16 --out /tmp/bench/tinyllama-f16

Shapes: tinyllama-1.1b (hidden 2048, 22 layers, 32 heads, 4 kv heads, MLP 5632, vocab 32000)
and smollm-135m (hidden 576, 30 layers, 9 heads, 3 kv heads, MLP 1536, vocab 49152, tied).
With --heads K it also writes K random Medusa heads (1 ResBlock each) under OUT/medusa
Needs torch, numpy and safetensors (Golden/tools/requirements.txt).
"""

import argparse
import json
import os

import numpy as np
import torch
from safetensors.torch import save_file

SHAPES = {
    "tinyllama-1.1b": dict(
        hidden_size=2048, num_hidden_layers=22, num_attention_heads=32, num_key_value_heads=4,
        intermediate_size=5632, vocab_size=32000, tie_word_embeddings=False),
    "smollm-135m": dict(
        hidden_size=576, num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3,
        intermediate_size=1536, vocab_size=49152, tie_word_embeddings=True),
}
DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}


def tensor(rng, shape, dtype, scale):
    values = rng.standard_normal(shape, dtype=np.float32) * scale
    return torch.from_numpy(values).to(DTYPES[dtype])


def ones(count):
    return torch.ones(count, dtype=torch.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", choices=sorted(SHAPES), default="tinyllama-1.1b")
    parser.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16")
    parser.add_argument("--out", required=True)
    parser.add_argument("--heads", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shape = SHAPES[args.shape]
    rng = np.random.default_rng(args.seed)
    hidden = shape["hidden_size"]
    head_dim = hidden // shape["num_attention_heads"]
    kv = shape["num_key_value_heads"] * head_dim
    inter = shape["intermediate_size"]
    vocab = shape["vocab_size"]
    s = 1 / np.sqrt(hidden)
    tensors = {"model.embed_tokens.weight": tensor(rng, (vocab, hidden), args.dtype, 1.0),
               "model.norm.weight": ones(hidden)}
    if not shape["tie_word_embeddings"]:
        tensors["lm_head.weight"] = tensor(rng, (vocab, hidden), args.dtype, s)
    for i in range(shape["num_hidden_layers"]):
        p = f"model.layers.{i}."
        tensors[p + "self_attn.q_proj.weight"] = tensor(rng, (hidden, hidden), args.dtype, s)
        tensors[p + "self_attn.k_proj.weight"] = tensor(rng, (kv, hidden), args.dtype, s)
        tensors[p + "self_attn.v_proj.weight"] = tensor(rng, (kv, hidden), args.dtype, s)
        tensors[p + "self_attn.o_proj.weight"] = tensor(rng, (hidden, hidden), args.dtype, s)
        tensors[p + "mlp.gate_proj.weight"] = tensor(rng, (inter, hidden), args.dtype, s)
        tensors[p + "mlp.up_proj.weight"] = tensor(rng, (inter, hidden), args.dtype, s)
        tensors[p + "mlp.down_proj.weight"] = tensor(rng, (hidden, inter), args.dtype, 1 / np.sqrt(inter))
        tensors[p + "input_layernorm.weight"] = ones(hidden)
        tensors[p + "post_attention_layernorm.weight"] = ones(hidden)
    os.makedirs(args.out, exist_ok=True)
    save_file(tensors, os.path.join(args.out, "model.safetensors"))
    config = dict(shape, model_type="llama", architectures=["LlamaForCausalLM"], hidden_act="silu",
                  max_position_embeddings=2048, rms_norm_eps=1e-5, rope_theta=10000.0,
                  bos_token_id=1, eos_token_id=2)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    if args.heads:
        heads = {}
        for k in range(args.heads):
            heads[f"{k}.0.linear.weight"] = tensor(rng, (hidden, hidden), args.dtype, s)
            heads[f"{k}.0.linear.bias"] = torch.zeros(hidden, dtype=torch.float32)
            heads[f"{k}.1.weight"] = tensor(rng, (vocab, hidden), args.dtype, s)
        os.makedirs(os.path.join(args.out, "medusa"), exist_ok=True)
        save_file(heads, os.path.join(args.out, "medusa", "medusa_lm_head.safetensors"))
        with open(os.path.join(args.out, "medusa", "config.json"), "w") as f:
            json.dump({"medusa_num_heads": args.heads, "medusa_num_layers": 1}, f)


if __name__ == "__main__":
    main()
