"""Checks Golden/cases/quant/ against an independent scalar dequantizer written from the C
reference (ggml-quants.c `dequantize_row_*`), not from gguf-py, and reports whether the fused
(FMA) and unfused orders of the final multiply-add can differ on these blocks.

The scalar code computes every value in float64 and rounds once to float32. Every product in
these formats is exact in float32 (an f16 scale has an 11-bit significand; a 6-bit sub-scale,
an int8 sub-scale and a <= 6-bit quant add at most 24 bits), so the only rounding is the final
add/sub of a min (Q4_1, Q5_1, Q2_K, Q4_K, Q5_K): float64 then one rounding = the correctly
rounded result = what both `a*b+c` and `fma(a,b,c)` give. Equality with the gguf-py fixtures
therefore shows the fixtures are operation-order independent.

Run from the repository root:  .venv/bin/python Golden/tools/check_quant_fixtures.py
"""

import json
import os
import struct

import numpy as np

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cases", "quant")


def h(b, o):
    return float(np.frombuffer(bytes(b[o:o + 2]), dtype="<f2")[0])


def deq_block(name, b):
    y = []
    if name == "Q8_0":
        d = h(b, 0)
        return [d * struct.unpack("b", bytes([q]))[0] for q in b[2:34]]
    if name == "Q4_0":
        d = h(b, 0)
        qs = b[2:18]
        return [((q & 15) - 8) * d for q in qs] + [((q >> 4) - 8) * d for q in qs]
    if name == "Q4_1":
        d, m = h(b, 0), h(b, 2)
        qs = b[4:20]
        return [(q & 15) * d + m for q in qs] + [(q >> 4) * d + m for q in qs]
    if name in ("Q5_0", "Q5_1"):
        d = h(b, 0)
        m = h(b, 2) if name == "Q5_1" else 0.0
        o = 4 if name == "Q5_1" else 2
        qh = struct.unpack("<I", bytes(b[o:o + 4]))[0]
        qs = b[o + 4:o + 20]
        lo, hi = [], []
        for j in range(16):
            x0 = (qs[j] & 15) | (((qh >> j) << 4) & 0x10)
            x1 = (qs[j] >> 4) | ((qh >> (j + 12)) & 0x10)
            if name == "Q5_0":
                lo.append((x0 - 16) * d)
                hi.append((x1 - 16) * d)
            else:
                lo.append(x0 * d + m)
                hi.append(x1 * d + m)
        return lo + hi
    if name == "Q2_K":
        sc, q, d, mn = b[0:16], b[16:80], h(b, 80), h(b, 82)
        is_, qo = 0, 0
        for _ in range(2):
            shift = 0
            for _ in range(4):
                for half in (0, 16):
                    s = sc[is_]
                    is_ += 1
                    dl, ml = d * (s & 15), mn * (s >> 4)
                    y += [dl * ((q[qo + half + l] >> shift) & 3) - ml for l in range(16)]
                shift += 2
            qo += 32
        return y
    if name == "Q3_K":
        hm, q, raw, d = b[0:32], b[32:96], b[96:108], h(b, 108)
        aux = list(struct.unpack("<3I", bytes(raw))) + [0]
        k1, k2 = 0x03030303, 0x0F0F0F0F
        tmp = aux[2]
        aux[2] = ((aux[0] >> 4) & k2) | (((tmp >> 4) & k1) << 4)
        aux[3] = ((aux[1] >> 4) & k2) | (((tmp >> 6) & k1) << 4)
        aux[0] = (aux[0] & k2) | (((tmp >> 0) & k1) << 4)
        aux[1] = (aux[1] & k2) | (((tmp >> 2) & k1) << 4)
        scales = struct.unpack("16b", struct.pack("<4I", *aux))
        is_, qo, m = 0, 0, 1
        for _ in range(2):
            shift = 0
            for _ in range(4):
                for half in (0, 16):
                    dl = d * (scales[is_] - 32)
                    is_ += 1
                    y += [dl * (((q[qo + half + l] >> shift) & 3) - (0 if hm[half + l] & m else 4)) for l in range(16)]
                shift += 2
                m <<= 1
            qo += 32
        return y
    if name in ("Q4_K", "Q5_K"):
        d, mn, sc = h(b, 0), h(b, 2), b[4:16]
        if name == "Q4_K":
            qh, ql = None, b[16:144]
        else:
            qh, ql = b[16:48], b[48:176]

        def scale_min(j):
            if j < 4:
                return sc[j] & 63, sc[j + 4] & 63
            return (sc[j + 4] & 15) | ((sc[j - 4] >> 6) << 4), (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4)

        is_, qo, u1, u2 = 0, 0, 1, 2
        for _ in range(4):
            s1, m1 = scale_min(is_)
            s2, m2 = scale_min(is_ + 1)
            d1, mm1, d2, mm2 = d * s1, mn * m1, d * s2, mn * m2
            for l in range(32):
                x = (ql[qo + l] & 15) + (16 if qh is not None and qh[l] & u1 else 0)
                y.append(d1 * x - mm1)
            for l in range(32):
                x = (ql[qo + l] >> 4) + (16 if qh is not None and qh[l] & u2 else 0)
                y.append(d2 * x - mm2)
            qo += 32
            is_ += 2
            u1 <<= 2
            u2 <<= 2
        return y
    if name == "Q6_K":
        ql, qh, sc, d = b[0:128], b[128:192], struct.unpack("16b", bytes(b[192:208])), h(b, 208)
        y = [0.0] * 256
        for n in range(2):
            lo, ho, so, yo = 64 * n, 32 * n, 8 * n, 128 * n
            for l in range(32):
                is_ = l // 16
                q1 = ((ql[lo + l] & 15) | (((qh[ho + l] >> 0) & 3) << 4)) - 32
                q2 = ((ql[lo + l + 32] & 15) | (((qh[ho + l] >> 2) & 3) << 4)) - 32
                q3 = ((ql[lo + l] >> 4) | (((qh[ho + l] >> 4) & 3) << 4)) - 32
                q4 = ((ql[lo + l + 32] >> 4) | (((qh[ho + l] >> 6) & 3) << 4)) - 32
                y[yo + l] = d * sc[so + is_] * q1
                y[yo + l + 32] = d * sc[so + is_ + 2] * q2
                y[yo + l + 64] = d * sc[so + is_ + 4] * q3
                y[yo + l + 96] = d * sc[so + is_ + 6] * q4
        return y
    raise ValueError(name)


def main():
    index = json.load(open(os.path.join(D, "index.json")))
    bad = 0
    for t in index["types"]:
        name = t["name"]
        raw = open(os.path.join(D, t["blocks_file"]), "rb").read()
        want = np.fromfile(os.path.join(D, t["f32_file"]), dtype="<f4")
        if name == "F32":
            got = np.frombuffer(raw, dtype="<f4")
        elif name == "F16":
            got = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif name == "BF16":
            got = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            bb = t["block_bytes"]
            vals = []
            for i in range(t["block_count"]):
                vals += deq_block(name, raw[i * bb:(i + 1) * bb])
            got = np.array(vals, dtype=np.float64)
        got32 = got.astype(np.float32)
        diff = int((got32.view(np.uint32) != want.view(np.uint32)).sum())
        bad += diff
        print(f"{name:5s}: {want.size} values, {diff} differ bitwise from the scalar C-order reference")
    print("OK" if bad == 0 else f"FAIL: {bad} values differ")
    raise SystemExit(0 if bad == 0 else 1)


if __name__ == "__main__":
    main()
