#!/usr/bin/env bash
# The bits do not depend on the build target (Docs/ARCHITECTURE.md, "One arithmetic"): builds the
# CLI for the baseline x86-64 (no AVX, no FMA: fused multiply-add in software) and for Haswell
# (AVX2 + FMA) beside the native build, and Haswell again with the register tiles of AVX-512
# (MEDUSA_TILING=wide; the other two use whichever tiling their target fits, Package.swift), and
# requires every emitted logit of the Golden models — float, half and bfloat16 — to print
# identically (Swift prints the shortest
# text that round-trips, so equal text is equal bits). x86-64 hosts only.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -m)" = "x86_64" ] || { echo "cross-target check: x86-64 only, skipped"; exit 0; }
native=$(swift build -c release --show-bin-path)/medusa
[ -x "$native" ] || swift build -c release --product medusa
for cpu in x86-64 haswell; do
  MEDUSA_TARGET_CPU=$cpu swift build -c release --product medusa --scratch-path ".build-$cpu" >/dev/null
done
MEDUSA_TARGET_CPU=haswell MEDUSA_TILING=wide swift build -c release --product medusa \
  --scratch-path .build-haswell-wide >/dev/null
prompts=Golden/cases/conformance/prompts-tiny-mha-f32.json
out=$(mktemp -d)
for model in tiny-mha-f32 tiny-gqa-f16 tiny-bf16-bias; do
  for build in native x86-64 haswell haswell-wide; do
    binary=$native
    [ "$build" = native ] || binary=".build-$build/release/medusa"
    "$binary" conformance emit --model "Golden/models/$model" --prompts "$prompts" --logits \
      --tree mc_sim_7b_63 --tree chain_4 --out "$out/$model.$build.json" >/dev/null
  done
  cmp "$out/$model.native.json" "$out/$model.x86-64.json"
  cmp "$out/$model.native.json" "$out/$model.haswell.json"
  cmp "$out/$model.native.json" "$out/$model.haswell-wide.json"
  echo "cross-target: $model logits identical on native, x86-64 (software FMA), haswell and haswell with wide tiles"
done
rm -rf "$out"
