#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of Tests/Fuzz (Docs/FUZZING.md).
#
#   .ci/fuzz.sh                    # every target for 1,000,000 executions
#   .ci/fuzz.sh --smoke            # every target for a few seconds (CI)
#   .ci/fuzz.sh --executions N     # every target for N executions
#   .ci/fuzz.sh --seconds S [TARGET...]
#
# The library modules are built by SwiftPM with `-sanitize=fuzzer,address` (coverage
# instrumentation and AddressSanitizer) and `-enable-testing`, in release mode, into
# $FUZZ_SCRATCH (default .build-fuzz); each target's entry (Tests/Fuzz/<Target>/*.swift, plus
# Tests/Fuzz/Support) is compiled and linked against them with swiftc. Inputs found to add
# coverage go to $FUZZ_SCRATCH/corpus/<Target> (the seeds in Tests/Fuzz/corpus are only read);
# a crash, leak or timeout leaves its input in $FUZZ_SCRATCH/artifacts/<Target> and fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${FUZZ_SCRATCH:-.build-fuzz}
limit=(-runs=1000000)
mode="1000000 executions"
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) limit=(-max_total_time=${FUZZ_SMOKE_SECONDS:-5}); mode="smoke"; shift ;;
    --executions) limit=(-runs="$2"); mode="$2 executions"; shift 2 ;;
    --seconds) limit=(-max_total_time="$2"); mode="$2 s"; shift 2 ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(JSON Safetensors PyTorch GGUF TokenizerJSON GGUFTokenizer TreeJSON ConfigJSON)
fi

flags=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
echo "== building the library modules with -sanitize=fuzzer,address ($scratch)"
for module in Medusa MedusaTokenizer; do
  swift build --scratch-path "$scratch" -c release --target "$module" "${flags[@]}"
done
release="$scratch/release"
objects=()
for module in MedusaFormats MedusaKernels Llama Medusa MedusaTokenizer; do
  objects+=("$release/$module.build"/*.o)
done

status=0
summary=()
for target in "${targets[@]}"; do
  [ -d "Tests/Fuzz/$target" ] || { echo "no target Tests/Fuzz/$target" >&2; exit 2; }
  binary="$scratch/fuzz/$target"
  mkdir -p "$scratch/fuzz" "$scratch/corpus/$target" "$scratch/artifacts/$target"
  echo "== $target: compiling"
  swiftc -O -g -sanitize=fuzzer,address -parse-as-library -module-name "Fuzz$target" \
    -I "$release/Modules" Tests/Fuzz/"$target"/*.swift Tests/Fuzz/Support/*.swift \
    "${objects[@]}" -o "$binary"
  echo "== $target: fuzzing ($mode)"
  log="$scratch/fuzz/$target.log"
  if "$binary" "${limit[@]}" -max_len=65536 -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$scratch/artifacts/$target/" \
    "$scratch/corpus/$target" "Tests/Fuzz/corpus/$target" >"$log" 2>&1; then
    result="ok"
  else
    result="FAILED (see $log and $scratch/artifacts/$target)"
    status=1
    tail -40 "$log"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  summary+=("$(printf '%-14s %10s executions %6s s  %s' "$target" "${runs:-?}" "${seconds:-?}" "$result")")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
