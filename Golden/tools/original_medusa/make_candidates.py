"""Runs the ORIGINAL FasterDecoding/Medusa code on the Golden models and heads and writes its
traces as conformance candidate files (Docs/CONFORMANCE.md, "The original as a candidate").

What runs is the original repository's own `MedusaModelLlama.medusa_generate` loop, from the
pinned commit below, on its own Llama copy (`medusa/model/modeling_llama_kv.py`, written for
transformers 4.34) in float32 on the CPU. Nothing of the algorithm is re-implemented here:

  * the source files are extracted from a git mirror of the repository into the gitignored cache
    `Golden/tools/.cache/medusa-<commit>/` (never committed) and checked against their git blob
    ids, so the code that runs is byte for byte the published one;
  * the loop is unchanged. It is *wrapped*: the names `generate_candidates`, `tree_decoding`,
    `evaluate_posterior` and `update_inference_inputs` in `medusa_model`'s namespace are replaced
    by functions that call the original ones and record what they returned; nothing they return
    is altered;
  * what the original does not have is supplied from outside, as the original's own scripts do:
    a model loaded with `from_pretrained` (its Medusa class wants a Hugging Face hub layout with
    the heads in the same folder; here the Golden heads are loaded into `model.medusa_head` from
    `medusa/medusa_lm_head.safetensors`, the published key layout), and a stand-in tokenizer
    (the Golden tiny models have none): `eos_token_id` (the model's first EOS id, which is all the
    original checks) and a `decode` that returns the ids as text (the loop only yields it);
  * `medusa_generate` has no token bound (it runs at most `max_steps` = 512 steps and stops once
    the tokenizer's EOS is anywhere in the output). The harness stops consuming the generator
    after the first step that brings the output to at least `max_new_tokens` tokens, as the
    original's llm_judge loop does with `new_token > max_new_token`; the last chunk is kept whole.

The original's documented deviations from this project's semantics therefore show in the files:
the last chunk past max_new_tokens, tokens after an EOS inside the chunk that emitted it, a pad
accepted when the previous node's argmax is token 0 (then a wrong KV row is copied), and
`torch.topk`'s tie order. `medusa conformance check` names each of them as a note.

Models: the original's Llama copy predates llama3 rope scaling, `mlp_bias` and a `head_dim`
different from hidden/heads, so of the Golden models it runs tiny-mha-f32 and the default model
faithfully (tiny-gqa-f16 uses llama3 rope, tiny-bf16-bias MLP biases and head_dim 48): those two
are refused, not run wrongly.

Output per reference file (every case of the reference: its prompt, tree and verification mode;
greedy is temperature 0, typical the original's `fast=True` path at the case's temperature,
posterior_threshold and posterior_alpha): a candidate file with `output_ids` (everything the
original appended), per step `tree_candidates`, `best_candidate`, `accept_length`, `tokens` (the
whole appended chunk), `node_top1` (argmax of every tree node's logits, read back from the
gathered path logits) and `head_topk` (the original's `torch.topk` order), top-level
`tree_buffers` (the original's `generate_medusa_buffers` for every tree: level 1) and, with
`--logits`, the logits row every output token was verified against. `candidates` is left out on
purpose: the checker derives it from `tree_candidates` and the retrieve indices.

Setup (a venv of its own, because the original needs transformers 4.34):
  python3.11 -m venv Golden/tools/.cache/venv-medusa
  Golden/tools/.cache/venv-medusa/bin/pip install -r Golden/tools/original_medusa/requirements.txt
Run (the mirror: `git clone --mirror https://github.com/FasterDecoding/Medusa`):
  Golden/tools/.cache/venv-medusa/bin/python Golden/tools/original_medusa/make_candidates.py \
      --medusa-git /path/to/Medusa.git \
      Golden/cases/conformance/reference-tiny-mha-f32.json:candidate-original-main.json:logits ...
Each positional argument is REFERENCE[:OUTPUT_NAME[:logits]]; OUTPUT_NAME is written next to the
reference. Deterministic (one thread, deterministic algorithms): a rerun writes identical files.
"""
import argparse
import hashlib
import importlib
import json
import os
import pathlib
import subprocess
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy  # noqa: E402
import torch  # noqa: E402

COMMIT = "e2a5d20c048a9b0a4092e6933c34313687422518"  # "Merge pull request #97 ... medusa2", 2024-04-18
# git blob ids of the files the harness imports, at COMMIT: the extraction is checked against them.
FILES = {
    "medusa/__init__.py": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    "medusa/model/__init__.py": "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391",
    "medusa/model/medusa_model.py": "1a5f70c949da8ab88a802cc85293deb8b5e4fa5f",
    "medusa/model/utils.py": "67fd4a555b61ca30578a96ef32c104bf9777693b",
    "medusa/model/kv_cache.py": "edb9956c9bae73f56c1523679c5b8dce09ab0bc0",
    "medusa/model/modeling_llama_kv.py": "abf9382ddc2a42e4ad6a892d4cc7bcc757fc1198",
    "medusa/model/modeling_mistral_kv.py": "3e6d02dc11dfe4d296f5dfa56a5ce6d6d5fd5459",
    "medusa/model/medusa_choices.py": "fb93e015688322ae03565998a1984170f8e6519e",
    "LICENSE": "f49a4e16e68b128803cc2dcea614603632b04eac",
}
HERE = pathlib.Path(__file__).resolve().parent
TOOLS = HERE.parent
ROOT = TOOLS.parent.parent
CACHE = TOOLS / ".cache" / f"medusa-{COMMIT}"


def f32(value):
    """A float32 as the shortest decimal that reads back as the same float32."""
    return float(str(numpy.float32(value)))


def blob_id(data):
    """The git blob id of `data` (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def extract(git_dir):
    """Writes the pinned files into CACHE from a git mirror or clone holding COMMIT."""
    for path in FILES:
        data = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"{COMMIT}:{path}"],
                              check=True, capture_output=True).stdout
        target = CACHE / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def check_cache():
    """Verifies every extracted file against its pinned git blob id."""
    for path, blob in FILES.items():
        file = CACHE / path
        if not file.exists():
            raise SystemExit(f"{file} is missing: run once with --medusa-git DIR")
        if blob_id(file.read_bytes()) != blob:
            raise SystemExit(f"{file} is not the file of commit {COMMIT} (git blob id differs)")


class StandInTokenizer:
    """What medusa_generate asks of a tokenizer: `eos_token_id` and `decode` (for the yield)."""

    def __init__(self, eos_token_id):
        self.eos_token_id = eos_token_id

    def decode(self, ids, **_):
        return " ".join(str(int(i)) for i in ids)


class Recorder:
    """Wraps the four functions medusa_generate calls per step and records their results."""

    def __init__(self, mm):
        self.mm = mm
        self.steps = []
        self.retrieve = None
        originals = {name: getattr(mm, name) for name in
                     ("generate_candidates", "tree_decoding", "evaluate_posterior",
                      "update_inference_inputs")}
        self.originals = originals

        def generate_candidates(medusa_logits, logits, tree_indices, retrieve_indices, **kw):
            cart, tree = originals["generate_candidates"](
                medusa_logits, logits, tree_indices, retrieve_indices, **kw)
            top = torch.topk(medusa_logits[:, 0, -1], mm.TOPK, dim=-1).indices
            self.retrieve = retrieve_indices.tolist()
            self.steps.append({
                "tree_candidates": tree[0].tolist(),
                "cart": cart.tolist(),
                "head_topk": top.tolist(),
                "root_row": logits[0, -1].tolist(),
            })
            return cart, tree

        def tree_decoding(*args, **kw):
            medusa_logits, logits, outputs = originals["tree_decoding"](*args, **kw)
            n = len(self.steps[-1]["tree_candidates"])
            where = {}
            for r, row in enumerate(self.retrieve):
                for c, node in enumerate(row):
                    if node >= 0:
                        where.setdefault(node, (r, c))
            self.steps[-1]["node_top1"] = [int(torch.argmax(logits[where[k]])) for k in range(n)]
            self.steps[-1]["path_logits"] = logits
            return medusa_logits, logits, outputs

        def evaluate_posterior(*args, **kw):
            best, accept = originals["evaluate_posterior"](*args, **kw)
            self.steps[-1]["best_candidate"] = int(best)
            self.steps[-1]["accept_length"] = int(accept)
            return best, accept

        def update_inference_inputs(input_ids, candidates, best_candidate, accept_length, *a, **kw):
            result = originals["update_inference_inputs"](
                input_ids, candidates, best_candidate, accept_length, *a, **kw)
            step = self.steps[-1]
            step["tokens"] = candidates[best_candidate, : accept_length + 1].tolist()
            path = step.pop("path_logits")
            step["rows"] = [step.pop("root_row")] + [
                path[int(best_candidate), j].tolist() for j in range(int(accept_length))]
            return result

        self.wrapped = {"generate_candidates": generate_candidates, "tree_decoding": tree_decoding,
                        "evaluate_posterior": evaluate_posterior,
                        "update_inference_inputs": update_inference_inputs}
        for name, fn in self.wrapped.items():
            setattr(mm, name, fn)

    def restore(self):
        """Puts the original functions back into medusa_model's namespace."""
        for name, fn in self.originals.items():
            setattr(self.mm, name, fn)


def load_model(mm, model_dir, heads_dir):
    """The original's MedusaModelLlama with the Golden backbone (float32) and heads."""
    from safetensors.torch import load_file
    from transformers import LlamaConfig

    raw = json.loads((model_dir / "config.json").read_text())
    rope = raw.get("rope_parameters") or {}
    if rope.get("rope_type", "default") != "default" or raw.get("rope_scaling"):
        raise SystemExit(f"{model_dir}: rope {rope or raw.get('rope_scaling')} is not in the "
                         "original's Llama copy (transformers 4.34)")
    if raw.get("mlp_bias"):
        raise SystemExit(f"{model_dir}: mlp_bias is not in the original's Llama copy")
    if raw.get("head_dim", raw["hidden_size"] // raw["num_attention_heads"]) != \
            raw["hidden_size"] // raw["num_attention_heads"]:
        raise SystemExit(f"{model_dir}: head_dim != hidden/heads is not in the original's Llama copy")
    heads_config = json.loads((heads_dir / "config.json").read_text())
    config = LlamaConfig.from_pretrained(model_dir)
    config.rope_theta = rope.get("rope_theta", raw.get("rope_theta", 10000.0))
    config.medusa_num_heads = heads_config["medusa_num_heads"]
    config.medusa_num_layers = heads_config["medusa_num_layers"]
    eos = raw["eos_token_id"]
    eos = eos[0] if isinstance(eos, list) else eos
    mm.AutoTokenizer.from_pretrained = staticmethod(lambda *_a, **_k: StandInTokenizer(eos))
    # PreTrainedModel.from_pretrained on the original's class (its own from_pretrained wants a
    # hub checkpoint that holds backbone and heads together).
    from transformers import PreTrainedModel
    model = PreTrainedModel.from_pretrained.__func__(
        mm.MedusaModelLlama, str(model_dir), config=config, torch_dtype=torch.float32)
    state = {k: v.to(torch.float32) for k, v in
             load_file(str(heads_dir / "medusa_lm_head.safetensors")).items()}
    model.medusa_head.load_state_dict(state, strict=True)
    return model.eval(), eos


def tree_buffers(mm, name, choices):
    b = mm.generate_medusa_buffers(choices, device="cpu")
    return {
        "name": name,
        "attn_mask": b["medusa_attn_mask"][0, 0].to(torch.long).tolist(),
        "tree_indices": b["tree_indices"].tolist(),
        "position_ids": b["medusa_position_ids"].tolist(),
        "retrieve_indices": b["retrieve_indices"].tolist(),
    }


def run_case(model, recorder, case, choices, max_new):
    mode = case.get("verification") or {"name": "greedy"}
    if mode["name"] == "greedy":
        kwargs = {"temperature": 0.0}
    elif mode["name"] == "typical":
        kwargs = {"temperature": mode["temperature"],
                  "posterior_threshold": mode["posterior_threshold"],
                  "posterior_alpha": mode["posterior_alpha"], "sampling": "typical", "fast": True}
    else:
        raise SystemExit(f"{case['id']}: verification {mode['name']} is not deterministic")
    recorder.steps = []
    input_ids = torch.tensor([case["prompt_ids"]], dtype=torch.long)
    output = []
    with torch.inference_mode():
        for _ in model.medusa_generate(input_ids, medusa_choices=choices, **kwargs):
            output = [t for s in recorder.steps for t in s["tokens"]]
            if len(output) >= max_new:
                break
    return output, recorder.steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medusa-git", type=pathlib.Path,
                        help="a git mirror or clone of FasterDecoding/Medusa holding the commit")
    parser.add_argument("jobs", nargs="+", help="REFERENCE[:OUTPUT_NAME[:logits]]")
    args = parser.parse_args()
    if args.medusa_git:
        extract(args.medusa_git)
    check_cache()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sys.path.insert(0, str(CACHE))
    mm = importlib.import_module("medusa.model.medusa_model")
    import transformers
    models = {}
    for job in args.jobs:
        parts = job.split(":")
        reference_path = pathlib.Path(parts[0])
        name = parts[1] if len(parts) > 1 and parts[1] else \
            reference_path.name.replace("reference-", "candidate-original-")
        with_logits = len(parts) > 2 and parts[2] == "logits"
        reference = json.loads(reference_path.read_text())
        key = (reference["model"]["path"], reference["heads"]["path"])
        if key not in models:
            models[key] = load_model(mm, ROOT / key[0], ROOT / key[1])
        model, _ = models[key]
        recorder = Recorder(mm)
        trees = {t["name"]: t["choices"] for t in reference["trees"]}
        cases = []
        for case in reference["cases"]:
            output, steps = run_case(model, recorder, case, trees[case["tree"]],
                                     reference["stop"]["max_new_tokens"])
            entry = {"id": case["id"], "output_ids": output, "steps": [
                {k: s[k] for k in ("tree_candidates", "best_candidate", "accept_length", "tokens",
                                   "node_top1", "head_topk")} for s in steps]}
            if with_logits and case["tree"] == reference["trees"][0]["name"]:
                entry["logits"] = [[f32(v) for v in row] for s in steps for row in s["rows"]]
            cases.append(entry)
        recorder.restore()
        doc = {
            "format": "medusa-conformance-candidate", "format_version": 1,
            "backend": (f"FasterDecoding/Medusa {COMMIT[:7]} medusa_generate, unchanged "
                        f"(transformers {transformers.__version__}, torch {torch.__version__}, "
                        "float32, CPU)"),
            "tree_buffers": [tree_buffers(mm, t["name"], t["choices"]) for t in reference["trees"]],
            "cases": cases,
        }
        out = reference_path.parent / name
        with open(out, "w") as f:
            json.dump(doc, f, separators=(",", ":"), sort_keys=True)
            f.write("\n")
        same = sum(c["output_ids"] == r["medusa_output_ids"]
                   for c, r in zip(cases, reference["cases"]))
        print(f"{out}: {len(cases)} cases, {same} with the reference's output ids")


if __name__ == "__main__":
    main()
