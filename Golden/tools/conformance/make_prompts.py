"""Prompts of the conformance references: the Golden backbone prompts of a model, the EOS prompt
of its Medusa traces (Golden/cases/medusa/NAME.json), and prompts whose greedy continuation
stops at EOS *inside an accepted chunk* (the step that emits the EOS accepted more tokens after
it, or accepted the EOS itself as a head token), so that the stop rule is judged, and the
original's "EOS checked only after a step" shows.

EOS is rare on these random-weight models (one of 128 random prompts reaches it in 160 tokens),
so the EOS prompts are derived, not drawn: numpy default_rng(5001) draws `--draws` prompts
(lengths 1-32, ids in [3, vocab)); `medusa conformance emit --ignore-eos` continues each 160
tokens greedily; the first prompt whose continuation holds an EOS gives prompts = that prompt +
its continuation up to `--offsets` tokens before the first EOS (default 10 and 11: on
tiny-mha-f32 the first stops at an EOS that is its step's root with 3-4 accepted tokens after it,
the second at an EOS accepted as a head token at offset 1). Greedy decoding is deterministic, so
each derived prompt continues exactly as the long run did.

Run:  python3 Golden/tools/conformance/make_prompts.py --medusa .build/debug/medusa \
          --model Golden/models/tiny-mha-f32 --out Golden/cases/conformance/prompts-tiny-mha-f32.json
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def emit(medusa, model, prompts, extra):
    """`medusa conformance emit` on `prompts` (tree chain_4); the reference as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        prompts_path = os.path.join(tmp, "prompts.json")
        out = os.path.join(tmp, "reference.json")
        with open(prompts_path, "w") as f:
            json.dump(prompts, f)
        subprocess.run([medusa, "conformance", "emit", "--model", model, "--prompts",
                        prompts_path, "--out", out, "--threads", "1", "--tree", "chain_4"]
                       + extra, check=True, capture_output=True, cwd=ROOT)
        with open(out) as f:
            return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medusa", required=True, help="the medusa executable")
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--draws", type=int, default=128)
    parser.add_argument("--offsets", type=int, nargs="+", default=[10, 11])
    args = parser.parse_args()
    name = os.path.basename(os.path.normpath(args.model))
    config = json.load(open(os.path.join(ROOT, args.model, "config.json")))
    eos = config["eos_token_id"]
    eos = set(eos if isinstance(eos, list) else [eos])
    backbone = json.load(open(os.path.join(ROOT, "Golden", "cases", "backbone", name + ".json")))
    prompts = [c["prompt_ids"] for c in backbone["cases"]]
    traces = json.load(open(os.path.join(ROOT, "Golden", "cases", "medusa", name + ".json")))
    for case in traces["cases"]:
        stopped = case["eos_stop"]["output_ids"]
        if stopped and stopped[-1] in eos and case["prompt_ids"] not in prompts:
            prompts.append(case["prompt_ids"])
            break
    rng = np.random.default_rng(5001)
    draws = [rng.integers(3, config["vocab_size"], int(rng.integers(1, 33))).tolist()
             for _ in range(args.draws)]
    long_runs = emit(args.medusa, args.model, draws, ["--ignore-eos", "--max-new-tokens", "160"])
    for prompt, case in zip(draws, long_runs["cases"]):
        output = case["ar_output_ids"]
        first = next((i for i, t in enumerate(output) if t in eos), None)
        if first is not None:
            prompts += [prompt + output[:first - k] for k in args.offsets if first - k >= 0]
            break
    else:
        raise SystemExit(f"no EOS in {args.draws} drawn prompts")
    with open(args.out, "w") as f:
        json.dump({"prompts": prompts,
                   "source": f"Golden/tools/conformance/make_prompts.py for {name} (seed 5001)"},
                  f)
        f.write("\n")
    print(f"{args.out}: {len(prompts)} prompts")


if __name__ == "__main__":
    main()
