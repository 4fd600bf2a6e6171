#!/usr/bin/python3
"""The Python side of the emit_torch tests (run with Debian's /usr/bin/python3: torch 1.13).

Modes (each prints one JSON document on stdout; any failure exits non-zero):
  load [--weights-only] FILE...   torch.load each FILE (stock torch, no mlexport code) and print
                                  {FILE: canonical form of the loaded object}
  zipinfo FILE                    Python's zipfile view of FILE: members, offsets, testzip()
  pickles                         {case: pickle.dumps(obj, protocol=2).hex()} for the cases the
                                  C++ pickle writer must reproduce byte for byte
  torchsave DIR                   torch.save a known object into DIR/reference.pt and print
                                  its member names

The canonical form makes every detail comparable as JSON: ints as decimal text, floats as their
IEEE bits, bytes as hex, tuples/lists/dicts tagged, dict order kept, lists/dicts/tensors numbered
in first-seen order ({"ref": n} when met again), tensors with dtype, shape, stride, storage offset,
requires_grad, storage size and identity, and their bytes (hex up to 256 bytes, else CRC-32).
"""
import collections
import json
import pickle
import struct
import sys
import zipfile
import zlib

DTYPES = None


def dtype_names():
    import torch
    return {torch.float32: "float32", torch.float16: "float16", torch.float64: "float64",
            torch.bfloat16: "bfloat16", torch.int8: "int8", torch.uint8: "uint8",
            torch.int16: "int16", torch.int32: "int32", torch.int64: "int64", torch.bool: "bool"}


class Canon:
    def __init__(self):
        self.ids = {}
        self.storages = {}

    def ident(self, obj):
        """(is_new, ordinal) for lists, dicts and tensors, by Python identity."""
        key = id(obj)
        if key in self.ids:
            return False, self.ids[key][0]
        self.ids[key] = (len(self.ids), obj)  # keep obj alive so ids stay unique
        return True, self.ids[key][0]

    def __call__(self, obj):
        import torch
        if obj is None:
            return None
        if isinstance(obj, bool):
            return obj
        if isinstance(obj, int):
            return {"int": str(obj)}
        if isinstance(obj, float):
            return {"float": struct.pack(">d", obj).hex()}
        if isinstance(obj, str):
            return {"str": obj}
        if isinstance(obj, bytes):
            return {"bytes": obj.hex()}
        if type(obj) is tuple:
            return {"tuple": [self(x) for x in obj]}
        if type(obj) is list:
            new, n = self.ident(obj)
            if not new:
                return {"ref": n}
            return {"list": [self(x) for x in obj], "id": n}
        if type(obj) in (dict, collections.OrderedDict):
            new, n = self.ident(obj)
            if not new:
                return {"ref": n}
            tag = "dict" if type(obj) is dict else "ordered_dict"
            out = {tag: [[self(k), self(v)] for k, v in obj.items()], "id": n}
            attrs = getattr(obj, "__dict__", None)
            if attrs:
                out["attrs"] = [[self(k), self(v)] for k, v in attrs.items()]
            return out
        if type(obj) is torch.Tensor:
            new, n = self.ident(obj)
            if not new:
                return {"ref": n}
            return {"tensor": self.tensor(obj), "id": n}
        raise TypeError(f"unexpected {type(obj)} in a loaded checkpoint")

    def tensor(self, t):
        import torch
        st = t.storage()
        flat = t.detach().contiguous().reshape(-1)
        if t.dtype == torch.bfloat16:
            flat = flat.view(torch.int16)
        data = flat.numpy().tobytes()
        storage = None
        if st.nbytes() > 0:
            storage = self.storages.setdefault(st.data_ptr(), len(self.storages))
        return {"dtype": dtype_names()[t.dtype], "shape": list(t.shape),
                "stride": list(t.stride()), "offset": t.storage_offset(),
                "requires_grad": t.requires_grad, "storage_numel": st.size(),
                "storage": storage, "nbytes": len(data),
                "data": data.hex() if len(data) <= 256 else "crc32:%08x" % zlib.crc32(data)}


def mode_load(args):
    import torch
    weights_only = False
    if args and args[0] == "--weights-only":
        weights_only, args = True, args[1:]
    out = {}
    for path in args:
        obj = torch.load(path, weights_only=weights_only) if weights_only else torch.load(path)
        out[path] = Canon()(obj)
    return out


def mode_zipinfo(args):
    with zipfile.ZipFile(args[0]) as z:
        bad = z.testzip()
        members = []
        for info in z.infolist():
            with z.open(info) as f:
                f.read()
            members.append({"name": info.filename, "size": info.file_size,
                            "compress_type": info.compress_type,
                            "header_offset": info.header_offset, "crc": info.CRC})
        return {"testzip": bad, "members": members}


def pickle_cases():
    od_meta = collections.OrderedDict(a=1, b=2)
    od_meta._metadata = {"": {"version": 1}}
    shared = [1, 2]
    words = [f"word{k}" for k in range(300)]
    empty = b""
    return {
        "ints": [0, 1, 127, 128, 255, 256, 65535, 65536, -1, -128, -129, -256, 2**31 - 1,
                 -2**31, 2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**64, -2**64, 2**100, -2**100,
                 2**2100, -2**2100],
        "floats": [0.0, -0.0, 0.1, -2.5, 1e-310, float("inf"), float("-inf"),
                   1.7976931348623157e308, float("nan")],
        "strings": ["", "a", "h\u00e9llo", "\u65e5\u672c\u8a9e", "\U0001f642", "x" * 255,
                    "y" * 256, "z" * 65536, "\u00e9" * 128],
        "bytes": [empty, b"ab\x00\xff", bytes(range(256)), empty],
        "containers": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], [1], {}, {"k": None},
                       {"t": True, "f": False, "n": [(), [[]]]}],
        "batches": [list(range(1000)), list(range(1001)), list(range(2000)),
                    {f"k{k}": k for k in range(1000)}, {f"j{k}": k for k in range(1001)},
                    collections.OrderedDict((f"o{k}", k) for k in range(1000)),
                    collections.OrderedDict((f"p{k}", k) for k in range(1001)),
                    collections.OrderedDict(q=1), collections.OrderedDict()],
        "memo": words + [words[0], words[299], words[150]],
        "shared": [shared, shared, (shared,)],
        "ordered_dict_with_metadata": od_meta,
        "keys": {1: "one", 2.5: "float", (1, "x"): "tuple", None: "none", b"k": "bytes"},
    }


def mode_pickles(args):
    return {name: pickle.dumps(obj, protocol=2).hex() for name, obj in pickle_cases().items()}


def torchsave_object():
    import torch
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    sd = collections.OrderedDict()
    sd["w"] = w
    sd["w_t"] = w.view(3, 2)
    sd["empty"] = torch.empty(2, 0, 3)
    sd["scalar"] = torch.tensor(3.5, dtype=torch.float64)
    sd["mask"] = torch.tensor([True, False, True])
    sd["half"] = torch.arange(4, dtype=torch.float16)
    sd["brain"] = torch.arange(3, dtype=torch.bfloat16)
    sd["bytes8"] = torch.tensor([-3, 7], dtype=torch.int8)
    sd["ubytes"] = torch.tensor([200, 1], dtype=torch.uint8)
    sd["short"] = torch.tensor([-300], dtype=torch.int16)
    sd["int"] = torch.tensor([[70000]], dtype=torch.int32)
    sd["long"] = torch.arange(5, dtype=torch.int64).reshape(1, 1, 1, 5)
    return {"state_dict": sd, "config": {"lr": 0.25, "name": "resnet", "depth": 18},
            "epoch": 7}


def mode_torchsave(args):
    import torch
    path = f"{args[0]}/reference.pt"
    torch.save(torchsave_object(), path)
    with zipfile.ZipFile(path) as z:
        return {"path": path, "members": [i.filename for i in z.infolist()]}


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    result = {"load": mode_load, "zipinfo": mode_zipinfo, "pickles": mode_pickles,
              "torchsave": mode_torchsave}[mode](args)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
