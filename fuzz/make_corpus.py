#!/usr/bin/python3
"""Writes the fuzzers' seed corpus into fuzz/corpus/<target>/ (small files only; run with Debian's
/usr/bin/python3, which has torch). Re-running replaces the seeds it owns."""
import argparse
import collections
import io
import json
import pathlib
import pickle
import struct
import zipfile

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
torch.manual_seed(0)


def out(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


def torch_bytes(obj, **kwargs):
    buf = io.BytesIO()
    torch.save(obj, buf, **kwargs)
    return buf.getvalue()


def data_pkl(zip_bytes):
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


class Config:
    def __init__(self):
        self.depth, self.widths, self.act = 3, [8, 16], torch.nn.ReLU


base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
small = collections.OrderedDict(
    w=base, t=base.t(), s=base[:, ::2], e=torch.ones(2, 1).expand(2, 3),
    h=torch.ones(3, dtype=torch.float16), b=torch.tensor([True, False]),
    i=torch.tensor([1, -2], dtype=torch.int64), bf=torch.ones(2, dtype=torch.bfloat16),
    scalar=torch.tensor(2.0))
shared = torch.arange(6.0)
misc = {"sd": small, "a": shared[1:3], "b": shared[3:], "epoch": 3, "lr": 0.1, "name": "x",
        "none": None, "tuple": (1, "two", 3.0), "set": {1, 2}, "fs": frozenset({"a"}),
        "bytes": b"\x00\xff", "ba": bytearray(b"ab"), "big": 2 ** 70, "neg": -5,
        "ns": argparse.Namespace(a=1), "cfg": Config(), "dtype": torch.float16,
        "np": np.arange(4, dtype=np.int32), "npf": np.float64(1.5),
        "od": collections.OrderedDict(x=1), "dd": collections.defaultdict(list, {"k": [1]})}

# torch.save files (zip and legacy) for fuzz_torch_zip, their data.pkl for fuzz_pickle.
for proto in (2, 4, 5):
    z = torch_bytes(misc, pickle_protocol=proto)
    out("fuzz_torch_zip", f"misc_p{proto}.pt", z)
    out("fuzz_pickle", f"misc_p{proto}.pkl", data_pkl(z))
out("fuzz_torch_zip", "small_legacy.pt", torch_bytes(small, _use_new_zipfile_serialization=False))
out("fuzz_torch_zip", "misc_legacy.pt", torch_bytes(misc, _use_new_zipfile_serialization=False))
z = torch_bytes(small)
out("fuzz_torch_zip", "small.pt", z)
out("fuzz_pickle", "small.pkl", data_pkl(z))
with zipfile.ZipFile(io.BytesIO(z)) as src:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
out("fuzz_torch_zip", "small_deflated.pt", buf.getvalue())
out("fuzz_torch_zip", "module.pt", torch_bytes(torch.nn.Linear(3, 2)))

# Plain pickles of every protocol (text opcodes in 0 and 1).
plain = {"l": [1, 2.5, "s", None, True, False, b"b"], "t": (1,), "t2": (1, 2), "t3": (1, 2, 3),
         "d": {"k": {"n": [[]]}}, "big": 2 ** 100, "neg": -(2 ** 40), "u": "\u00e9\u4e2d",
         "set": {3}, "fs": frozenset({4}), "ns": argparse.Namespace(x=[1])}
for proto in range(6):
    out("fuzz_pickle", f"plain_p{proto}.pkl", pickle.dumps(plain, protocol=proto))

# safetensors
CODES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
         torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
         torch.uint8: "U8", torch.bool: "BOOL"}


def safetensors(tensors, metadata=None):
    header, blob = {}, bytearray()
    for name, t in tensors:
        t = t.contiguous()
        b = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(blob), len(blob) + len(b)]}
        blob += b
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(blob)


out("fuzz_safetensors", "all_dtypes.safetensors",
    safetensors([(str(d), torch.ones(2, dtype=d)) for d in CODES], {"format": "pt"}))
out("fuzz_safetensors", "shapes.safetensors",
    safetensors([("scalar", torch.tensor(1.0)), ("empty", torch.zeros(0, 3)),
                 ("m", torch.arange(6.0).reshape(2, 3))]))
out("fuzz_safetensors", "empty.safetensors", safetensors([]))
print("corpus written to", CORPUS)
