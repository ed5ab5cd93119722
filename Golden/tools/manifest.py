"""Writes Golden/MANIFEST.sha256: the SHA-256 of every file under Golden/ (except the manifest
itself and Python caches), one `HEX  PATH` line per file (the `sha256sum` format, paths relative
to Golden/, sorted by byte order), so a backend in any language can check its copy of the
conformance pack with `cd Golden && sha256sum -c MANIFEST.sha256`.

Run after any change under Golden/ (and bump Golden/VERSION when the change alters expected
results):  python3 Golden/tools/manifest.py
`--check` verifies instead of writing (exit 1 on any mismatch, missing or unlisted file).
"""
import hashlib
import os
import sys

GOLDEN = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MANIFEST = "MANIFEST.sha256"
SKIP_DIRS = {"__pycache__", ".cache"}
SKIP_SUFFIXES = (".pyc",)
# Fetched, never committed (tools/fetch_smollm2.sh checks its own SHA-256): not part of the pack.
FETCHED = {"models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf"}


def listed_files():
    """Every file the manifest covers, as paths relative to Golden/, sorted by UTF-8 bytes."""
    files = []
    for directory, dirs, names in os.walk(GOLDEN):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            path = os.path.relpath(os.path.join(directory, name), GOLDEN)
            path = path.replace(os.sep, "/")
            if path == MANIFEST or path in FETCHED or name.endswith(SKIP_SUFFIXES):
                continue
            files.append(path)
    return sorted(files, key=lambda p: p.encode("utf-8"))


def sha256(path):
    digest = hashlib.sha256()
    with open(os.path.join(GOLDEN, path), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_text():
    return "".join(f"{sha256(p)}  {p}\n" for p in listed_files())


def main(argv):
    target = os.path.join(GOLDEN, MANIFEST)
    text = manifest_text()
    if "--check" in argv:
        current = open(target).read() if os.path.exists(target) else ""
        if current != text:
            print("Golden/MANIFEST.sha256 is out of date: run python3 Golden/tools/manifest.py")
            return 1
        print(f"Golden/MANIFEST.sha256: {text.count(chr(10))} files verified")
        return 0
    with open(target, "w") as f:
        f.write(text)
    print(f"wrote {target}: {text.count(chr(10))} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
