#!/usr/bin/env bash
# build_llama_cpp.sh — builds llama.cpp (the copy vendored in the llama_cpp_python 0.3.36 sdist)
# for side-by-side runs and as a second opinion for the Golden tools. Everything goes into the
# gitignored Golden/tools/.cache/llama.cpp/ (never commit any of it):
#   src/        the vendor/llama.cpp tree (convert_hf_to_gguf.py, gguf-py/ usable from here)
#   build/      the CMake/Ninja build
#   bin/        llama-bench, llama-quantize, llama-tokenize, llama-simple, and llama-golden
#               (Golden/tools/bench/llama_golden.cpp: greedy ids + top-k logits from prompt ids,
#               tokenize/detokenize; linked against the static libllama built here)
#   BUILD_INFO  versions, flags, CPU and the build time
# cmake and ninja come from PyPI into the project venv (.venv; created by
#   python3 -m venv .venv && .venv/bin/pip install -r Golden/tools/requirements.txt).
# Flags (Docs / DESIGN.md, "Traps"): -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
# -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF, Release.
# The build runs under `nice -n 10` with 2 jobs (JOBS=... to change). Idempotent: a rerun with all
# binaries present only prints where they are (FORCE=1 rebuilds: incremental, seconds when only
# llama_golden.cpp changed; GGML_NATIVE targets this CPU, so rebuild on another machine, e.g. after
# rm -rf Golden/tools/.cache/llama.cpp/build).
#
#   bash Golden/tools/bench/build_llama_cpp.sh
set -euo pipefail

SDIST_SPEC="llama_cpp_python==0.3.36"
CMAKE_SPEC="cmake==4.4.5"
NINJA_SPEC="ninja==1.13.2"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CACHE="$ROOT/Golden/tools/.cache/llama.cpp"
SRC="$CACHE/src"
BUILD="$CACHE/build"
BIN="$CACHE/bin"
VENV="${VENV:-$ROOT/.venv}"
JOBS="${JOBS:-2}"
TARGETS=(llama-bench llama-quantize llama-tokenize llama-simple)

die() { echo "build_llama_cpp: error: $*" >&2; exit 1; }

all_present() {
  for t in "${TARGETS[@]}" llama-golden; do [[ -x "$BIN/$t" ]] || return 1; done
}

if [[ "${FORCE:-0}" != 1 ]] && all_present && [[ -f "$SRC/convert_hf_to_gguf.py" ]]; then
  echo "llama.cpp already built (FORCE=1 to rebuild):"
  for t in "${TARGETS[@]}" llama-golden; do echo "  $BIN/$t"; done
  echo "  converter: $SRC/convert_hf_to_gguf.py (gguf-py: $SRC/gguf-py)"
  exit 0
fi

[[ -x "$VENV/bin/python" ]] || die "no venv at $VENV (python3 -m venv .venv && .venv/bin/pip install -r Golden/tools/requirements.txt)"
command -v c++ >/dev/null 2>&1 || die "no C++ compiler (apt-get install g++)"

"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$CMAKE_SPEC" "$NINJA_SPEC" \
  || die "pip install $CMAKE_SPEC $NINJA_SPEC into $VENV failed"
CMAKE="$VENV/bin/cmake"
NINJA="$VENV/bin/ninja"
[[ -x "$CMAKE" && -x "$NINJA" ]] || die "cmake/ninja not found in $VENV/bin after pip install"

mkdir -p "$CACHE" "$BIN"
if [[ ! -f "$SRC/CMakeLists.txt" ]]; then
  TMP="$(mktemp -d "${TMPDIR:-/tmp}/llama_sdist.XXXXXX")"
  trap 'rm -rf "$TMP"' EXIT
  "$VENV/bin/python" -m pip download --quiet --no-deps --no-binary llama_cpp_python "$SDIST_SPEC" -d "$TMP" >"$TMP/pip.log" 2>&1 \
    || die "pip download $SDIST_SPEC failed: $(tail -n 1 "$TMP/pip.log")"
  TARBALL="$(ls "$TMP"/llama_cpp_python-0.3.36.tar.gz 2>/dev/null | head -n 1)"
  [[ -n "$TARBALL" ]] || die "pip download gave no llama_cpp_python-0.3.36.tar.gz"
  tar -xzf "$TARBALL" -C "$TMP" llama_cpp_python-0.3.36/vendor/llama.cpp || die "cannot unpack $TARBALL"
  rm -rf "$SRC"
  mv "$TMP/llama_cpp_python-0.3.36/vendor/llama.cpp" "$SRC" || die "cannot move the vendor tree to $SRC"
fi

START=$(date +%s)
export PATH="$VENV/bin:$PATH"
nice -n 10 "$CMAKE" -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_MAKE_PROGRAM="$NINJA" \
  -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF \
  >"$CACHE/configure.log" 2>&1 || die "cmake configure failed (see $CACHE/configure.log)"
nice -n 10 "$CMAKE" --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" llama \
  >"$CACHE/build.log" 2>&1 || die "build failed (see $CACHE/build.log)"
for t in "${TARGETS[@]}"; do
  [[ -x "$BUILD/bin/$t" ]] || die "target $t was not produced in $BUILD/bin"
  cp -f "$BUILD/bin/$t" "$BIN/$t"
done

# llama-golden: our small driver, linked against the static libraries just built.
LIBS=()
while IFS= read -r lib; do LIBS+=("$lib"); done < <(find "$BUILD/src" "$BUILD/ggml" -name '*.a' | sort)
[[ ${#LIBS[@]} -gt 0 ]] || die "no static libraries found under $BUILD"
OMP_FLAG=""
grep -q "GGML_OPENMP:BOOL=ON" "$BUILD/CMakeCache.txt" && OMP_FLAG="-fopenmp"
nice -n 10 c++ -O2 -std=c++17 -march=native -I"$SRC/include" -I"$SRC/ggml/include" \
  "$ROOT/Golden/tools/bench/llama_golden.cpp" -o "$BIN/llama-golden" \
  -Wl,--start-group "${LIBS[@]}" -Wl,--end-group $OMP_FLAG -lpthread -ldl -lm \
  >"$CACHE/llama-golden.log" 2>&1 || die "linking llama-golden failed (see $CACHE/llama-golden.log)"
END=$(date +%s)

{
  echo "llama.cpp from the $SDIST_SPEC sdist (vendor/llama.cpp)"
  grep -m1 -E "LLAMA_BUILD_NUMBER|BUILD_NUMBER" "$BUILD/CMakeCache.txt" 2>/dev/null || true
  echo "flags: -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release"
  echo "tools: $("$CMAKE" --version | head -n 1), ninja $("$NINJA" --version), $(c++ --version | head -n 1)"
  echo "cpu: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
  echo "jobs: $JOBS (nice 10); build time: $((END - START)) s"
} >"$CACHE/BUILD_INFO"
cat "$CACHE/BUILD_INFO"
echo "binaries:"
for t in "${TARGETS[@]}" llama-golden; do echo "  $BIN/$t"; done
echo "  converter: $SRC/convert_hf_to_gguf.py (gguf-py: $SRC/gguf-py)"
