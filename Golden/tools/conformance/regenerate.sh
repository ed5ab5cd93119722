#!/bin/sh
# Regenerates Golden/cases/conformance/ (Docs/CONFORMANCE.md §5.4), in order:
#   1. the prompts (backbone prompts + EOS-inside-a-chunk prompts), make_prompts.py
#   2. the five references, `medusa conformance emit` (this project's decoder, bit-exact): three
#      for tiny-mha-f32, two for the default model (its prompts file is written by hand); and,
#      when the SmolLM2 GGUF has been fetched (bash Golden/tools/fetch_smollm2.sh), the SmolLM2
#      reference with top-20 logits, its prompts taken from the transformers backbone cases
#   3. the six classic broken variants and the injected bugs (transformers, float32)
#   4. the original FasterDecoding/Medusa code's candidates, when its venv exists
# then run `python3 Golden/tools/manifest.py`.
#
# Environment: MEDUSA (the medusa executable, default .build/debug/medusa), PYTHON (the Golden
# tools' venv, default .venv/bin/python), MEDUSA_GIT (a git mirror of FasterDecoding/Medusa, for
# the first run of the original's harness; later runs reuse Golden/tools/.cache/).
set -e
cd "$(dirname "$0")/../../.."
MEDUSA=${MEDUSA:-.build/debug/medusa}
PYTHON=${PYTHON:-.venv/bin/python}
ORIGINAL=Golden/tools/.cache/venv-medusa/bin/python
OUT=Golden/cases/conformance
MODEL=Golden/models/tiny-mha-f32
PROMPTS=$OUT/prompts-tiny-mha-f32.json
export OMP_WAIT_POLICY=PASSIVE

"$PYTHON" Golden/tools/conformance/make_prompts.py --medusa "$MEDUSA" --model $MODEL --out $PROMPTS

ALL="--tree mc_sim_7b_63 --tree vicuna_7b_stage1 --tree vicuna_7b_stage2"
ALL="$ALL --tree vicuna_7b_stage1_ablation --tree vicuna_13b_stage1 --tree vicuna_13b_stage2"
ALL="$ALL --tree vicuna_33b_stage1 --tree vicuna_33b_stage2 --tree zephyr_stage2 --tree chain_4"
"$MEDUSA" conformance emit --model $MODEL --prompts $PROMPTS --logits \
  --tree mc_sim_7b_63 --tree vicuna_7b_stage2 --tree chain_4 --force --out $OUT/reference-tiny-mha-f32.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $MODEL --prompts $PROMPTS $ALL \
  --force --out $OUT/reference-tiny-mha-f32-trees.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $MODEL --prompts $PROMPTS $ALL --verification typical:0.7 \
  --force --out $OUT/reference-tiny-mha-f32-typical.json

DEFAULT=Golden/models/default
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $DEFAULT --prompts $OUT/prompts-default.json $ALL \
  --force --out $OUT/reference-default-trees.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $DEFAULT --prompts $OUT/prompts-default.json $ALL \
  --verification typical:0.7 --force --out $OUT/reference-default-typical.json

SMOL_DIR=Golden/models/smollm2-135m-instruct
SMOL=$SMOL_DIR/SmolLM2-135M-Instruct.Q4_1.gguf
if [ -f "$SMOL" ]; then
  # 4 ChatML prompts and 2 raw-text prompts, as token ids rendered by transformers.
  python3 - Golden/cases/backbone/smollm2-135m-instruct.json $OUT/prompts-smollm2-135m-instruct.json \
    $OUT/prompts-smollm2-135m-instruct-mc_sim.json <<'PYEOF'
import json, sys
names = ["chat-default-system-capital", "chat-explicit-system", "chat-multi-turn", "chat-code",
         "raw-story-opening", "raw-code"]
cases = {case["name"]: case for case in json.load(open(sys.argv[1]))["cases"]}
document = {"names": names, "prompts": [cases[name]["prompt_ids"] for name in names],
            "source": "Golden/cases/backbone/smollm2-135m-instruct.json (transformers' tokenizer and ChatML template)"}
open(sys.argv[2], "w").write(json.dumps(document) + "\n")
# mc_sim_7b_63 (64 nodes) is the costly tree (~5 s a case on 2 cores): 2 of the prompts only.
short = {"names": [names[0], names[4]], "prompts": [document["prompts"][0], document["prompts"][4]],
         "source": document["source"]}
open(sys.argv[3], "w").write(json.dumps(short) + "\n")
PYEOF
  "$MEDUSA" conformance emit --model $SMOL --prompts $OUT/prompts-smollm2-135m-instruct.json \
    --tree $SMOL_DIR/medusa/medusa_choices.json --tree chain_4 \
    --verification greedy --verification typical:0.7 --top-logits 20 --force \
    --out $OUT/reference-smollm2-135m-instruct.json
  "$MEDUSA" conformance emit --model $SMOL --prompts $OUT/prompts-smollm2-135m-instruct-mc_sim.json \
    --tree mc_sim_7b_63 --verification greedy --verification typical:0.7 --top-logits 20 --force \
    --out $OUT/reference-smollm2-135m-instruct-mc_sim.json
else
  echo "skipped the SmolLM2 reference: no $SMOL (bash Golden/tools/fetch_smollm2.sh)"
fi

"$PYTHON" Golden/tools/broken_variants/make_candidates.py $OUT/reference-tiny-mha-f32.json
"$PYTHON" Golden/tools/broken_variants/make_injected.py $OUT/reference-tiny-mha-f32.json

if [ -x "$ORIGINAL" ]; then
  "$ORIGINAL" Golden/tools/original_medusa/make_candidates.py ${MEDUSA_GIT:+--medusa-git "$MEDUSA_GIT"} \
    $OUT/reference-tiny-mha-f32.json:candidate-original-main.json:logits \
    $OUT/reference-tiny-mha-f32-trees.json:candidate-original-greedy.json \
    $OUT/reference-tiny-mha-f32-typical.json:candidate-original-typical.json \
    $OUT/reference-default-trees.json:candidate-original-default-greedy.json \
    $OUT/reference-default-typical.json:candidate-original-default-typical.json
else
  echo "skipped the original's candidates: no $ORIGINAL (see Golden/tools/original_medusa/requirements.txt)"
fi
