"""Checksums of the `gguf` package's dequantization of every tensor of the real SmolLM2 GGUF.

Writes Golden/cases/quant/smollm2-tensors.json: for each of the file's 272 tensors (210 Q4_1,
1 Q8_0, 61 F32) its type, GGUF dimensions and two 64-bit checksums of the float32 bit patterns
that `gguf.quants.dequantize` gives, in storage order (rows as stored, no q/k un-permutation):

    plain    = sum of bits[i]                 (mod 2**64)
    weighted = sum of bits[i] * (i + 1)       (mod 2**64)

so a backend can check its dequantizer on all 134.5 M values of a real model without shipping
the 538 MB of floats (one changed value changes `weighted`: (i + 1) * d is never 0 mod 2**64 for
|d| < 2**32 and i < 2**32). Both are written as 16-digit lowercase hex.

    bash Golden/tools/fetch_smollm2.sh
    .venv/bin/python Golden/tools/make_smollm2_dequant_refs.py      # ~1 min
"""
import json
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(ROOT, "Golden", "models", "smollm2-135m-instruct", "SmolLM2-135M-Instruct.Q4_1.gguf")
OUT = os.path.join(ROOT, "Golden", "cases", "quant", "smollm2-tensors.json")


def checksums(values):
    """The two checksums of a float32 array's bit patterns (see the module docstring)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).reshape(-1).view(np.uint32).astype(np.uint64)
    index = np.arange(1, bits.size + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        plain = int(bits.sum(dtype=np.uint64))
        weighted = int((bits * index).sum(dtype=np.uint64))
    return f"{plain:016x}", f"{weighted:016x}"


def main():
    if not os.path.exists(MODEL):
        sys.exit("no model: run bash Golden/tools/fetch_smollm2.sh first")
    reader = GGUFReader(MODEL)
    tensors = []
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type)
        plain, weighted = checksums(values)
        tensors.append(dict(
            name=tensor.name, type=tensor.tensor_type.name,
            dimensions=[int(d) for d in tensor.shape], elements=int(tensor.n_elements),
            plain=plain, weighted=weighted))
    document = dict(
        model="Golden/models/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
        model_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        made_by="gguf.quants.dequantize (gguf-py, Golden/tools/requirements.txt), float32 bits in storage order",
        checksums="plain = sum bits[i] mod 2^64; weighted = sum bits[i] * (i + 1) mod 2^64",
        tensors=tensors)
    with open(OUT, "w") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(tensors)} tensors")


if __name__ == "__main__":
    main()
