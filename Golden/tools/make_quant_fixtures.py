"""Makes Golden/cases/quant/: GGUF (ggml) tensor blocks and their float32 values, so that a
backend's dequantizers can be checked bit for bit against gguf-py's reference dequantization.

For each ggml type F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K:
  TYPE.blocks  raw little-endian block bytes, block after block (random bytes from a seeded
               generator, with every f16 scale/min field forced finite, plus hand-made edge blocks
               first: see EDGE CASES below and Golden/cases/quant/README.md);
  TYPE.f32     the little-endian float32 values `gguf.quants.dequantize(blocks, type)` returns,
               block_size values per block;
  index.json   per type: name, ggml type number, block size (elements), block bytes, block count,
               the edge cases in order, sha256 of both files; the gguf / numpy versions.

No NaN is ever written (inputs finite: f16/bf16/f32 element types may hold +-inf only in their
edge block). Deterministic (numpy PCG64, seed 5001 + type number); a rerun writes identical bytes.

Run from the repository root:  .venv/bin/python Golden/tools/make_quant_fixtures.py
Pinned: gguf 0.19.0, numpy 2.4.6 (Golden/tools/requirements.txt).
"""

import hashlib
import json
import os

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases", "quant")

# f16 field byte offsets inside one block (scales d, mins m / dmin), per type.
F16_FIELDS = {
    "Q8_0": [0],
    "Q4_0": [0],
    "Q4_1": [0, 2],
    "Q5_0": [0],
    "Q5_1": [0, 2],
    "Q2_K": [80, 82],   # scales[16] qs[64] d dmin
    "Q3_K": [108],      # hmask[32] qs[64] scales[12] d
    "Q4_K": [0, 2],     # d dmin scales[12] qs[128]
    "Q5_K": [0, 2],     # d dmin scales[12] qh[32] qs[128]
    "Q6_K": [208],      # ql[128] qh[64] scales[16] (int8) d
}
TYPES = ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
         "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]
# Blocks per type: total folder stays near 1.1 MB (a K-quant block is 1 KiB of float32 output).
N_BLOCKS = {"F32": 4096, "F16": 4096, "BF16": 4096}
N_BLOCKS.update({t: 384 for t in ["Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"]})
N_BLOCKS.update({t: 128 for t in ["Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]})

# Edge values for f16 scale fields (bit patterns).
F16_EDGE = [
    ("zero scale (+0)", 0x0000),
    ("negative zero scale (-0)", 0x8000),
    ("scale 1.0", 0x3C00),
    ("negative scale -1.0", 0xBC00),
    ("smallest subnormal scale 2^-24", 0x0001),
    ("largest subnormal scale", 0x03FF),
    ("negative subnormal scale", 0x8200),
    ("smallest normal scale 2^-14", 0x0400),
    ("largest finite scale 65504", 0x7BFF),
    ("most negative finite scale -65504", 0xFBFF),
    ("scale 0.5 (typical magnitude 1e-2 below)", 0x3800),
    ("typical scale 0.0123", 0x224E),
]


def f16_finite(bits):
    """Force f16 bit patterns finite: exponent 31 (inf/NaN) becomes exponent 30."""
    bits = bits.astype(np.uint16)
    exp = (bits >> 10) & 0x1F
    return np.where(exp == 0x1F, bits & ~np.uint16(0x0400), bits).astype(np.uint16)


def set_f16(block, off, bits):
    block[off] = bits & 0xFF
    block[off + 1] = (bits >> 8) & 0xFF


def make_quant_blocks(name, rng):
    bs, ts = GGML_QUANT_SIZES[T[name]]
    n = N_BLOCKS[name]
    fields = F16_FIELDS[name]
    blocks = rng.integers(0, 256, size=(n, ts), dtype=np.uint8)
    for off in fields:
        bits = f16_finite(blocks[:, off].astype(np.uint16) | (blocks[:, off + 1].astype(np.uint16) << 8))
        blocks[:, off] = bits & 0xFF
        blocks[:, off + 1] = bits >> 8
    edges = []
    i = 0

    def edge(desc):
        nonlocal i
        edges.append({"block": i, "what": desc})
        i += 1

    # all-zero block
    blocks[i, :] = 0
    edge("all bytes zero (zero scales, all quant bits 0)")
    # all-ones quant bits with scale 1.0 (and min/dmin 1.0)
    blocks[i, :] = 0xFF
    for off in fields:
        set_f16(blocks[i], off, 0x3C00)
    edge("all quant/scale bits one, f16 fields 1.0")
    blocks[i, :] = 0xFF
    for off in fields:
        set_f16(blocks[i], off, 0xBC00)
    edge("all quant/scale bits one, f16 fields -1.0")
    blocks[i, :] = 0xFF
    for off in fields:
        set_f16(blocks[i], off, 0x7BFF)
    edge("all quant/scale bits one, f16 fields 65504 (largest finite)")
    blocks[i, :] = 0x00
    for off in fields:
        set_f16(blocks[i], off, 0x3C00)
    edge("all quant/scale bits zero, f16 fields 1.0")
    # Random quant bits with every f16 field at an edge value.
    for desc, bits in F16_EDGE:
        for off in fields:
            set_f16(blocks[i], off, bits)
        edge("random bits, every f16 field = " + desc)
    # The first f16 field (d) at an edge value, the others (min) random-but-finite, and vice versa.
    if len(fields) > 1:
        for desc, bits in F16_EDGE[:9]:
            set_f16(blocks[i], fields[0], bits)
            edge("random bits, d = " + desc + ", min random")
        for desc, bits in F16_EDGE[:9]:
            set_f16(blocks[i], fields[1], bits)
            edge("random bits, min = " + desc + ", d random")
    # A stretch of blocks with typical magnitudes (|d| in [2^-14, 2^-3]) so values look like weights.
    n_typ = n // 4
    start = i
    for off in fields:
        mant = rng.integers(0, 1024, size=n_typ).astype(np.uint16)
        exp = rng.integers(1, 13, size=n_typ).astype(np.uint16)
        sign = rng.integers(0, 2, size=n_typ).astype(np.uint16)
        bits = (sign << 15) | (exp << 10) | mant
        blocks[start:start + n_typ, off] = bits & 0xFF
        blocks[start:start + n_typ, off + 1] = bits >> 8
    edges.append({"block": start, "what": f"blocks {start}..{start + n_typ - 1}: random bits, f16 fields of typical magnitude 2^-14..2^-2"})
    edges.append({"block": start + n_typ, "what": f"blocks {start + n_typ}..{n - 1}: random bits, f16 fields random finite"})
    return blocks, edges


def make_float_blocks(name, rng):
    n = N_BLOCKS[name]
    edges = []
    if name == "F32":
        bits = rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32)
        exp = (bits >> 23) & 0xFF
        bits = np.where(exp == 0xFF, bits & ~np.uint32(1 << 23), bits).astype(np.uint32)
        special = [0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
                   0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000]
        bits[:len(special)] = special
        edges.append({"block": 0, "what": "elements 0..10: +0, -0, min subnormal, -max subnormal, min normal, max, -max, 1, -1, +inf, -inf; then random finite bit patterns"})
        return bits.astype("<u4").view(np.uint8).reshape(n, 4), edges
    if name == "F16":
        bits = f16_finite(rng.integers(0, 2**16, size=n, dtype=np.uint32).astype(np.uint16))
        special = [0x0000, 0x8000, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0xFBFF, 0x3C00, 0xBC00, 0x7C00, 0xFC00]
    else:  # BF16
        bits = rng.integers(0, 2**16, size=n, dtype=np.uint32).astype(np.uint16)
        exp = (bits >> 7) & 0xFF
        bits = np.where(exp == 0xFF, bits & ~np.uint16(0x0080), bits).astype(np.uint16)
        special = [0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F7F, 0xFF7F, 0x3F80, 0xBF80, 0x7F80, 0xFF80]
    bits[:len(special)] = special
    edges.append({"block": 0, "what": "elements 0..10: +0, -0, min subnormal, -max subnormal, min normal, max, -max, 1, -1, +inf, -inf; then random finite bit patterns"})
    return bits.astype("<u2").view(np.uint8).reshape(n, 2), edges


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    os.makedirs(OUT, exist_ok=True)
    index = {
        "generator": "Golden/tools/make_quant_fixtures.py",
        "reference": "gguf.quants.dequantize (gguf-py)",
        "gguf_version": gguf.__version__ if hasattr(gguf, "__version__") else None,
        "numpy_version": np.__version__,
        "byte_order": "little-endian (blocks as in a GGUF file; .f32 float32 LE)",
        "types": [],
    }
    try:
        from importlib.metadata import version
        index["gguf_version"] = version("gguf")
    except Exception:
        pass
    for name in TYPES:
        qt = T[name]
        rng = np.random.Generator(np.random.PCG64(5001 + int(qt)))
        bs, ts = GGML_QUANT_SIZES[qt]
        if name in ("F32", "F16", "BF16"):
            blocks, edges = make_float_blocks(name, rng)
        else:
            blocks, edges = make_quant_blocks(name, rng)
        assert blocks.shape == (N_BLOCKS[name], ts) and blocks.dtype == np.uint8
        raw = np.ascontiguousarray(blocks).reshape(-1)
        if name == "F32":
            vals = gguf.quants.dequantize(raw.copy(), qt)
        else:
            vals = gguf.quants.dequantize(raw.copy().reshape(1, -1), qt).reshape(-1)
        vals = np.asarray(vals, dtype=np.float32).reshape(-1)
        assert vals.size == N_BLOCKS[name] * bs, (name, vals.size)
        assert not np.isnan(vals).any(), name
        n_inf = int(np.isinf(vals).sum())
        bpath = os.path.join(OUT, f"{name}.blocks")
        fpath = os.path.join(OUT, f"{name}.f32")
        with open(bpath, "wb") as f:
            f.write(raw.tobytes())
        with open(fpath, "wb") as f:
            f.write(vals.astype("<f4").tobytes())
        index["types"].append({
            "name": name,
            "ggml_type": int(qt),
            "block_size": bs,
            "block_bytes": ts,
            "block_count": N_BLOCKS[name],
            "blocks_file": f"{name}.blocks",
            "blocks_sha256": sha256(bpath),
            "f32_file": f"{name}.f32",
            "f32_sha256": sha256(fpath),
            "infinities_in_output": n_inf,
            "edge_cases": edges,
        })
        print(f"{name:5s} type {int(qt):2d}: {N_BLOCKS[name]} blocks x {ts} B -> {vals.size} floats (inf: {n_inf})")
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
