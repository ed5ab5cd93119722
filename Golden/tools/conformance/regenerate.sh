#!/bin/sh
# Regenerates Golden/cases/conformance/ (Docs/CONFORMANCE.md §5.4), in order:
#   1. the prompts (backbone prompts + EOS-inside-a-chunk prompts), make_prompts.py
#   2. the five references, `medusa conformance emit` (this project's decoder, bit-exact): three
#      for tiny-mha-f32, two for the default model (its prompts file is written by hand)
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
  --tree mc_sim_7b_63 --tree vicuna_7b_stage2 --tree chain_4 --out $OUT/reference-tiny-mha-f32.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $MODEL --prompts $PROMPTS $ALL \
  --out $OUT/reference-tiny-mha-f32-trees.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $MODEL --prompts $PROMPTS $ALL --verification typical:0.7 \
  --out $OUT/reference-tiny-mha-f32-typical.json

DEFAULT=Golden/models/default
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $DEFAULT --prompts $OUT/prompts-default.json $ALL \
  --out $OUT/reference-default-trees.json
# shellcheck disable=SC2086
"$MEDUSA" conformance emit --model $DEFAULT --prompts $OUT/prompts-default.json $ALL \
  --verification typical:0.7 --out $OUT/reference-default-typical.json

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
