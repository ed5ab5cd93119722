#!/usr/bin/env bash
# smollm2_heads.sh — the Medusa heads and tree shipped beside SmolLM2-135M-Instruct, made by this
# package (Medusa-1 on a frozen backbone, self-distilled: Cai et al. 2024, §2.3.2 and §3.3).
#
#   bash Golden/tools/fetch_smollm2.sh && bash Golden/tools/smollm2_heads.sh
#
# Steps (each a `medusa` command; Docs/TRAINING.md):
#   1. prompts: Golden/tools/smollm2_chat_prompts.py writes 1,200 training and 160 held-out chat
#      requests written for this project; the shipped heads use all 1,200 and the first 100
#      held-out ones (TRAIN_PROMPTS, HELD_PROMPTS).
#   2. distill: the model answers each request rendered with its own ChatML template (greedy,
#      up to 128 new tokens). The training prompts run as two halves side by side, one thread
#      each (two one-thread decoders outrun one two-thread decoder on 2 cores), and the halves'
#      sequences are joined in prompt order: the same lines one distill of all of them writes
#      (greedy, thread-count invariant kernels). ~20 min for 1,200 prompts on 2 cores.
#   3. train-heads: 4 heads x 1 ResBlock in the `base_lm_head` layout (each head's projection is
#      the backbone's frozen tied Q8_0 LM head), 1000 steps x 256 rows (about 2 epochs), lr 1e-3,
#      seed 0; ~40 min on 2 cores.
#   4. eval-heads on the held-out answers (top-1..10 per head) -> accuracy.json.
#   5. tree --auto: the tree whose expected accepted length per measured step cost is best on
#      this machine -> medusa_choices.json.
# Deterministic up to step 5 (greedy, seeded, thread-count invariant kernels); the tree depends
# on the machine's measured step costs.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
MODEL="$ROOT/Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT="$ROOT/Golden/models/smollm2-135m-instruct/medusa"
WORK="${WORK:-$ROOT/.build-heads/smollm2}"
TRAIN_PROMPTS="${TRAIN_PROMPTS:-1200}"
HELD_PROMPTS="${HELD_PROMPTS:-100}"
STEPS="${STEPS:-1000}"
MEDUSA="$ROOT/.build/release/medusa"

[ -f "$MODEL" ] || { echo "no model: run bash Golden/tools/fetch_smollm2.sh first" >&2; exit 1; }
(cd "$ROOT" && swift build -c release --product medusa)
mkdir -p "$WORK"

python3 "$ROOT/Golden/tools/smollm2_chat_prompts.py" "$WORK"
HALF=$(((TRAIN_PROMPTS + 1) / 2))
head -n "$TRAIN_PROMPTS" "$WORK/train.jsonl" > "$WORK/train-used.jsonl"
head -n "$HALF" "$WORK/train-used.jsonl" > "$WORK/trainA.jsonl"
tail -n +"$((HALF + 1))" "$WORK/train-used.jsonl" > "$WORK/trainB.jsonl"
head -n "$HELD_PROMPTS" "$WORK/held.jsonl" > "$WORK/held-used.jsonl"

pids=""
for part in A B; do
  "$MEDUSA" distill --model "$MODEL" --prompts "$WORK/train$part.jsonl" --out "$WORK/d$part" \
    --chat model --max-new-tokens 128 --threads 1 &
  pids="$pids $!"
done
for pid in $pids; do wait "$pid"; done
mkdir -p "$WORK/dtrain"
cat "$WORK/dA/sequences.jsonl" "$WORK/dB/sequences.jsonl" > "$WORK/dtrain/sequences.jsonl"
"$MEDUSA" distill --model "$MODEL" --prompts "$WORK/held-used.jsonl" --out "$WORK/dheld" \
  --chat model --max-new-tokens 128
"$MEDUSA" train-heads --model "$MODEL" --data "$WORK/dtrain" --heads 4 --layers 1 \
  --projection base-lm-head --out "$WORK/heads" --steps "$STEPS" --batch 256 --lr 1e-3 \
  --seed 0 --cache "$WORK/rows.safetensors" --log-every 10 --export "$WORK/export" --force
"$MEDUSA" eval-heads --model "$MODEL" --heads "$WORK/export" --data "$WORK/dheld" --top-k 10 \
  --json > "$WORK/accuracy.json"
"$MEDUSA" tree --accuracy "$WORK/accuracy.json" --auto --model "$MODEL" --heads "$WORK/export" \
  --out "$WORK/medusa_choices.json" --force

mkdir -p "$OUT"
cp "$WORK/export/medusa_lm_head.safetensors" "$WORK/medusa_choices.json" "$OUT/"
# The shipped files name the model and heads by repository-relative paths, not this machine's.
python3 - "$WORK/export/config.json" "$OUT/config.json" "$WORK/accuracy.json" "$OUT/accuracy.json" <<'PYEOF'
import json, sys
model = "Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
config = json.load(open(sys.argv[1]))
config["base_model_name_or_path"] = model
json.dump(config, open(sys.argv[2], "w"), indent=2)
accuracy = json.load(open(sys.argv[3]))
accuracy["model"] = model
accuracy["heads"] = "Golden/models/smollm2-135m-instruct/medusa"
json.dump(accuracy, open(sys.argv[4], "w"))
PYEOF
echo "wrote $OUT"
