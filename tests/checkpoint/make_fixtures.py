#!/usr/bin/python3
"""Writes the checkpoint-reader fixtures into a directory (run with Debian's /usr/bin/python3,
which has torch 1.13 and torchvision 0.14).

For every loadable fixture <name>.pt/.safetensors it writes <name>.expect.json (each tensor's
name, dtype, shape and byte range) and <name>.expect.bin (the tensors' row-major bytes,
concatenated) so the C++ side can compare every tensor byte for byte. Malicious pickles would
create <dir>/canary_* files if they were ever executed; the C++ side checks they do not exist.

Usage: make_fixtures.py <out_dir>
"""
import argparse
import collections
import dataclasses
import datetime
import io
import json
import os
import pathlib
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
import torchvision

OUT = pathlib.Path(sys.argv[1])
OUT.mkdir(parents=True, exist_ok=True)


# ---------------------------------------------------------------- helpers

def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


DTYPE_NAMES = {torch.float32: "float32", torch.float16: "float16", torch.float64: "float64",
               torch.bfloat16: "bfloat16", torch.int8: "int8", torch.uint8: "uint8",
               torch.int16: "int16", torch.int32: "int32", torch.int64: "int64",
               torch.bool: "bool"}


def write_expect(name, named_tensors):
    """named_tensors: list of (name, tensor) in the order tensors_of() must return them."""
    entries, blob = [], bytearray()
    for key, t in named_tensors:
        b = tensor_bytes(t)
        entries.append({"name": key, "dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                        "offset": len(blob), "nbytes": len(b)})
        blob += b
    (OUT / f"{name}.expect.json").write_text(json.dumps({"tensors": entries}, indent=1))
    (OUT / f"{name}.expect.bin").write_bytes(bytes(blob))


def flatten(obj, prefix=""):
    """What tensors_of() returns for plain nested dicts/lists of tensors."""
    out = []
    if isinstance(obj, torch.Tensor):
        out.append((prefix, obj))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            out += flatten(v, f"{prefix}.{i}" if prefix else str(i))
    return out


def save(name, obj, expect=None, **kwargs):
    torch.save(obj, OUT / name, **kwargs)
    write_expect(name, expect if expect is not None else flatten(obj))


def write_torch_zip(name, pkl, records, archive="archive", compression=zipfile.ZIP_STORED,
                    extra_members=()):
    """A torch.save-style zip with a hand-made data.pkl and storage records."""
    with zipfile.ZipFile(OUT / name, "w", compression=compression) as z:
        z.writestr(f"{archive}/data.pkl", pkl)
        for key, data in records.items():
            z.writestr(f"{archive}/data/{key}", data)
        z.writestr(f"{archive}/version", b"3\n")
        for member, data in extra_members:
            z.writestr(member, data)


class StorageRef:
    def __init__(self, storage_type, key, numel):
        self.storage_type, self.key, self.numel = storage_type, key, numel


class TorchLikePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel)
        return None


class RawTensor:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, {})."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False,
                     collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


def torch_like_pickle(obj, protocol=2):
    buf = io.BytesIO()
    TorchLikePickler(buf, protocol=protocol).dump(obj)
    return buf.getvalue()


# ---------------------------------------------------------------- models

torch.manual_seed(0)


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2)
        self.fc = torch.nn.Linear(16, 10)
        self.register_buffer("scratch", torch.zeros(4), persistent=False)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.fc(x.mean((2, 3)))


cnn = SmallCNN()
with torch.no_grad():
    cnn.bn1.running_mean.uniform_(-1, 1)
    cnn.bn1.running_var.uniform_(0.5, 2)
cnn_sd = cnn.state_dict()

save("cnn.pt", cnn_sd)
save("cnn_legacy.pt", cnn_sd, _use_new_zipfile_serialization=False)
for proto in (2, 4, 5):
    save(f"cnn_p{proto}.pt", cnn_sd, pickle_protocol=proto)
save("cnn_legacy_p4.pt", cnn_sd, pickle_protocol=4, _use_new_zipfile_serialization=False)
save("cnn_p1.pt", cnn_sd, pickle_protocol=1)

# The whole module pickled (torch.save(model)): loads as inert objects; tensors_of gives the
# state-dict names, without the non-persistent buffer.
save("cnn_module.pt", cnn, expect=list(cnn_sd.items()))
save("cnn_module_legacy.pt", cnn, expect=list(cnn_sd.items()),
     _use_new_zipfile_serialization=False)

# The same zip re-compressed with deflate (a user re-zipping a checkpoint).
with zipfile.ZipFile(OUT / "cnn.pt") as src, \
        zipfile.ZipFile(OUT / "cnn_deflated.pt", "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        dst.writestr(info.filename, src.read(info.filename))
write_expect("cnn_deflated.pt", flatten(cnn_sd))

resnet = torchvision.models.resnet18()
with torch.no_grad():
    for m in resnet.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
save("resnet18.pt", resnet.state_dict())

# ---------------------------------------------------------------- layouts and dtypes

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict()
views["transposed"] = base.t()                         # stride (1, 6)
views["every_other_column"] = base[:, ::2]             # stride (6, 2)
views["row_slice"] = base[1:3]                         # offset 6, contiguous
views["expanded"] = torch.arange(3.0).reshape(3, 1).expand(3, 5)  # stride (1, 0)
views["permuted"] = torch.arange(120, dtype=torch.int64).reshape(2, 3, 4, 5).permute(0, 2, 3, 1)
views["column"] = base[:, 3]                           # stride (6,), offset 3
views["scalar"] = torch.tensor(3.5, dtype=torch.float64)
views["empty"] = torch.zeros(0, 3)
views["size1_odd_stride"] = base[2:3, 1:5]             # stride (6, 1) with a size-1 dim
views["transposed_half"] = torch.arange(12, dtype=torch.float16).reshape(3, 4).t()
save("views.pt", views)
save("views_legacy.pt", views, _use_new_zipfile_serialization=False)

dtypes = collections.OrderedDict()
dtypes["f16"] = torch.randn(3, 4).half()
dtypes["bf16"] = torch.randn(5).bfloat16()
dtypes["f64"] = torch.randn(2, 2).double()
dtypes["i64"] = torch.tensor([1, -2, 3 << 40], dtype=torch.int64)
dtypes["i32"] = torch.tensor([[7, -8]], dtype=torch.int32)
dtypes["i16"] = torch.tensor([300, -300], dtype=torch.int16)
dtypes["i8"] = torch.tensor([-5, 5], dtype=torch.int8)
dtypes["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
dtypes["bool"] = torch.tensor([True, False, True])
save("dtypes.pt", dtypes)
save("dtypes_legacy.pt", dtypes, _use_new_zipfile_serialization=False)

shared_base = torch.arange(10, dtype=torch.float32)
shared = collections.OrderedDict()
shared["a"] = shared_base[2:5]
shared["b"] = shared_base[5:]
shared["whole"] = shared_base
shared["again"] = shared["a"]   # the same tensor object twice (pickle memo)
save("shared.pt", shared)
save("shared_legacy.pt", shared, _use_new_zipfile_serialization=False)

# ---------------------------------------------------------------- training-script dicts

opt = torch.optim.Adam(cnn.parameters(), lr=1e-3)
cnn(torch.randn(2, 3, 8, 8)).sum().backward()
opt.step()
train = {"model_name": "resnet18", "state_dict": cnn.state_dict(), "num_classes": 10, "epoch": 3,
         "optimizer": opt.state_dict(), "best_acc": 0.875, "note": None,
         "classes": ("cat", "dog"), "flags": [True, False]}
save("train.pt", train)


class MyConfig:
    def __init__(self):
        self.depth = 18
        self.widths = [64, 128]
        self.activation = torch.nn.ReLU   # a class stored as a value: a Global
        self.dtype = torch.float16


@dataclasses.dataclass
class DataConfig:
    root: str = "/data"
    batch_size: int = 32


class AttributeDict(dict):   # Lightning's AttributeDict is a dict subclass like this one
    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError as e:
            raise AttributeError(key) from e


hparams = {
    "args": argparse.Namespace(lr=0.1, layers=[1, 2], name="run1"),
    "config": MyConfig(),
    "data": DataConfig(),
    "attr": AttributeDict(lr=0.01, momentum=0.9),
    "big": 2 ** 80,
    "neg": -(2 ** 70),
    "raw": b"\x00\x01\xff",
    "tags": {"a", "b"},
    "when": datetime.date(2024, 1, 2),
    "path": pathlib.PurePosixPath("/tmp/x"),
    "np_float": np.float64(0.25),
    "np_int": np.int64(-7),
    "np_array": np.arange(6, dtype=np.float32).reshape(2, 3),
    "np_fortran": np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
}
lightning = {"epoch": 3, "global_step": 120, "pytorch-lightning_version": "1.9.0",
             "state_dict": cnn.state_dict(), "hyper_parameters": hparams,
             "optimizer_states": [opt.state_dict()], "lr_schedulers": [], "callbacks": {}}
torch.save(lightning, OUT / "lightning.ckpt")
# Order of tensors_of(): dict order; hyper_parameters comes after state_dict.
order = []
for k, v in lightning.items():
    if k == "hyper_parameters":
        order.append(("hyper_parameters.np_array", torch.from_numpy(hparams["np_array"])))
        order.append(("hyper_parameters.np_fortran",
                      torch.from_numpy(np.ascontiguousarray(hparams["np_fortran"]))))
    else:
        order += flatten(v, k)
write_expect("lightning.ckpt", order)
torch.save(lightning, OUT / "lightning_p5.ckpt", pickle_protocol=5)
write_expect("lightning_p5.ckpt", order)

# ---------------------------------------------------------------- safetensors

ST_CODES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.float64: "F64", torch.int64: "I64", torch.int32: "I32", torch.int16: "I16",
            torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL"}


def safetensors_bytes(tensors, metadata=None, header_patch=None, pad=True):
    header, blob = {}, bytearray()
    for name, t in tensors:
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_CODES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [len(blob), len(blob) + len(b)]}
        blob += b
    if metadata is not None:
        header["__metadata__"] = metadata
    if header_patch:
        header_patch(header)
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(blob)


st_tensors = [("f32", torch.randn(2, 3)), ("f16", torch.randn(4).half()),
              ("bf16", torch.randn(3).bfloat16()), ("f64", torch.randn(2).double()),
              ("i64", torch.tensor([1, -1, 1 << 50])), ("i32", torch.tensor([5], dtype=torch.int32)),
              ("i16", torch.tensor([-2, 2], dtype=torch.int16)),
              ("i8", torch.tensor([[1, -1]], dtype=torch.int8)),
              ("u8", torch.tensor([9, 200], dtype=torch.uint8)),
              ("bool", torch.tensor([False, True])), ("scalar", torch.tensor(1.5)),
              ("empty", torch.zeros(0, 4))]
(OUT / "model.safetensors").write_bytes(
    safetensors_bytes(st_tensors, metadata={"format": "pt", "source": "fixture"}))
write_expect("model.safetensors", st_tensors)

good = safetensors_bytes(st_tensors[:2])
bad_st = {
    "st_header_beyond_file": struct.pack("<Q", 1 << 20) + good[8:],
    "st_truncated": good[:5],
    "st_bad_json": struct.pack("<Q", 13) + b'{"f32": [1, 2',
    "st_offsets_out_of_range": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].update(data_offsets=[0, 4000])),
    "st_size_mismatch": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].update(shape=[2, 2])),
    "st_unknown_dtype": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].update(dtype="F8_E4M3")),
    "st_overlap": safetensors_bytes(
        st_tensors[:2], header_patch=lambda h: h["f16"].update(data_offsets=[16, 24])),
    "st_negative_dim": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].update(shape=[-2, -3])),
    "st_absurd_shape": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].update(shape=[1 << 40, 1 << 40])),
    "st_metadata_not_string": safetensors_bytes(st_tensors[:1], metadata={"epoch": 3}),
    "st_not_object": struct.pack("<Q", 8) + b"[1, 2]  ",
    "st_missing_field": safetensors_bytes(
        st_tensors[:1], header_patch=lambda h: h["f32"].pop("shape")),
}
# A duplicate name cannot be made with json.dumps.
dup_header = (b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
              b'"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}')
bad_st["st_duplicate_name"] = struct.pack("<Q", len(dup_header)) + dup_header + b"\x01\x02"
for name, data in bad_st.items():
    (OUT / f"{name}.safetensors").write_bytes(data)

# ---------------------------------------------------------------- malformed torch files

cnn_bytes = (OUT / "cnn.pt").read_bytes()
(OUT / "bad_truncated_zip.pt").write_bytes(cnn_bytes[: len(cnn_bytes) // 2])
(OUT / "bad_truncated_legacy.pt").write_bytes((OUT / "cnn_legacy.pt").read_bytes()[:-100])
(OUT / "bad_not_a_checkpoint.pt").write_bytes(b"hello, this is not a checkpoint\n" * 4)
(OUT / "bad_empty.pt").write_bytes(b"")

# A storage record shorter than the pickle says.
sref = StorageRef(torch.FloatStorage, "0", 6)
write_torch_zip("bad_short_storage.pt",
                torch_like_pickle({"w": RawTensor(sref, 0, (2, 3), (3, 1))}),
                {"0": struct.pack("<4f", 1, 2, 3, 4)})
# A zip bomb: the 24-byte storage deflated from 16 MiB of zeros (refused before inflating).
write_torch_zip("bad_storage_bomb.pt", torch_like_pickle({"w": RawTensor(sref, 0, (6,), (1,))}),
                {"0": bytes(16 << 20)}, compression=zipfile.ZIP_DEFLATED)
# A tensor that reaches past its storage (offset too large).
write_torch_zip("bad_offset.pt",
                torch_like_pickle({"w": RawTensor(sref, 4, (2, 3), (3, 1))}),
                {"0": struct.pack("<6f", *range(6))})
# Negative stride.
write_torch_zip("bad_negative_stride.pt",
                torch_like_pickle({"w": RawTensor(sref, 5, (6,), (-1,))}),
                {"0": struct.pack("<6f", *range(6))})
# Absurd size with stride 0 (a 2^40-element expansion of one float).
write_torch_zip("bad_absurd_size.pt",
                torch_like_pickle({"w": RawTensor(sref, 0, (1 << 20, 1 << 20), (0, 0))}),
                {"0": struct.pack("<6f", *range(6))})
# Hand-made pickle that views a storage correctly (sanity check for the helpers above).
write_torch_zip("handmade_ok.pt",
                torch_like_pickle({"w": RawTensor(sref, 1, (2, 2), (1, 2))}),
                {"0": struct.pack("<6f", *range(6))})
write_expect("handmade_ok.pt",
             [("w", torch.arange(6.0).as_strided((2, 2), (1, 2), 1))])
# torch 2.x shapes: _rebuild_tensor_v3 (dtype given explicitly) over an untyped (byte) storage,
# and a byteorder record. torch 1.13 has no _rebuild_tensor_v3, so a stand-in function with that
# name is pickled by reference.
def _rebuild_tensor_v3(*args):
    raise RuntimeError("never called")


_rebuild_tensor_v3.__module__ = "torch._utils"
torch._utils._rebuild_tensor_v3 = _rebuild_tensor_v3


class RawTensorV3:
    def __init__(self, storage, offset, size, stride, dtype):
        self.args = (storage, offset, tuple(size), tuple(stride), False,
                     collections.OrderedDict(), dtype)

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v3, self.args)


half_bytes = torch.arange(6, dtype=torch.float16).numpy().tobytes()
uref = StorageRef(torch.storage.UntypedStorage, "0", len(half_bytes))
write_torch_zip("v3_untyped.pt",
                torch_like_pickle({"h": RawTensorV3(uref, 2, (2, 2), (1, 2), torch.float16)},
                                  protocol=4),
                {"0": half_bytes}, extra_members=[("archive/byteorder", b"little")])
write_expect("v3_untyped.pt",
             [("h", torch.arange(6, dtype=torch.float16).as_strided((2, 2), (1, 2), 2))])
write_torch_zip("bad_big_endian.pt",
                torch_like_pickle({"h": RawTensorV3(uref, 0, (6,), (1,), torch.float16)}),
                {"0": half_bytes}, extra_members=[("archive/byteorder", b"big")])


# A legacy file with a storage view (the 6th persistent-id field; PyTorch < 1.0 wrote these).
class LegacyPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel, obj.view)
        return None


def legacy_file(obj, storages):
    buf = io.BytesIO()
    for header in (0x1950a86a20f9469cfc6c, 1001,
                   {"protocol_version": 1001, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, buf, protocol=2)
    LegacyPickler(buf, protocol=2).dump(obj)
    pickle.dump([key for key, _ in storages], buf, protocol=2)
    for _, data in storages:
        buf.write(struct.pack("<q", len(data) // 4) + data)
    return buf.getvalue()


vref = StorageRef(torch.FloatStorage, "root", 6)
vref.view = ("view0", 2, 3)   # elements 2..4 of the root storage
(OUT / "legacy_view.pt").write_bytes(
    legacy_file({"v": RawTensor(vref, 1, (2,), (1,))}, [("root", struct.pack("<6f", *range(6)))]))
write_expect("legacy_view.pt", [("v", torch.tensor([3.0, 4.0]))])
bad_view = StorageRef(torch.FloatStorage, "root", 6)
bad_view.view = ("view0", 4, 3)   # reaches past the root storage
(OUT / "bad_legacy_view.pt").write_bytes(
    legacy_file({"v": RawTensor(bad_view, 0, (1,), (1,))}, [("root", struct.pack("<6f", *range(6)))]))

# Storage record missing.
write_torch_zip("bad_missing_storage.pt",
                torch_like_pickle({"w": RawTensor(sref, 0, (6,), (1,))}), {})
# Path-traversing member name.
write_torch_zip("bad_traversal.pt", torch_like_pickle({"x": 1}), {},
                extra_members=[("../evil.txt", b"x")])
# A pickle that is not valid: an unknown opcode, a huge string length, a stack underflow.
write_torch_zip("bad_opcode.pt", b"\x80\x02}q\x00\xff.", {})
write_torch_zip("bad_huge_string.pt", b"\x80\x02X\xff\xff\xff\x7fabc.", {})
write_torch_zip("bad_underflow.pt", b"\x80\x02a.", {})
write_torch_zip("bad_no_stop.pt", b"\x80\x02}q\x00", {})
# Deep nesting: 100000 nested lists.
deep = b"\x80\x02" + b"]" * 100000 + b"a" * 99999 + b"."
write_torch_zip("bad_deep.pt", deep, {})
# Memo bomb: L0 = [], L(k+1) = [Lk, Lk, Lk, Lk] for 40 levels: 4^40 nodes when expanded.
bomb = bytearray(b"\x80\x02]q\x000")
for k in range(40):
    bomb += b"](" + (b"h" + bytes([k])) * 4 + b"eq" + bytes([k + 1]) + (b"0" if k < 39 else b"")
bomb += b"."
write_torch_zip("bad_memo_bomb.pt", bytes(bomb), {})
# A list that contains itself.
write_torch_zip("bad_cycle.pt", b"\x80\x02]q\x00h\x00a.", {})
# A memo index that was never stored.
write_torch_zip("bad_memo_get.pt", b"\x80\x02h\x07.", {})

# ---------------------------------------------------------------- malicious pickles

CANARY = {k: OUT / f"canary_{k}" for k in
          ("os_system", "eval", "popen", "reduce_class", "legacy", "stack_global", "newobj",
           "rebuild_from_type", "plain_pickle", "getattr")}
for p in CANARY.values():
    if p.exists():
        p.unlink()


def touch_cmd(key):
    return f"touch {CANARY[key]}"


evil = {
    # GLOBAL os system + REDUCE (protocol 0 text)
    "evil_os_system": b"cos\nsystem\n(S'" + touch_cmd("os_system").encode() + b"'\ntR.",
    # builtins.eval (protocol 2 form)
    "evil_eval": b"\x80\x02cbuiltins\neval\nX" +
    struct.pack("<I", len(f"__import__('os').system('{touch_cmd('eval')}')")) +
    f"__import__('os').system('{touch_cmd('eval')}')".encode() + b"\x85R.",
    # subprocess.Popen(['touch', path])
    "evil_popen": b"csubprocess\nPopen\n((S'touch'\nS'" + str(CANARY["popen"]).encode() +
    b"'\nltR.",
    # protocol 4 STACK_GLOBAL of posix.system
    "evil_stack_global": b"\x80\x04\x8c\x05posix\x8c\x06system\x93\x8c" +
    bytes([len(touch_cmd("stack_global"))]) + touch_cmd("stack_global").encode() + b"\x85R.",
    # NEWOBJ of os.system (never a class construction)
    "evil_newobj": b"\x80\x02cos\nsystem\n)\x81.",
    # getattr(builtins-ish, 'system') chains
    "evil_getattr": b"\x80\x02cbuiltins\ngetattr\ncbuiltins\nobject\nX\x03\x00\x00\x00abc\x86R.",
    # an unknown function under REDUCE (not denied, not allowed)
    "evil_unknown_reduce": b"\x80\x02cmymodule\nhelper\nX\x01\x00\x00\x00x\x85R.",
    # _rebuild_from_type_v2 smuggling a call
    "evil_rebuild_from_type": b"\x80\x02ctorch._tensor\n_rebuild_from_type_v2\n(cposix\nsystem\n"
    b"ctorch\nTensor\nX" + struct.pack("<I", len(touch_cmd("rebuild_from_type"))) +
    touch_cmd("rebuild_from_type").encode() + b"\x85}tR.",
}
for name, pkl in evil.items():
    write_torch_zip(f"{name}.pt", pkl, {})
# The same os.system payload as a bare pickle file (not a zip at all).
(OUT / "evil_plain_pickle.pkl").write_bytes(
    b"cos\nsystem\n(S'" + touch_cmd("plain_pickle").encode() + b"'\ntR.")


class Pwn:
    def __reduce__(self):
        return (os.system, (touch_cmd("reduce_class"),))


torch.save({"state_dict": cnn_sd, "extra": Pwn()}, OUT / "evil_reduce_class.pt")
torch.save({"extra": Pwn()}, OUT / "evil_reduce_class_legacy.pt",
           _use_new_zipfile_serialization=False)

# Prove the payloads are live: Python's own pickle runs one (into a separate proof file).
proof = OUT / "proof_payload_runs"
if proof.exists():
    proof.unlink()
pickle.loads(b"cos\nsystem\n(S'touch " + str(proof).encode() + b"'\ntR.")
assert proof.exists(), "the os.system payload should run under Python's pickle"
proof.unlink()
for p in CANARY.values():
    assert not p.exists()

print(f"fixtures written to {OUT}")
