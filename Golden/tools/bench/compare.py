"""swift-medusa against llama.cpp on the same files, in one run: decode, prefill, the T-token curve.

One script for the side-by-side tables of Docs/BENCHMARKS.md. In one run it
  1. builds llama.cpp if needed (Golden/tools/bench/build_llama_cpp.sh: the llama_cpp_python 0.3.36
     sdist's vendor/llama.cpp, GGML_NATIVE, into the gitignored Golden/tools/.cache/llama.cpp/);
  2. makes the benchmark models if missing, in the gitignored cache (--cache, default
     Golden/tools/.cache/bench/): random-weight Llamas of TinyLlama-1.1B's shape in f32, f16 and bf16
     and of SmolLM-135M's shape in f16 (Golden/tools/bench/make_bench_model.py, Hugging Face
     safetensors), each converted to GGUF in the same dtype by llama.cpp's own convert_hf_to_gguf.py
     with a small real tokenizer (Golden/tokenizers/llama2 as a SentencePiece tokenizer.model for
     the TinyLlama shape, Golden/tokenizers/smollm's byte-level BPE for the SmolLM shape; the
     converter pads the vocabulary to the model's with [PAD<i>] tokens), then checks that
     llama.cpp loads each file; plus the real SmolLM2-135M-Instruct Q4_1 GGUF as it is
     (Golden/tools/fetch_smollm2.sh), and the embedded default model (Golden/models/default, f16)
     converted the same way with its own tokenizer, run with its shipped heads (the Medusa table);
  3. for every model and thread count, runs `medusa bench --json` and `llama-bench -o json` on the
     SAME GGUF file, one program at a time, both under the same `nice`, interleaved over rounds
     (round r runs both; odd rounds run llama.cpp first), and takes medians over rounds and paired
     ratios (ours / llama.cpp, median of the per-round ratios) in the same run;
  4. prints Markdown tables (decode, prefill, the T-token curve, Medusa when the model has heads)
     and writes them with a JSON of every raw number, the CPU (lscpu model name and flags), the
     date, the git commit, the load average around every run and the read bandwidth that
     `medusa bench` measured in the same run.

What is compared (say it beside the numbers):
  decode   medusa bench: tokens/s of greedy decoding after a C-token prompt (median of --repeats);
           llama-bench: `-n N -d C` (N tokens generated after a C-token context). C = --context, 64
           by default; a long one (e.g. 1024) measures decoding deep into a conversation, where
           attention reads the cache (ours f32, llama.cpp's default f16).
  prefill  a C-token prompt from an empty cache: medusa bench's prefill; llama-bench `-p C -d 0`.
  T curve  the time of one forward of T tokens after a C-token prefix, relative to T = 1:
           medusa bench computes the logits of ALL T tokens (what verifying a tree needs);
           llama-bench `-p T -n 0 -d C` computes logits for the LAST token only. Under both,
           a "roofline floor" row: medusa bench's floor for T tokens (the larger of the weights'
           bytes at its read bandwidth and the T tokens' multiply-adds at its FMA rate) over our
           measured T = 1 time, the cost no program can beat on this machine.
  llama.cpp keeps its defaults otherwise (f16 KV cache, flash attention auto, ubatch 512,
  repacking on): recorded in the JSON.

Run from the repository root with the project venv (Python is only for Golden/tools):

    swift build -c release
    .venv/bin/python Golden/tools/bench/compare.py                 # everything, ~1-2 h on 2 cores
    .venv/bin/python Golden/tools/bench/compare.py --quick         # SmolLM shapes + default, 1 round: minutes
    .venv/bin/python Golden/tools/bench/compare.py --models tinyllama-f16,smollm2-q4_1 \
        --threads 1,2 --rounds 3 --tokens 32 --repeats 3

Options: --models (comma list, or `all`: tinyllama-f32, tinyllama-f16, tinyllama-bf16, smollm-f16,
smollm2-q4_1, default-f16), --threads (comma list), --rounds, --tokens (decode tokens per repeat), --context C (default 64),
--repeats (medusa bench --repeats = llama-bench -r), --medusa PATH (the release binary; default
.build/release/medusa), --cache DIR, --nice N (0 on a quiet machine), --heads MODEL=DIR (run the
Medusa table for that model with those heads; default-f16 has its shipped heads and tree), --no-medusa,
--ours-from gguf|hf (hf: medusa reads the
safetensors folder the GGUF came from; not the same file), --out PREFIX (writes PREFIX.md and
PREFIX.json; default CACHE/results/compare-<UTC time>), --prepare-only.
Never commit anything from the cache or llama.cpp.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOOLS = os.path.join(ROOT, "Golden", "tools")
LLAMA = os.path.join(TOOLS, ".cache", "llama.cpp")
LLAMA_BENCH = os.path.join(LLAMA, "bin", "llama-bench")
CONVERTER_SRC = os.path.join(LLAMA, "src")
TOKENIZERS = os.path.join(ROOT, "Golden", "tokenizers")
SMOLLM2 = os.path.join(ROOT, "Golden", "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
CURVE = [1, 2, 4, 8, 16, 32, 64]
PREFIX = 64  # the context: medusa bench --context, llama-bench -d (set from --context)

# name -> how to get the GGUF (and the HF folder) of that model
MODELS = {
    "tinyllama-f32": dict(shape="tinyllama-1.1b", dtype="f32", tokenizer="llama2",
                          label="TinyLlama-1.1B shape (random)", weights="f32"),
    "tinyllama-f16": dict(shape="tinyllama-1.1b", dtype="f16", tokenizer="llama2",
                          label="TinyLlama-1.1B shape (random)", weights="f16"),
    "tinyllama-bf16": dict(shape="tinyllama-1.1b", dtype="bf16", tokenizer="llama2",
                           label="TinyLlama-1.1B shape (random)", weights="bf16"),
    "smollm-f16": dict(shape="smollm-135m", dtype="f16", tokenizer="smollm",
                       label="SmolLM-135M shape (random)", weights="f16"),
    # the real model with the heads and tree shipped beside it (Golden/tools/smollm2_heads.sh)
    "smollm2-q4_1": dict(gguf=SMOLLM2, label="SmolLM2-135M-Instruct", weights="Q4_1",
                         heads=os.path.join(ROOT, "Golden", "models", "smollm2-135m-instruct", "medusa")),
    # the embedded default model (4.0M parameters) with its shipped heads and tree: the Medusa
    # table; llama.cpp and medusa read its GGUF conversion, medusa adds --heads from the folder
    "default-f16": dict(hf=os.path.join(ROOT, "Golden", "models", "default"), dtype="f16", tokenizer="self-sp",
                        heads=os.path.join(ROOT, "Golden", "models", "default", "medusa"),
                        label="default model (4.0M)", weights="f16"),
}
QUICK = dict(models="smollm-f16,smollm2-q4_1,default-f16", threads="1,2", rounds=1, tokens=16, repeats=1)
DEFAULTS = dict(models="all", threads="1,2", rounds=3, tokens=32, repeats=3)

# The converter cannot recognise a home-made tokenizer by its hash (get_vocab_base_pre): name the
# pre-tokenizer ourselves, as Golden/tools/make_gguf_models.py does. "smollm" is llama.cpp's name
# for SmolLM's regex (digits split, then GPT-2's byte-level regex), exactly Golden/tokenizers/smollm.
BOOTSTRAP = r"""
import os, sys, runpy
src = sys.argv[1]
sys.path.insert(0, src)
sys.path.insert(1, src + "/gguf-py")
import conversion.base as base
base.TextModel.get_vocab_base_pre = lambda self, tokenizer: os.environ["MEDUSA_BENCH_TOKPRE"]
sys.argv = [src + "/convert_hf_to_gguf.py"] + sys.argv[2:]
runpy.run_path(src + "/convert_hf_to_gguf.py", run_name="__main__")
"""


def log(*a):
    print("[compare]", *a, file=sys.stderr, flush=True)


def die(msg):
    sys.exit(f"compare.py: error: {msg}")


def run(cmd, check=True, timeout=None, env=None, capture=True):
    r = subprocess.run(cmd, capture_output=capture, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        tail = (r.stderr or "")[-2000:] if capture else ""
        die(f"{' '.join(cmd)} exited {r.returncode}\n{tail}")
    return r


# ---------------------------------------------------------------- machine

def machine_info(args, medusa):
    info = dict(date_utc=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                hostname=platform.node(), kernel=platform.release(), python=platform.python_version())
    try:
        lscpu = run(["lscpu"], check=False).stdout
    except OSError:
        lscpu = ""
    fields = {}
    for line in lscpu.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    flags = set(fields.get("Flags", "").split())
    info["cpu"] = fields.get("Model name", platform.processor() or "unknown")
    info["cpu_vendor"] = fields.get("Vendor ID", "")
    info["cpu_family_model"] = f"family {fields.get('CPU family', '?')} model {fields.get('Model', '?')}"
    info["cpus"] = fields.get("CPU(s)", str(os.cpu_count()))
    info["l3"] = fields.get("L3 cache", "")
    info["hypervisor"] = fields.get("Hypervisor vendor", "")
    info["flags"] = {f: f in flags for f in ["avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_bf16",
                                              "avx512_vnni", "avx512_fp16", "amx_tile"]}
    try:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    g = lambda *c: run(["git", "-C", ROOT] + list(c), check=False).stdout.strip()
    info["git_commit"] = g("rev-parse", "HEAD")
    info["git_dirty"] = bool(g("status", "--porcelain", "--untracked-files=no"))
    st = os.stat(medusa)
    info["medusa_binary"] = dict(path=medusa, size=st.st_size,
                                 mtime_utc=datetime.datetime.fromtimestamp(st.st_mtime, datetime.timezone.utc)
                                 .strftime("%Y-%m-%dT%H:%M:%SZ"))
    try:
        info["swift"] = run(["swift", "--version"], check=False).stdout.strip().splitlines()[0]
    except (OSError, IndexError):
        info["swift"] = ""
    bi = os.path.join(LLAMA, "BUILD_INFO")
    info["llama_cpp_build"] = open(bi).read().strip() if os.path.exists(bi) else ""
    r = run([LLAMA_BENCH, "--version"], check=False)
    info["llama_bench_version"] = (r.stdout + r.stderr).strip()
    cache = os.path.join(LLAMA, "build", "CMakeCache.txt")
    if os.path.exists(cache):
        opts = {}
        for line in open(cache):
            for key in ["GGML_NATIVE", "GGML_OPENMP", "GGML_AVX512", "GGML_AVX2", "CMAKE_BUILD_TYPE"]:
                if line.startswith(key + ":"):
                    opts[key] = line.strip().split("=", 1)[1]
        info["llama_cpp_cmake"] = opts
    info["nice"] = args.nice
    return info


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


# ---------------------------------------------------------------- models

def ensure_llama_cpp():
    log("llama.cpp: bash Golden/tools/bench/build_llama_cpp.sh")
    r = subprocess.run(["bash", os.path.join(TOOLS, "bench", "build_llama_cpp.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        die("build_llama_cpp.sh failed:\n" + r.stdout[-1500:] + r.stderr[-1500:])
    if not os.access(LLAMA_BENCH, os.X_OK):
        die(f"{LLAMA_BENCH} missing after build_llama_cpp.sh")


def make_hf(spec, hf_dir, nice):
    if os.path.exists(os.path.join(hf_dir, "config.json")) and os.path.exists(os.path.join(hf_dir, "model.safetensors")):
        return
    tmp = hf_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"making {hf_dir} ({spec['shape']}, {spec['dtype']}, random weights, seed 0)")
    t = time.time()
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1")
    run(["nice", "-n", str(nice), sys.executable, os.path.join(TOOLS, "bench", "make_bench_model.py"),
         "--shape", spec["shape"], "--dtype", spec["dtype"], "--out", tmp], env=env)
    os.replace(tmp, hf_dir)
    log(f"  {time.time() - t:.0f} s")


def sentencepiece_model(tokenizer_json):
    """Golden/tools/make_gguf_models.py's SentencePiece ModelProto of a Llama-2-style tokenizer.json."""
    sys.path.insert(0, TOOLS)
    from make_gguf_models import sentencepiece_model as sp
    return sp(tokenizer_json)


def write_tokenizer(kind, d, hf_dir):
    """A small real tokenizer in `d` for the converter (it pads the vocabulary to the model's).
    self-sp: the model folder's own Llama-2-style tokenizer.json, as a SentencePiece model."""
    src = hf_dir if kind == "self-sp" else os.path.join(TOKENIZERS, kind)
    tj = json.load(open(os.path.join(src, "tokenizer.json"), encoding="utf-8"))
    shutil.copy(os.path.join(src, "tokenizer.json"), os.path.join(d, "tokenizer.json"))
    cfg = json.load(open(os.path.join(src, "tokenizer_config.json"), encoding="utf-8"))
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    if kind in ("llama2", "self-sp"):
        cfg.update(unk_token="<unk>", add_bos_token=True, add_eos_token=False)
        with open(os.path.join(d, "tokenizer.model"), "wb") as f:
            f.write(sentencepiece_model(tj))
        tokpre = "default"  # unused on the SentencePiece path
    elif kind == "smollm":
        cfg.update(bos_token="<|endoftext|>", eos_token="<|endoftext|>", add_bos_token=False, add_eos_token=False)
        tokpre = "smollm"
    else:
        raise ValueError(kind)
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, ensure_ascii=False, indent=1)
    return tokpre


def convert(name, spec, hf_dir, gguf_path, nice):
    if os.path.exists(gguf_path):
        return
    stage = os.path.join(os.path.dirname(gguf_path), "stage-" + name)
    shutil.rmtree(stage, ignore_errors=True)
    os.makedirs(stage)
    # the HF folder stays as make_bench_model.py wrote it (what medusa reads with --ours-from hf);
    # the converter sees it with a tokenizer beside it
    for f in ["config.json", "model.safetensors"]:
        os.symlink(os.path.join(hf_dir, f), os.path.join(stage, f))
    tokpre = write_tokenizer(spec["tokenizer"], stage, hf_dir)
    tmp = gguf_path + ".tmp"
    log(f"converting {name} -> {gguf_path} (convert_hf_to_gguf.py --outtype {spec['dtype']})")
    t = time.time()
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS="1", MEDUSA_BENCH_TOKPRE=tokpre)
    r = run(["nice", "-n", str(nice), sys.executable, "-c", BOOTSTRAP, CONVERTER_SRC, stage,
             "--outfile", tmp, "--outtype", spec["dtype"]], check=False, env=env)
    if r.returncode != 0:
        die(f"convert_hf_to_gguf.py failed for {name}:\n{r.stderr[-3000:]}")
    os.replace(tmp, gguf_path)
    shutil.rmtree(stage, ignore_errors=True)
    log(f"  {time.time() - t:.0f} s")


def gguf_summary(path):
    """Tensor types and the tokenizer model of a GGUF (the vendored gguf-py reader)."""
    sys.path.insert(1, os.path.join(CONVERTER_SRC, "gguf-py"))
    import gguf
    r = gguf.GGUFReader(path)
    types = {}
    for t in r.tensors:
        n = gguf.GGMLQuantizationType(t.tensor_type).name
        types[n] = types.get(n, 0) + 1
    out = dict(tensor_types=types, bytes=os.path.getsize(path))
    for key in ["tokenizer.ggml.model", "tokenizer.ggml.pre"]:
        f = r.fields.get(key)
        if f is not None:
            out[key] = bytes(f.parts[f.data[0]]).decode("utf-8", "replace")
    f = r.fields.get("tokenizer.ggml.tokens")
    if f is not None:
        out["vocab"] = len(f.data)
    return out


def verify_llama_loads(name, path, cache, nice):
    stamp = os.path.join(cache, "gguf", name + ".llama-ok")  # in the cache, never beside a repository file
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= os.path.getmtime(path):
        return
    log(f"checking that llama.cpp loads {os.path.basename(path)}")
    r = run(["nice", "-n", str(nice), LLAMA_BENCH, "-m", path, "-p", "0", "-n", "1", "-r", "1", "--no-warmup",
             "-t", "1", "-o", "json"], check=False, timeout=1200)
    try:
        ok = r.returncode == 0 and len(json.loads(r.stdout)) == 1
    except json.JSONDecodeError:
        ok = False
    if not ok:
        die(f"llama.cpp cannot load {path}:\n{r.stderr[-2000:]}")
    open(stamp, "w").write("llama-bench loaded this file\n")


def prepare(names, args):
    """The GGUF (and HF folder) of every model; builds llama.cpp first."""
    ensure_llama_cpp()
    files = {}
    for name in names:
        spec = MODELS[name]
        if "gguf" in spec:
            if not os.path.exists(spec["gguf"]):
                log("fetching SmolLM2: bash Golden/tools/fetch_smollm2.sh")
                r = subprocess.run(["bash", os.path.join(TOOLS, "fetch_smollm2.sh")], capture_output=True, text=True)
                if r.returncode != 0:
                    die("fetch_smollm2.sh failed:\n" + r.stderr[-1500:])
            files[name] = dict(gguf=spec["gguf"], hf=None)
        else:
            hf = spec.get("hf") or os.path.join(args.cache, "hf", name)
            g = os.path.join(args.cache, "gguf", name + ".gguf")
            os.makedirs(os.path.dirname(g), exist_ok=True)
            if "shape" in spec:
                os.makedirs(os.path.dirname(hf), exist_ok=True)
                make_hf(spec, hf, args.nice)
            convert(name, spec, hf, g, args.nice)
            files[name] = dict(gguf=g, hf=hf)
        os.makedirs(os.path.join(args.cache, "gguf"), exist_ok=True)
        verify_llama_loads(name, files[name]["gguf"], args.cache, args.nice)
        files[name]["gguf_summary"] = gguf_summary(files[name]["gguf"])
        log(f"{name}: {files[name]['gguf']} {files[name]['gguf_summary']}")
    return files


# ---------------------------------------------------------------- the two programs

def run_medusa(args, name, path, threads):
    cmd = ["nice", "-n", str(args.nice), args.medusa, "bench", "--model", path, "--threads", str(threads),
           "--tokens", str(args.tokens), "--repeats", str(args.repeats), "--context", str(PREFIX), "--json"]
    heads = args.heads_map.get(name) or MODELS[name].get("heads")
    if heads and not args.no_medusa:
        cmd += ["--heads", heads]
    else:
        cmd += ["--no-medusa"]
    r = run(cmd, check=False, timeout=args.timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-1500:]}")
    out = r.stdout
    return cmd, json.loads(out[out.index("{"):])  # tolerate anything printed before the JSON


def llama_cmds(args, path, threads):
    base = ["nice", "-n", str(args.nice), LLAMA_BENCH, "-m", path, "-t", str(threads),
            "-r", str(args.repeats), "-o", "json"]
    return [
        # decode after the context, and the T curve (logits for the last token only)
        base + ["-p", ",".join(map(str, CURVE)), "-n", str(args.tokens), "-d", str(PREFIX)],
        # prefill of a context-long prompt from an empty cache
        base + ["-p", str(PREFIX), "-n", "0", "-d", "0"],
    ]


def run_llama(args, path, threads):
    tests, cmds = [], []
    for cmd in llama_cmds(args, path, threads):
        r = run(cmd, check=False, timeout=args.timeout)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()[-1500:]}")
        tests += json.loads(r.stdout)
        cmds.append(cmd)
    return cmds, tests


def llama_numbers(tests):
    """decode / prefill tokens/s and the curve's median seconds per forward from llama-bench JSON."""
    out = dict(curve_seconds={})
    for t in tests:
        ns = statistics.median(t["samples_ns"])
        ts = statistics.median(t["samples_ts"])
        if t["n_gen"] > 0 and t["n_prompt"] == 0:
            out["decode"] = ts
        elif t["n_gen"] == 0 and t["n_depth"] == 0 and t["n_prompt"] == PREFIX:
            out["prefill"] = ts
        elif t["n_gen"] == 0 and t["n_depth"] == PREFIX:
            out["curve_seconds"][t["n_prompt"]] = ns / 1e9
    c = out["curve_seconds"]
    if 1 in c:
        out["curve"] = {T: c[T] / c[1] for T in sorted(c)}
    return out


def medusa_numbers(j):
    out = dict(decode=j.get("decode_tokens_per_second"), prefill=j.get("prefill_tokens_per_second"),
               read=j.get("read_gb_per_second"), triad=j.get("triad_gb_per_second"),
               bytes=j.get("weight_bytes_per_token"))
    curve = j.get("forward_cost_relative_to_t1") or {}
    out["curve"] = {int(k): float(v) for k, v in curve.items()}
    # absolute seconds per forward, if a later `medusa bench` reports them under one of these names
    for key in ["forward_seconds", "forward_seconds_by_tokens", "forward_cost_seconds"]:
        if isinstance(j.get(key), dict):
            out["curve_seconds"] = {int(k): float(v) for k, v in j[key].items()}
            break
    floor = j.get("roofline_relative_to_t1") or {}
    out["floor"] = {int(k): float(v) for k, v in floor.items()}
    out["fma"] = j.get("multiply_adds_per_second")
    out["medusa"] = j.get("medusa") or []
    return out


# ---------------------------------------------------------------- tables

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=3):
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits - 1}f}" if abs(x) >= 1 else f"{x:.{digits}f}"


def fmtx(x):
    return "—" if x is None else fmt(x) + "x"


def paired(rounds, key, sub=None):
    """Median over rounds of ours / llama.cpp for one number (rounds where both measured it)."""
    ratios = []
    for r in rounds:
        a, b = r.get("ours"), r.get("llama")
        if not a or not b:
            continue
        x, y = (a.get(key), b.get(key)) if sub is None else (a.get(key, {}).get(sub), b.get(key, {}).get(sub))
        if x and y:
            ratios.append(x / y)
    return med(ratios)


def summarise(results, files, args):
    """Medians per (model, threads) from the per-round numbers."""
    summary = []
    for name in args.models:
        for threads in args.threads:
            rounds = [r for r in results if r["model"] == name and r["threads"] == threads]
            ours = [r["ours"] for r in rounds if r.get("ours")]
            llama = [r["llama"] for r in rounds if r.get("llama")]
            s = dict(model=name, threads=threads, rounds=len(rounds),
                     ours_ok=len(ours), llama_ok=len(llama),
                     errors=[e for r in rounds for e in r.get("errors", [])])
            s["ours_decode"] = med([o["decode"] for o in ours])
            s["llama_decode"] = med([l.get("decode") for l in llama])
            s["decode_ratio"] = paired(rounds, "decode")
            s["ours_prefill"] = med([o["prefill"] for o in ours])
            s["llama_prefill"] = med([l.get("prefill") for l in llama])
            s["prefill_ratio"] = paired(rounds, "prefill")
            s["read_gb_s"] = med([o["read"] for o in ours])
            s["triad_gb_s"] = med([o["triad"] for o in ours])
            s["bytes_per_token"] = med([o["bytes"] for o in ours])
            s["ours_curve"] = {T: med([o["curve"].get(T) for o in ours]) for T in CURVE}
            s["floor_curve"] = {T: med([o.get("floor", {}).get(T) for o in ours]) for T in CURVE}
            s["fma_g_s"] = med([o["fma"] / 1e9 for o in ours if o.get("fma")])
            s["llama_curve"] = {T: med([l.get("curve", {}).get(T) for l in llama]) for T in CURVE}
            s["llama_curve_seconds"] = {T: med([l["curve_seconds"].get(T) for l in llama]) for T in CURVE}
            if any("curve_seconds" in o for o in ours):
                s["ours_curve_seconds"] = {T: med([o.get("curve_seconds", {}).get(T) for o in ours]) for T in CURVE}
                s["ours_curve_seconds_source"] = "medusa bench"
            elif s["ours_decode"]:
                # not reported by medusa bench: relative cost x the median decode time per token
                s["ours_curve_seconds"] = {T: (s["ours_curve"][T] / s["ours_decode"]) if s["ours_curve"][T] else None
                                           for T in CURVE}
                s["ours_curve_seconds_source"] = "estimated: relative cost x (1 / decode tokens/s)"
            med_rows = {}  # greedy rows (no "decoder"), then medusa bench's sampling rows
            for o in ours:
                for row in o["medusa"]:
                    key = (row.get("decoder", "greedy"), row.get("sampling_temperature"), row.get("tree", "?"))
                    med_rows.setdefault(key, []).append(row)
            s["medusa"] = [dict(decoder=k[0], temperature=k[1], tree=k[2], nodes=rows[0].get("nodes"),
                                tokens_per_step=med([x.get("tokens_per_step") for x in rows]),
                                tokens_per_second=med([x.get("tokens_per_second") for x in rows]),
                                speedup=med([x.get("speedup") for x in rows]))
                           for k, rows in med_rows.items()]
            summary.append(s)
    return summary


def markdown(summary, machine, files, args):
    L = []
    flags = ", ".join(f for f, on in machine["flags"].items() if on) or "none of avx2/fma/avx512f"
    L.append(f"## swift-medusa vs llama.cpp, {machine['date_utc']}")
    L.append("")
    L.append(f"CPU: **{machine['cpu']}** ({machine['cpus']} CPUs, L3 {machine['l3'] or '?'}"
             f"{', ' + machine['hypervisor'] + ' VM' if machine['hypervisor'] else ''}; flags: {flags}); "
             f"{machine.get('memory_gib', '?')} GiB RAM. swift-medusa {machine['git_commit'][:12]}"
             f"{' (uncommitted changes)' if machine['git_dirty'] else ''}, `{os.path.relpath(args.medusa, ROOT)}`; "
             f"llama.cpp from the llama_cpp_python 0.3.36 sdist, GGML_NATIVE="
             f"{machine.get('llama_cpp_cmake', {}).get('GGML_NATIVE', '?')}. "
             + ("llama.cpp on the GGUF, swift-medusa on the safetensors folder it was converted from (--ours-from hf)"
                if args.ours_from == "hf" else "Both programs on the same GGUF file") + ", "
             f"one at a time under `nice -n {args.nice}`, {args.rounds} interleaved round(s), "
             f"--tokens {args.tokens}, --repeats {args.repeats} (= llama-bench -r). Medians over rounds; "
             f"ratio = median of the per-round ours / llama.cpp. Load average before / after: "
             f"{machine.get('load_before')} / {machine.get('load_after')}.")
    L.append("")
    busy = [x for x in (machine.get("run_loads") or []) if x is not None and x > float(machine["cpus"] or 1)]
    if busy:
        L.append(f"**The machine was busy**: the 1-minute load average exceeded the {machine['cpus']} CPUs before "
                 f"{len(busy)} of {len(machine['run_loads'])} program runs (max {max(busy):.1f}); with other work on the "
                 "cores, multi-threaded runs (llama.cpp's spinning threads most) lose far more than single-threaded "
                 "ones. Rerun on a quiet machine before quoting these numbers.")
        L.append("")
    L.append(f"### Decode (tokens/s, after a {PREFIX}-token context)")
    L.append("")
    L.append("| model | weights | threads | swift-medusa | llama.cpp | ours / llama.cpp | ours GB/s | llama.cpp GB/s | read GB/s (same run) |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in summary:
        spec = MODELS[s["model"]]
        b = s["bytes_per_token"]
        eff = lambda tps: (b * tps / 1e9) if (b and tps) else None
        L.append(f"| {spec['label']} | {spec['weights']} | {s['threads']} | {fmt(s['ours_decode'])} | "
                 f"{fmt(s['llama_decode'])} | {fmtx(s['decode_ratio'])} | {fmt(eff(s['ours_decode']))} | "
                 f"{fmt(eff(s['llama_decode']))} | {fmt(s['read_gb_s'])} |")
    L.append("")
    L.append("GB/s = weight bytes read per token (medusa bench's `weight_bytes_per_token`, the same file for both) "
             "x tokens/s; read GB/s is medusa bench's read-only probe (512 MiB, same threads).")
    L.append("")
    L.append(f"### Prefill ({PREFIX}-token prompt, tokens/s)")
    L.append("")
    L.append("| model | weights | threads | swift-medusa | llama.cpp | ours / llama.cpp |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for s in summary:
        spec = MODELS[s["model"]]
        L.append(f"| {spec['label']} | {spec['weights']} | {s['threads']} | {fmt(s['ours_prefill'])} | "
                 f"{fmt(s['llama_prefill'])} | {fmtx(s['prefill_ratio'])} |")
    L.append("")
    L.append(f"### One forward of T tokens after a {PREFIX}-token prefix, relative to T = 1")
    L.append("")
    L.append("swift-medusa computes the logits of all T tokens (tree verification needs them); "
             f"llama.cpp (`llama-bench -p T -n 0 -d {PREFIX}`) computes logits for the last token only.")
    L.append("")
    head = " | ".join(f"T={T}" for T in CURVE[1:])
    L.append(f"| model | weights | threads | program | T=1 ms | {head} |")
    L.append("| --- | --- | --- | --- | --- | " + " | ".join("---" for _ in CURVE[1:]) + " |")
    estimated = False
    for s in summary:
        spec = MODELS[s["model"]]
        for prog, curve, secs in [("swift-medusa", s["ours_curve"], s.get("ours_curve_seconds") or {}),
                                  ("llama.cpp", s["llama_curve"], s["llama_curve_seconds"])]:
            t1 = secs.get(1)
            mark = ""
            if prog == "swift-medusa" and s.get("ours_curve_seconds_source", "").startswith("estimated"):
                mark, estimated = "~", True
            L.append(f"| {spec['label']} | {spec['weights']} | {s['threads']} | {prog} | "
                     f"{mark}{fmt(t1 * 1e3) if t1 else '—'} | " + " | ".join(fmt(curve.get(T)) for T in CURVE[1:]) + " |")
        floor, t1 = s["floor_curve"], (s.get("ours_curve_seconds") or {}).get(1)
        if any(floor.values()):
            L.append(f"| {spec['label']} | {spec['weights']} | {s['threads']} | roofline floor / ours T=1 | "
                     f"{fmt(floor[1] * t1 * 1e3) if (floor.get(1) and t1) else '—'} | "
                     + " | ".join(fmt(floor.get(T)) for T in CURVE[1:]) + " |")
    L.append("")
    if any(any(s["floor_curve"].values()) for s in summary):
        L.append("Roofline floor: the larger of the weights' bytes at the read bandwidth and all T tokens' "
                 "multiply-adds at the FMA rate (medusa bench's probes, same threads: "
                 + ", ".join(f"{s['model']} {s['threads']}t {fmt(s['fma_g_s'])} G FMA/s, {fmt(s['read_gb_s'])} GB/s"
                             for s in summary if s.get("fma_g_s")) + "), over our measured T = 1 time: "
                 "no program can go below it on this machine.")
        L.append("")
    if estimated:
        L.append("~ medusa bench reports the curve relative to T = 1 only; its T = 1 time is estimated as "
                 "1 / decode tokens/s.")
        L.append("")
    L.append("Time per forward, T tokens, in ms (T = 1 column of the table above times the relative cost):")
    L.append("")
    L.append("| model | weights | threads | program | " + " | ".join(f"T={T}" for T in CURVE) + " |")
    L.append("| --- | --- | --- | --- | " + " | ".join("---" for _ in CURVE) + " |")
    for s in summary:
        spec = MODELS[s["model"]]
        for prog, secs in [("swift-medusa", s.get("ours_curve_seconds") or {}), ("llama.cpp", s["llama_curve_seconds"])]:
            L.append(f"| {spec['label']} | {spec['weights']} | {s['threads']} | {prog} | " +
                     " | ".join(fmt(secs[T] * 1e3) if secs.get(T) else "—" for T in CURVE) + " |")
    L.append("")
    if any(s["medusa"] for s in summary):
        L.append("### Medusa (medusa bench's table: speedup over our own AR in the same run)")
        L.append("")
        L.append("Greedy rows against llama.cpp's greedy decode tokens/s (same file, same threads, same run; "
                 f"llama.cpp's after a {PREFIX}-token context, ours over medusa bench's own prompts); sampling rows "
                 "(temperature T) against our AR sampling at that T. medusa bench's JSON has no greedy AR row: "
                 "its tokens/s is estimated as the median of tokens/s / speedup over the greedy rows (~).")
        L.append("")
        L.append("| model | threads | decoder | tree | nodes | tokens/step | tokens/s | speedup vs our AR | vs llama.cpp AR decode |")
        L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for s in summary:
            greedy_rows = [r for r in s["medusa"] if r["decoder"] == "greedy" and r["tokens_per_second"] and r["speedup"]]
            if greedy_rows:
                ar = med([r["tokens_per_second"] / r["speedup"] for r in greedy_rows])
                vs = ar / s["llama_decode"] if s["llama_decode"] else None
                L.append(f"| {MODELS[s['model']]['label']} {MODELS[s['model']]['weights']} | {s['threads']} | greedy | "
                         f"autoregressive (~ tokens/s / speedup) | 1 | 1.00 | ~{fmt(ar)} | 1.00x | {fmtx(vs)} |")
            for row in s["medusa"]:
                greedy = row["decoder"] == "greedy"
                vs = row["tokens_per_second"] / s["llama_decode"] if (greedy and row["tokens_per_second"] and s["llama_decode"]) else None
                dec = row["decoder"] + (f" T={row['temperature']}" if row["temperature"] is not None else "")
                L.append(f"| {MODELS[s['model']]['label']} {MODELS[s['model']]['weights']} | {s['threads']} | {dec} | "
                         f"{row['tree']} | {row['nodes']} | {fmt(row['tokens_per_step'])} | "
                         f"{fmt(row['tokens_per_second'])} | {fmtx(row['speedup'])} | {fmtx(vs)} |")
        L.append("")
    errs = [(s["model"], s["threads"], e) for s in summary for e in s["errors"]]
    if errs:
        L.append("### Failed runs")
        L.append("")
        for m, t, e in errs:
            L.append(f"- {m}, {t} thread(s): {e.splitlines()[0][:300]}")
        L.append("")
    L.append("Files: " + "; ".join(f"{n}: `{os.path.basename(files[n]['gguf'])}` "
                                   f"({files[n]['gguf_summary']['bytes'] / 1e6:.0f} MB, "
                                   + ", ".join(f"{k} x{v}" for k, v in sorted(files[n]['gguf_summary']['tensor_types'].items()))
                                   + ")" for n in args.models) + ".")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------- main

def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", help=f"comma list of {', '.join(MODELS)}, or all (default all)")
    p.add_argument("--threads", help="comma list (default 1,2)")
    p.add_argument("--rounds", type=int)
    p.add_argument("--tokens", type=int, help="decode tokens per repeat (medusa bench --tokens, llama-bench -n)")
    p.add_argument("--context", type=int, default=64,
                   help="tokens of context before decode and the T curve, and of the prefill prompt "
                        "(medusa bench --context, llama-bench -d; default 64)")
    p.add_argument("--repeats", type=int, help="medusa bench --repeats and llama-bench -r")
    p.add_argument("--quick", action="store_true",
                   help=f"defaults for a few-minute run: {QUICK} (explicit options still win)")
    p.add_argument("--medusa", default=os.path.join(ROOT, ".build", "release", "medusa"),
                   help="the release binary (swift build -c release)")
    p.add_argument("--cache", default=os.path.join(TOOLS, ".cache", "bench"))
    p.add_argument("--nice", type=int, default=10, help="niceness of both programs (0 on a quiet machine)")
    p.add_argument("--heads", action="append", default=[], metavar="MODEL=DIR",
                   help="medusa bench --heads DIR for that model (Medusa table); otherwise --no-medusa")
    p.add_argument("--no-medusa", action="store_true", help="no Medusa table, even for the default model")
    p.add_argument("--ours-from", choices=["gguf", "hf"], default="gguf",
                   help="what medusa bench reads: the GGUF llama.cpp reads (default) or the HF folder")
    p.add_argument("--timeout", type=int, default=3600, help="seconds per program run")
    p.add_argument("--out", help="output prefix (PREFIX.md, PREFIX.json)")
    p.add_argument("--prepare-only", action="store_true", help="build llama.cpp and the models, then stop")
    a = p.parse_args()
    base = QUICK if a.quick else DEFAULTS
    for k, v in base.items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    a.models = list(MODELS) if a.models == "all" else [m.strip() for m in a.models.split(",") if m.strip()]
    for m in a.models:
        if m not in MODELS:
            p.error(f"unknown model {m} (known: {', '.join(MODELS)})")
    a.threads = [int(t) for t in str(a.threads).split(",")]
    a.heads_map = {}
    for h in a.heads:
        m, _, d = h.partition("=")
        if m not in MODELS or not d:
            p.error(f"--heads wants MODEL=DIR with MODEL one of {', '.join(MODELS)}")
        a.heads_map[m] = os.path.abspath(d)
    a.medusa = os.path.abspath(a.medusa)
    a.cache = os.path.abspath(a.cache)
    return a


def main():
    args = parse()
    global PREFIX
    PREFIX = args.context
    if not args.prepare_only and not os.access(args.medusa, os.X_OK):
        die(f"no medusa binary at {args.medusa} (swift build -c release, or --medusa PATH)")
    files = prepare(args.models, args)
    if args.prepare_only:
        return
    machine = machine_info(args, args.medusa)
    machine["load_before"] = loadavg()
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    prefix = args.out or os.path.join(args.cache, "results", f"compare-{stamp}")
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    log(f"CPU {machine['cpu']}; flags {machine['flags']}; commit {machine['git_commit'][:12]}"
        f"{'+dirty' if machine['git_dirty'] else ''}")
    results = []
    t_start = time.time()
    for rnd in range(args.rounds):
        for name in args.models:
            ours_path = files[name]["gguf"] if args.ours_from == "gguf" or not files[name]["hf"] else files[name]["hf"]
            for threads in args.threads:
                rec = dict(model=name, threads=threads, round=rnd, errors=[], runs=[])
                order = ["ours", "llama"] if rnd % 2 == 0 else ["llama", "ours"]
                for prog in order:
                    t, la = time.time(), loadavg()
                    try:
                        if prog == "ours":
                            cmd, raw = run_medusa(args, name, ours_path, threads)
                            rec["ours"] = medusa_numbers(raw)
                            rec["runs"].append(dict(program="swift-medusa", cmd=cmd, raw=raw))
                        else:
                            cmds, raw = run_llama(args, files[name]["gguf"], threads)
                            rec["llama"] = llama_numbers(raw)
                            rec["runs"].append(dict(program="llama.cpp", cmd=cmds, raw=raw))
                    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError, ValueError, KeyError) as e:
                        rec["errors"].append(f"{prog}: {e}")
                        log(f"  FAILED {prog}: {str(e)[:500]}")
                    rec["runs"][-1:] and rec["runs"][-1].update(wall_s=round(time.time() - t, 2), load_before=la,
                                                                  load_after=loadavg())
                    log(f"round {rnd + 1}/{args.rounds} {name} t={threads} {prog}: {time.time() - t:.0f} s"
                        + (f", decode {rec[prog]['decode']:.2f} tok/s" if rec.get(prog, {}).get("decode") else ""))
                results.append(rec)
    machine["load_after"] = loadavg()
    machine["run_loads"] = [run["load_before"][0] for r in results for run in r["runs"] if run.get("load_before")]
    machine["wall_s"] = round(time.time() - t_start)
    summary = summarise(results, files, args)
    md = markdown(summary, machine, files, args)
    config = {k: getattr(args, k) for k in ["models", "threads", "rounds", "tokens", "repeats", "nice", "ours_from",
                                            "medusa", "cache", "heads_map"]}
    config["llama_bench_commands"] = {n: [" ".join(c) for c in llama_cmds(args, files[n]["gguf"], "THREADS")]
                                      for n in args.models}
    blob = dict(machine=machine, config=config, files=files, summary=summary, rounds=results,
                notes=dict(decode=f"medusa: after a {PREFIX}-token prompt; llama-bench: -n N -d {PREFIX}",
                           prefill=f"{PREFIX}-token prompt, empty cache (llama-bench -p {PREFIX} -d 0)",
                           curve=f"forward of T tokens after a {PREFIX}-token prefix over T=1; medusa: logits of all T; "
                                 f"llama-bench -p T -n 0 -d {PREFIX}: logits of the last token only",
                           ratio="median over rounds of ours / llama.cpp in the same round"))
    with open(prefix + ".json", "w") as f:
        json.dump(blob, f, indent=1, default=str)
    with open(prefix + ".md", "w") as f:
        f.write(md)
    print(md)
    log(f"wrote {prefix}.md and {prefix}.json ({machine['wall_s']} s)")


if __name__ == "__main__":
    main()
