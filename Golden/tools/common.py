"""Shared helpers for the Golden generators (paths, deterministic setup, JSON float format)."""
import json
import os
import random

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

GOLDEN = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODELS = os.path.join(GOLDEN, "models")
CASES = os.path.join(GOLDEN, "cases")
MODEL_NAMES = ["tiny-mha-f32", "tiny-gqa-f16", "tiny-bf16-bias"]


def setup(seed=0):
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def f32(x):
    """A float as the shortest decimal that round-trips its float32 value."""
    return float(np.float32(x))


def f32_list(t):
    """Tensor/array -> nested lists of float32 values ready for dump_json."""
    a = np.asarray(t.detach().cpu().float().numpy() if isinstance(t, torch.Tensor) else t, dtype=np.float32)
    return _F32Array(a)


class _F32Array:
    def __init__(self, a):
        self.a = a


def _enc(o, out):
    if isinstance(o, _F32Array):
        a = o.a
        if a.ndim == 1:
            out.append("[" + ",".join(_fmt(v) for v in a) + "]")
        else:
            out.append("[")
            for i, row in enumerate(a):
                if i:
                    out.append(",\n")
                _enc(_F32Array(row), out)
            out.append("]")
    elif isinstance(o, dict):
        out.append("{")
        for i, (k, v) in enumerate(o.items()):
            if i:
                out.append(",\n")
            out.append(json.dumps(str(k)) + ": ")
            _enc(v, out)
        out.append("}")
    elif isinstance(o, (list, tuple)):
        if all(isinstance(v, (int, str, bool)) or v is None for v in o) or not o:
            out.append(json.dumps(list(o), separators=(",", ":")))
        elif all(isinstance(v, float) for v in o):
            out.append("[" + ",".join(_fmt(v) for v in o) + "]")
        else:
            out.append("[")
            for i, v in enumerate(o):
                if i:
                    out.append(",\n")
                _enc(v, out)
            out.append("]")
    elif isinstance(o, (bool, np.bool_)):
        out.append("true" if o else "false")
    elif isinstance(o, (int, np.integer)):
        out.append(str(int(o)))
    elif isinstance(o, (float, np.floating)):
        out.append(_fmt(o))
    elif o is None:
        out.append("null")
    else:
        out.append(json.dumps(o))


def _fmt(v):
    """Shortest repr that round-trips the float32 value (numpy's float32 repr)."""
    v = np.float32(v)
    if not np.isfinite(v):
        raise ValueError("non-finite float in golden data")
    if v == 0 or 1e-4 <= abs(v) < 1e7:
        return np.format_float_positional(v, unique=True, trim="-")
    return np.format_float_scientific(v, unique=True, trim="-")


def dump_json(path, obj):
    out = []
    _enc(obj, out)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(out) + "\n")
