#!/usr/bin/env bash
# Runs the test suite under AddressSanitizer and ThreadSanitizer (Docs/FUZZING.md,
# "Sanitizers"), each in its own scratch folder, and prints how long each took.
#
#   .ci/sanitizers.sh                  # both, whole suite
#   .ci/sanitizers.sh address          # one of them
#   .ci/sanitizers.sh thread -- --filter MedusaKernelsTests   # extra `swift test` arguments
#
# $SANITIZER_SCRATCH (default .build-) prefixes the scratch folders (.build-asan, .build-tsan).
# A finding fails the run: ASan stops at the first error (halt_on_error), TSan reports races
# and exits non-zero (halt_on_error=1 too, so the report is the last thing printed).
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=${SANITIZER_SCRATCH:-.build-}
kinds=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    address | thread) kinds+=("$1"); shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (address, thread, -- swift test arguments)" >&2; exit 2 ;;
  esac
done
[ ${#kinds[@]} -gt 0 ] || kinds=(address thread)

# allocator_may_return_null: an impossible allocation must reach the code that turns it into an
# error (LimitsTests), not stop the process. detect_leaks=0: under XCTest on Linux LeakSanitizer
# reports allocations kept by XCTest, Foundation and the test cases themselves (no reported stack
# has a frame in a library module; Docs/FUZZING.md); the fuzz targets run with leak detection on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:halt_on_error=1:abort_on_error=0:allocator_may_return_null=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
status=0
report=()
for kind in "${kinds[@]}"; do
  scratch="${prefix}${kind:0:1}san"
  echo "== swift test --sanitize=$kind (scratch $scratch)"
  start=$(date +%s)
  if swift test --scratch-path "$scratch" --sanitize="$kind" "${extra[@]}"; then
    result="clean"
  else
    result="FAILED"
    status=1
  fi
  report+=("$(printf '%-8s %-6s %5d s' "$kind" "$result" $(($(date +%s) - start)))")
done
echo "== sanitizers"
printf '%s\n' "${report[@]}"
exit $status
