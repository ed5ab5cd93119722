#!/usr/bin/env bash
# make_gguf_tiny_heads.sh — Medusa heads that share the base LM head, made by this package for the
# quantized tiny GGUF model (Golden/models/gguf-tiny/tiny-gpt2-Q4_K_M.gguf: random weights, Q4_K/Q6_K
# blocks, tied Q6_K LM head). They let MedusaTests check greedy Medusa == greedy AR on a quantized
# model with heads in the `medusa_head_projection: base_lm_head` layout.
#
#   bash Golden/tools/make_gguf_tiny_heads.sh      # ~2 minutes on 2 cores, after a release build
#
# Deterministic: seeded prompts, greedy distillation, seeded training; the kernels are
# thread-count invariant, so a rerun writes the same bytes. Writes
# Golden/heads/tiny-gpt2-Q4_K_M-shared/{medusa_lm_head.safetensors (F16), config.json}.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SCRATCH="${SCRATCH:-.build-heads}"
MEDUSA="$ROOT/$SCRATCH/release/medusa"
MODEL="$ROOT/Golden/models/gguf-tiny/tiny-gpt2-Q4_K_M.gguf"
OUT="$ROOT/Golden/heads/tiny-gpt2-Q4_K_M-shared"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

[ -x "$MEDUSA" ] || (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH")

python3 - "$WORK" <<'PYEOF'
import json, random, sys
r = random.Random(7)
prompts = [json.dumps({"ids": [r.randrange(2000) for _ in range(r.randint(1, 16))]}) for _ in range(700)]
open(sys.argv[1] + "/train.jsonl", "w").write("\n".join(prompts[:600]) + "\n")
open(sys.argv[1] + "/held.jsonl", "w").write("\n".join(prompts[600:]) + "\n")
PYEOF

"$MEDUSA" distill --model "$MODEL" --prompts "$WORK/train.jsonl" --out "$WORK/dtrain" \
  --max-new-tokens 48 --ignore-eos
"$MEDUSA" distill --model "$MODEL" --prompts "$WORK/held.jsonl" --out "$WORK/dheld" \
  --max-new-tokens 48 --ignore-eos
"$MEDUSA" train-heads --model "$MODEL" --data "$WORK/dtrain" --heads 3 --layers 1 \
  --projection base-lm-head --out "$WORK/heads" --steps 400 --batch 256 --lr 3e-3 --seed 1 \
  --log-every 50 --export "$OUT" --export-dtype f16 --force
"$MEDUSA" eval-heads --model "$MODEL" --heads "$OUT" --data "$WORK/dheld" --top-k 5
