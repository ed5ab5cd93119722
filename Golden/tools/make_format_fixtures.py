"""Regenerates Golden/formats/: small checkpoint files written by the real libraries
(safetensors, torch.save) plus broken and malicious variants, and JSON files holding the
values those libraries saved, so MedusaFormats can be tested without Python.

Run from the repository root:  python Golden/tools/make_format_fixtures.py
Pinned: torch 2.13.0+cpu, safetensors 0.8.0 (see the versions recorded in formats.json).
"""

import collections
import json
import os
import zipfile

import safetensors
import torch
from safetensors.torch import save_file

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "formats")


def expected(tensors):
    """name -> dtype, shape, and float32 bit patterns of the values (exact, NaN-safe)."""
    out = {}
    for name, t in tensors.items():
        entry = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
        if t.is_floating_point():
            entry["bits"] = t.float().contiguous().view(torch.int32).flatten().tolist()
            entry["bits"] = [b & 0xFFFFFFFF for b in entry["bits"]]
        else:
            entry["values"] = t.flatten().tolist()
        out[name] = entry
    return out


def write_json(name, obj):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def safetensors_fixtures():
    g = torch.Generator().manual_seed(0)
    special = torch.tensor([0.0, -0.0, 1.0, -2.5, 65504.0, 6e-8, float("inf"), float("-inf")])
    tensors = {
        "f32": torch.randn(2, 3, generator=g),
        "f16": special.to(torch.float16),
        "bf16": torch.cat([special, torch.tensor([1e-40, 3.0e38])]).to(torch.bfloat16),
        "i64": torch.tensor([1, -2, 1 << 40]),
        "empty": torch.zeros(0, 4),
        "scalar": torch.tensor(1.5),
    }
    save_file(tensors, os.path.join(OUT, "mixed.safetensors"), metadata={"format": "pt"})
    write_json("mixed.expected.json", expected(tensors))

    shard_dir = os.path.join(OUT, "sharded")
    os.makedirs(shard_dir, exist_ok=True)
    shards = [
        {"model.embed_tokens.weight": torch.randn(4, 2, generator=g)},
        {"model.norm.weight": torch.ones(2), "lm_head.weight": torch.randn(4, 2, generator=g).half()},
    ]
    weight_map = {}
    for i, shard in enumerate(shards):
        fname = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(shard, os.path.join(shard_dir, fname), metadata={"format": "pt"})
        weight_map.update({k: fname for k in shard})
    index = {"metadata": {"total_size": sum(t.nbytes for s in shards for t in s.values())},
             "weight_map": weight_map}
    with open(os.path.join(shard_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    write_json("sharded.expected.json", expected({k: v for s in shards for k, v in s.items()}))


class ResBlock(torch.nn.Module):
    """The Medusa head block: x + SiLU(linear(x))."""

    def __init__(self, hidden):
        super().__init__()
        self.linear = torch.nn.Linear(hidden, hidden)

    def forward(self, x):
        return x + torch.nn.functional.silu(self.linear(x))


def medusa_heads(heads=2, layers=1, hidden=4, vocab=6):
    torch.manual_seed(1)
    return torch.nn.ModuleList(
        torch.nn.Sequential(*[ResBlock(hidden) for _ in range(layers)],
                            torch.nn.Linear(hidden, vocab, bias=False))
        for _ in range(heads))


class Evil:
    """Pickles as a call to os.system: a loader that executes pickles would run it."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def rewrite_zip(src, dst, replace=None, method=zipfile.ZIP_STORED):
    """Copies zip `src` to `dst` with `method`, replacing entries whose name ends with a key
    of `replace` by the function's result; fixed timestamps keep the output reproducible."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", method) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for suffix, fn in (replace or {}).items():
                if info.filename.endswith(suffix):
                    data = fn(data)
            zout.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), data,
                          compress_type=method)


def torch_fixtures():
    heads = medusa_heads()
    sd = heads.state_dict()
    torch.save(sd, os.path.join(OUT, "medusa_lm_head.pt"))
    write_json("medusa_lm_head.expected.json", expected(sd))
    sd_bf16 = heads.to(torch.bfloat16).state_dict()
    torch.save(sd_bf16, os.path.join(OUT, "medusa_lm_head_bf16.pt"))
    write_json("medusa_lm_head_bf16.expected.json", expected(sd_bf16))

    g = torch.Generator().manual_seed(2)
    base = torch.randn(5, 3, generator=g)
    mixed = collections.OrderedDict()
    mixed["f32"] = torch.randn(2, 3, generator=g)
    mixed["f16"] = torch.randn(3, 2, generator=g).half()
    mixed["bf16"] = torch.randn(4, generator=g).bfloat16()
    mixed["rows_1_to_4"] = base[1:4]          # storage offset 3, shares storage with "base"
    mixed["base"] = base
    mixed["scalar"] = torch.tensor(0.25)
    mixed["column"] = torch.randn(3, 1, generator=g)
    mixed["empty"] = torch.zeros(0, 3)
    torch.save(mixed, os.path.join(OUT, "mixed.pt"))
    torch.save(mixed, os.path.join(OUT, "mixed_protocol4.pt"), pickle_protocol=4)
    write_json("mixed.pt.expected.json", expected(mixed))

    params = {"p": torch.nn.Parameter(torch.arange(6, dtype=torch.float32).reshape(2, 3))}
    torch.save(params, os.path.join(OUT, "parameter.pt"))
    write_json("parameter.expected.json", expected(params))

    # Broken and malicious variants.
    torch.save({"w": torch.ones(2), "x": Evil()}, os.path.join(OUT, "os_system.pt"))
    torch.save({"t": torch.arange(6, dtype=torch.float32).reshape(2, 3).t()},
               os.path.join(OUT, "noncontiguous.pt"))
    torch.save({"i": torch.arange(3)}, os.path.join(OUT, "int64.pt"))
    with open(os.path.join(OUT, "medusa_lm_head.pt"), "rb") as f:
        whole = f.read()
    with open(os.path.join(OUT, "truncated.pt"), "wb") as f:
        f.write(whole[: len(whole) * 2 // 3])
    src = os.path.join(OUT, "medusa_lm_head.pt")
    rewrite_zip(src, os.path.join(OUT, "blob_too_short.pt"), {"/data/0": lambda d: d[: len(d) // 2]})
    rewrite_zip(src, os.path.join(OUT, "compressed.pt"), method=zipfile.ZIP_DEFLATED)
    # Storage offset 1000 on a 16-element storage: patch the pickle of a one-tensor dict.
    torch.save({"w": torch.zeros(4, 4)}, os.path.join(OUT, "offset_src.pt"))
    rewrite_zip(os.path.join(OUT, "offset_src.pt"), os.path.join(OUT, "offset_past_storage.pt"),
                {"data.pkl": lambda d: d.replace(b"QK\x00", b"QM\xe8\x03", 1)})
    os.remove(os.path.join(OUT, "offset_src.pt"))

    write_json("formats.json", {"torch": torch.__version__, "safetensors": safetensors.__version__})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    safetensors_fixtures()
    torch_fixtures()
