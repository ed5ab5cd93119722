"""llama.cpp as a second opinion on the SmolLM2 references (a summary, not asserted by tests).

Reads Golden/cases/backbone/smollm2-135m-instruct.json (transformers, float32 on the dequantized
weights), runs llama.cpp on the same GGUF and the same prompt ids — greedy, 48 tokens, EOS ignored,
one token per decode after the prompt, through Golden/tools/.cache/llama.cpp/bin/llama-golden
(Golden/tools/bench/llama_golden.cpp) — and writes Golden/cases/backbone/smollm2-llamacpp.md:
per prompt, how many greedy tokens agree before the first divergence, top-1 agreement of
llama.cpp's argmax with transformers' at the steps both see the same prefix, and the logit gap at
the divergence. llama.cpp computes with its own kernels (Q4_1 / Q8_0 dot products against
activations quantized to Q8_1 / Q8_0, f16 KV cache...), so it is close to, not equal to, float32 on
the dequantized weights.

Needs: bash Golden/tools/fetch_smollm2.sh; bash Golden/tools/bench/build_llama_cpp.sh;
.venv/bin/python Golden/tools/make_smollm2_refs.py.

Run from the repository root:  .venv/bin/python Golden/tools/bench/compare_smollm2_llamacpp.py [THREADS]
"""
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
REF = os.path.join(ROOT, "Golden", "cases", "backbone", "smollm2-135m-instruct.json")
OUT = os.path.join(ROOT, "Golden", "cases", "backbone", "smollm2-llamacpp.md")
BIN = os.path.join(ROOT, "Golden", "tools", ".cache", "llama.cpp", "bin", "llama-golden")
INFO = os.path.join(ROOT, "Golden", "tools", ".cache", "llama.cpp", "BUILD_INFO")


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def driver_check():
    """llama-golden vs transformers on the tiny F32 GGUFs (Golden/tools/make_gguf_models.py leaves
    them in its cache): checks the driver itself (prompt positions, KV cache, greedy loop)."""
    sys.path.insert(0, os.path.join(ROOT, "Golden", "tools"))
    try:
        import torch
        import make_gguf_models as M
    except ImportError:
        return []
    torch.set_num_threads(1)
    out = []
    for name in M.SPECS:
        path = os.path.join(M.CACHE, "gguf", f"{name}-F32.gguf")
        if not os.path.exists(path):
            continue
        model = M.load_gguf(path)
        g = torch.Generator().manual_seed(5)
        prompts = [torch.randint(0, model.config.vocab_size, (n,), generator=g).tolist() for n in (1, 7, 40)]
        r = subprocess.run([BIN, path, "greedy", "32", "5", "1"], input="".join(" ".join(map(str, p)) + "\n" for p in prompts),
                           capture_output=True, text=True, check=True)
        same, worst = 0, 0.0
        for p, line in zip(prompts, r.stdout.splitlines()):
            cpp = json.loads(line)
            rows, ids, _ = M.greedy(model, p, 32)
            same += ids == cpp["greedy_ids"]
            for i in range(32):
                for tid, lg in cpp["steps"][i]["top"]:
                    worst = max(worst, abs(float(rows[i][tid]) - lg))
        out.append(f"{name}-F32.gguf: {same}/3 prompts (1, 7, 40 tokens) give identical 32-token greedy ids, "
                   f"max |Δlogit| {worst:.1e} over the top-5 ids of every step")
    return out


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    for p, how in [(REF, "make_smollm2_refs.py"), (BIN, "bench/build_llama_cpp.sh")]:
        if not os.path.exists(p):
            sys.exit(f"compare_smollm2_llamacpp: {p} missing (run {how})")
    ref = json.load(open(REF))
    gguf = os.path.join(ROOT, ref["gguf_file"])
    n_new = ref["n_new"]
    inp = "".join(" ".join(map(str, c["prompt_ids"])) + "\n" for c in ref["cases"])
    r = subprocess.run([BIN, gguf, "greedy", str(n_new), "20", str(threads)], input=inp, capture_output=True,
                       text=True, check=True)
    runs = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(runs) == len(ref["cases"])
    rows = []
    total_same, total_steps, max_dlogit = 0, 0, 0.0
    for c, run in zip(ref["cases"], runs):
        want, got = c["greedy_ids"], run["greedy_ids"]
        prefix = next((i for i in range(n_new) if want[i] != got[i]), n_new)
        # steps 0..prefix see the same prefix in both; compare argmax there
        same_top1 = sum(1 for i in range(min(prefix + 1, n_new)) if run["steps"][i]["top"][0][0] == want[i])
        steps = min(prefix + 1, n_new)
        total_same += same_top1
        total_steps += steps
        # logit differences of the shared top ids, at steps with a shared prefix
        dl = 0.0
        for i in range(steps):
            t_ids, t_log = c["step_logits"][i]["top_ids"], c["step_logits"][i]["top_logits"]
            cpp = {tid: lg for tid, lg in run["steps"][i]["top"]}
            for tid, lg in zip(t_ids[:5], t_log[:5]):
                if tid in cpp:
                    dl = max(dl, abs(cpp[tid] - lg))
        max_dlogit = max(max_dlogit, dl)
        note = ""
        if prefix < n_new:
            s = run["steps"][prefix]
            tl = dict(zip(c["step_logits"][prefix]["top_ids"], c["step_logits"][prefix]["top_logits"]))
            note = (f"step {prefix}: transformers {want[prefix]} (margin {c['greedy_margins'][prefix]:.3f}), "
                    f"llama.cpp {got[prefix]} (its top-2 gap {s['top'][0][1] - s['top'][1][1]:.3f}; "
                    f"transformers logit of it {tl.get(got[prefix], float('nan')):.3f})")
        rows.append((c["name"], len(c["prompt_ids"]), prefix, f"{same_top1}/{steps}", f"{dl:.3f}", note))
    info = open(INFO).read().strip().splitlines() if os.path.exists(INFO) else []
    lines = [
        "# SmolLM2-135M-Instruct: llama.cpp vs the transformers references",
        "",
        "A second opinion, not asserted by any test. Made by `Golden/tools/bench/compare_smollm2_llamacpp.py`",
        f"({threads} thread{'s' if threads > 1 else ''}) on `{ref['gguf_file']}` with the prompt ids of",
        "`Golden/cases/backbone/smollm2-135m-instruct.json` (transformers "
        f"{ref['versions']['transformers']}, float32 on the dequantized weights, eager attention).",
        f"llama.cpp: {info[0] if info else 'llama_cpp_python 0.3.36 vendor tree'}, driven through `llama-golden`",
        "(greedy, EOS ignored, one token per decode after the prompt). CPU: " + cpu_name() + ".",
        "",
        "llama.cpp does not compute float32 on the dequantized weights: its CPU matmuls quantize the",
        "activations (Q8_0/Q8_1) and use integer dot products against the Q4_1/Q8_0 blocks, and its",
        "KV cache is f16. So agreement is expected to be high but not total; where the two diverge,",
        "transformers' margin at that step says how close the call was.",
        "",
        "| case | prompt tokens | identical greedy prefix (of %d) | llama.cpp top-1 = transformers' token (shared prefix) | max \\|Δlogit\\| of shared top-5 ids | first divergence |" % n_new,
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, plen, prefix, top1, dl, note in rows:
        lines.append(f"| {name} | {plen} | {prefix} | {top1} | {dl} | {note or '—'} |")
    checks = driver_check()
    if checks:
        lines += ["", "Driver check on float weights (llama.cpp's F32 path vs transformers on the tiny F32 GGUFs of",
                  "`make_gguf_models.py`; the remaining gap is consistent with llama.cpp keeping its KV cache in f16, its default):", ""]
        lines += [f"- {c}" for c in checks]
    full = sum(1 for r_ in rows if r_[2] == n_new)
    lines += [
        "",
        f"Summary: {full} of {len(rows)} prompts give the identical {n_new}-token greedy continuation; "
        f"over the steps with a shared prefix llama.cpp's argmax equals transformers' token "
        f"{total_same}/{total_steps} times; the largest |Δlogit| among the shared top-5 ids is {max_dlogit:.3f} "
        f"(logits up to ~{ref['noise_floor']['max_abs_logit']:.0f}).",
        "",
    ]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
