"""Regenerate the Golden models, backbone references, Medusa heads and Medusa traces.

    pip install -r Golden/tools/requirements.txt
    python Golden/tools/generate.py            # everything below, in order (~15-30 min on 2 cores)
    python Golden/tools/generate.py refs       # only the JSON (models and heads kept)
    (add --no-manifest to leave Golden/MANIFEST.sha256 alone)

Steps: make_models.py (tiny Llama checkpoints) -> make_backbone_refs.py (transformers logits,
greedy ids) -> train_heads.py (Medusa heads, self-distillation) -> make_medusa_refs.py
(trees.json + decoding traces) -> manifest.py (Golden/MANIFEST.sha256) when present.
Deterministic: every step is seeded and single-threaded; a rerun writes identical files.
"""
import os
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
HERE = os.path.dirname(os.path.abspath(__file__))


def run(script, *args):
    print(f"== {script} {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, os.path.join(HERE, script), *args], check=True, cwd=HERE)


def main(argv):
    if "refs" not in argv:
        run("make_models.py")
    run("make_backbone_refs.py")
    if "refs" not in argv:
        run("train_heads.py")
    run("make_medusa_refs.py")
    if "--no-manifest" not in argv and os.path.exists(os.path.join(HERE, "manifest.py")):
        run("manifest.py")


if __name__ == "__main__":
    main(sys.argv[1:])
