"""Create the tiny Golden Llama models (seeded random weights) in Hugging Face layout.

Golden/models/NAME/{config.json, generation_config.json, model*.safetensors[, index]}

Weights are drawn with a seeded torch generator at scales chosen so that the random model has
clear top-1 margins and varied greedy continuations (the default initializer_range 0.02 gives
near-uniform logits):
  embed_tokens ~ N(0, 1), attention/MLP projections ~ N(0, gain/sqrt(fan_in)) (gain 0.7 / attention 0.5,
  MLP 2.0 / 0.8: large enough for varied continuations, small enough that they are predictable
  and the Medusa heads learn them), final norm of the tied model with random signs (see init_weights),
  biases ~ N(0, 0.1), RMSNorm weights ~ 1 + N(0, 0.1), untied lm_head ~ N(0, LOGIT/sqrt(hidden)).
The weights are drawn in float32 and then stored in the model dtype (f32 / f16 / bf16).
"""
import json
import os
import shutil

from common import MODELS, setup

import torch
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

SPECS = {
    "tiny-mha-f32": dict(
        seed=1001,
        dtype=torch.float32,
        config=dict(vocab_size=320, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=4, intermediate_size=176, tie_word_embeddings=False,
                    rope_theta=10000.0, rms_norm_eps=1e-5, max_position_embeddings=256,
                    bos_token_id=1, eos_token_id=2),
        shard=None,
        init=dict(attn_gain=0.7, mlp_gain=0.7, logit_std=6.0),
    ),
    "tiny-gqa-f16": dict(
        seed=1002,
        dtype=torch.float16,
        config=dict(vocab_size=384, hidden_size=96, num_hidden_layers=3, num_attention_heads=6,
                    num_key_value_heads=2, intermediate_size=256, tie_word_embeddings=True,
                    rope_theta=500000.0,
                    rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
                    rms_norm_eps=1e-5, max_position_embeddings=512,
                    bos_token_id=1, eos_token_id=[2, 3]),
        shard="250KB",
        init=dict(attn_gain=0.5, mlp_gain=2.0, logit_std=None, signed_final_norm=True),
    ),
    "tiny-bf16-bias": dict(
        seed=1003,
        dtype=torch.bfloat16,
        config=dict(vocab_size=448, hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=48, intermediate_size=320,
                    attention_bias=True, mlp_bias=True, tie_word_embeddings=False,
                    rope_theta=10000.0, rms_norm_eps=1e-6, max_position_embeddings=256,
                    bos_token_id=1, eos_token_id=2),
        shard=None,
        init=dict(attn_gain=0.8, mlp_gain=0.8, logit_std=6.0),
    ),
}


def init_weights(model, spec):
    g = torch.Generator().manual_seed(spec["seed"])
    cfg = model.config
    ini = spec["init"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("embed_tokens.weight"):
                p.copy_(torch.randn(p.shape, generator=g) * ini.get("embed_std", 1.0))
            elif name == "lm_head.weight":
                if cfg.tie_word_embeddings:
                    continue
                p.copy_(torch.randn(p.shape, generator=g) * ini["logit_std"] / cfg.hidden_size ** 0.5)
            elif name == "model.norm.weight" and ini.get("signed_final_norm"):
                # random signs: with tied embeddings, E[x] in the residual stream would otherwise
                # make every token predict itself (logit E[x].E[x] = |E[x]|^2)
                sign = torch.randint(0, 2, p.shape, generator=g) * 2.0 - 1.0
                p.copy_(sign * (1.0 + 0.1 * torch.randn(p.shape, generator=g)))
            elif "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 2:
                gain = ini["mlp_gain"] if ".mlp." in name else ini["attn_gain"]
                p.copy_(torch.randn(p.shape, generator=g) * gain / p.shape[1] ** 0.5)
            else:
                raise RuntimeError(f"unhandled parameter {name}")


def make(name):
    spec = SPECS[name]
    setup(spec["seed"])
    config = LlamaConfig(**spec["config"])
    model = LlamaForCausalLM(config)
    init_weights(model, spec)
    model = model.to(spec["dtype"])
    out = os.path.join(MODELS, name)
    # keep medusa/ (trained heads) if present; rewrite everything else
    for f in os.listdir(out) if os.path.isdir(out) else []:
        if f.startswith("model") or f.endswith("config.json"):
            os.remove(os.path.join(out, f))
    kw = {"max_shard_size": spec["shard"]} if spec["shard"] else {}
    model.save_pretrained(out, safe_serialization=True, **kw)
    gen = GenerationConfig(bos_token_id=config.bos_token_id, eos_token_id=config.eos_token_id,
                           do_sample=False)
    gen.save_pretrained(out)
    files = sorted(os.listdir(out))
    print(name, files)
    return out


def main():
    for name in SPECS:
        make(name)


if __name__ == "__main__":
    main()
