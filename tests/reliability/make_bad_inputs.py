#!/usr/bin/python3
"""Writes the files of the bad-input table (cases.tsv) into the folder given: one small traced
model that works, and the broken files the table feeds to the CLI and the readers. Run with
Debian's /usr/bin/python3 (torch, numpy, onnx). Nothing here is ever executed by mlexport: the
pickles that call os.system would only create a canary file if they ran."""
import io
import json
import os
import struct
import sys
import zipfile
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
CANARY = os.path.join(OUT, "CANARY")
# The fuzzers' reproducers (fuzz/corpus) that broke the CLI before their fixes.
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fuzz", "corpus")


def path(name):
    p = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# ---- a model that exports, and its sample inputs ----
class Small(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).mean((2, 3)))


torch.manual_seed(0)
with torch.no_grad():
    small = torch.jit.trace(Small().eval(), torch.randn(1, 3, 8, 8))
small.save(path("small.pt"))
# Weights large enough (16 MB) that writing and validating take a moment: the interruption case.
big = torch.jit.trace(torch.nn.Sequential(torch.nn.Linear(2048, 2048), torch.nn.ReLU()).eval(),
                      torch.randn(1, 2048))
big.save(path("big.pt"))


# A ModuleDict indexed by a computed key: it scripts and runs, but LibTorch cannot freeze it.
@torch.jit.interface
class TensorToTensor(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pass


class AddOne(torch.nn.Module):
    def forward(self, x):
        return x + 1


class PicksSubmodule(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.branches = torch.nn.ModuleDict({"up": AddOne(), "down": AddOne()})

    def forward(self, x):
        branch: TensorToTensor = self.branches["up" if bool(x.sum() > 0) else "down"]
        return branch.forward(x)


torch.jit.script(PicksSubmodule().eval()).save(path("unfreezable.pt"))
np.save(path("sample_ok.npy"), np.zeros((1, 3, 8, 8), np.float32))
np.save(path("sample_wrong_shape.npy"), np.zeros((1, 3, 9, 9), np.float32))
np.save(path("sample_wrong_dtype.npy"), np.zeros((1, 3, 8, 8), np.int64))
np.save(path("sample_fortran.npy"), np.asfortranarray(np.zeros((1, 3, 8, 8), np.float32)))
np.save(path("sample_big_endian.npy"), np.zeros((1, 3, 8, 8), ">f4"))
ok_npy = open(path("sample_ok.npy"), "rb").read()
write("sample_truncated.npy", ok_npy[: len(ok_npy) - 100])
write("sample_bad_magic.npy", b"\x93NUMPX" + ok_npy[6:])
header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 8, 8)"  # no closing brace
write("sample_bad_header.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) +
      header.ljust(117) + b"\n" + bytes(768))
write("sample_object.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) +
      b"{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".ljust(117) + b"\n" + bytes(8))
write("sample_not_zip.npz", "PK but not a zip archive\n")

# ---- checkpoints and archives ----
data = open(path("small.pt"), "rb").read()
write("truncated.pt", data[: len(data) // 2])
write("random.pt", np.random.RandomState(0).bytes(4096))
write("empty.pt", b"")
os.makedirs(path("a_folder.pt"), exist_ok=True)
with zipfile.ZipFile(path("plain_zip.pt"), "w") as z:
    z.writestr("archive/data.pkl", b"not a pickle")


class Evil:
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


sd = {"fc.weight": torch.ones(2, 4), "fc.bias": torch.zeros(2)}
torch.save({"model_name": "resnet18", "state_dict": sd,
            "payload": Evil(os.system, "touch " + CANARY)}, path("evil_system.pt"))
torch.save({"model_name": "resnet18", "state_dict": sd,
            "payload": Evil(eval, "open(%r, 'w')" % CANARY)}, path("evil_eval.pt"))
ckpt = io.BytesIO()
torch.save({"model_name": "resnet18", "num_classes": 2, "state_dict": sd}, ckpt)
write("ckpt_truncated.pt", ckpt.getvalue()[: len(ckpt.getvalue()) // 3])
torch.save({"model_name": "resnet999", "state_dict": sd}, path("unknown_arch.pt"))
torch.save([1, 2, 3], path("list_checkpoint.pt"))


def raw_zip(members, overlap=False):
    """A zip written by hand: members (name, payload, claimed size); with overlap, every central
    directory entry points at the first member's data (the zip-bomb trick)."""
    out, central = bytearray(), bytearray()
    first = None
    for name, payload, claimed in members:
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        body = comp.compress(payload) + comp.flush()
        crc = zlib.crc32(payload)
        size = claimed if claimed is not None else len(payload)
        offset = len(out)
        if overlap and first is not None:
            offset = first
        else:
            out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), size,
                               len(name), 0) + name.encode() + body
            first = offset if first is None else first
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(body), size, len(name), 0, 0, 0, 0, 0, offset) + name.encode()
    cd_offset = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                       cd_offset, 0)
    return bytes(out)


zeros = bytes(1 << 20)
write("bomb_overlap.pt", raw_zip([(f"archive/data/{k}", zeros, None) for k in range(64)],
                                 overlap=True))
# A real checkpoint whose 32-byte storage member is 256 MB of zeros, deflated to 256 KB.
buf = io.BytesIO()
torch.save({"model_name": "resnet18", "state_dict": {"fc.weight": torch.zeros(2, 4)}}, buf)
with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, \
        zipfile.ZipFile(path("bomb_storage.pt"), "w", zipfile.ZIP_DEFLATED) as dst:
    for info in src.infolist():
        if info.filename.endswith("/data/0"):
            with dst.open(info.filename, "w", force_zip64=True) as member:
                for _ in range(16):
                    member.write(bytes(1 << 24))
        else:
            dst.writestr(info.filename, src.read(info.filename))
write("bomb_ratio.pt", raw_zip([("archive/data.pkl", b"\x80\x02}q\x00.", 0xFFFFFF00)]))

# ---- safetensors and config.json ----
def safetensors(header, blob):
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blob


write("st_lying_offsets/model.safetensors", safetensors(
    {"fc.weight": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]},
     "fc.bias": {"dtype": "F32", "shape": [2], "data_offsets": [24, 1 << 30]}}, bytes(32)))
write("st_long_header/model.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
write("st_bad_config/model.safetensors", safetensors(
    {"fc.weight": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}}, bytes(32)))
write("st_bad_config/config.json", '{"architecture": "resnet18", "num_classes": 2,')
write("st_config_types/model.safetensors", safetensors(
    {"fc.weight": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}}, bytes(32)))
write("st_config_types/config.json", '{"architecture": "resnet18", "input_size": ["a", "b"]}')
write("st_config_bool/model.safetensors", safetensors(
    {"fc.weight": {"dtype": "F32", "shape": [2, 4], "data_offsets": [0, 32]}}, bytes(32)))
with open(os.path.join(CORPUS, "fuzz_config_json", "crash_input_size_bool.json"), "rb") as f:
    write("st_config_bool/config.json", f.read())

# ---- ONNX ----
def onnx_model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


vi = helper.make_tensor_value_info
x = vi("x", TensorProto.FLOAT, [1, 4])
y = vi("y", TensorProto.FLOAT, [1, 4])
good = onnx_model([helper.make_node("Relu", ["x"], ["y"])], [x], [y])
onnx.save(good, path("good.onnx"))
good_bytes = open(path("good.onnx"), "rb").read()
write("truncated.onnx", good_bytes[: len(good_bytes) // 2])
write("text.onnx", "this is not a protobuf\n")
write("empty.onnx", b"")
onnx.save(onnx_model([helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["y"])][::-1],
                     [x], [y]), path("cycle.onnx"))
onnx.save(onnx_model([helper.make_node("Add", ["x", "w"], ["y"])], [x], [y]),
          path("missing_initializer.onnx"))
no_graph = onnx.ModelProto()
no_graph.ir_version = 8
no_graph.opset_import.add().version = 13
write("no_graph.onnx", no_graph.SerializeToString())
onnx.save(onnx_model([helper.make_node("Relu", ["x"], ["y"])], [x], [y], opset=18),
          path("opset18.onnx"))
# Hardmax is no IR op and has no OpenVINO translation: an ONNX file with one cannot become
# OpenVINO IR.
onnx.save(onnx_model([helper.make_node("Hardmax", ["x"], ["y"])], [x], [y]), path("unsupported_op.onnx"))
escape = numpy_helper.from_array(np.ones(4, np.float32), "w")
escape.ClearField("raw_data")
escape.data_location = TensorProto.EXTERNAL
for key, value in (("location", "../../../../etc/passwd"), ("offset", "0"), ("length", "16")):
    escape.external_data.add(key=key, value=value)
onnx.save(onnx_model([helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [escape]),
          path("external_escape.onnx"))
escape.external_data[0].value = "weights_missing.bin"
onnx.save(onnx_model([helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [escape]),
          path("external_missing.onnx"))
short = numpy_helper.from_array(np.ones(4, np.float32), "w")
short.raw_data = bytes(10)
onnx.save(onnx_model([helper.make_node("Add", ["x", "w"], ["y"])], [x], [y], [short]),
          path("raw_data_short.onnx"))
# The fuzzers' finds that crashed the CLI (libonnx shape inference dereferenced a missing type).
for name in ("crash_shape_of_undefined_input.onnx", "crash_graph_input_without_type.onnx",
             "crash_conv_input_rank_below_weight_rank.onnx",
             "crash_shape_of_unknown_op_output.onnx"):
    with open(os.path.join(CORPUS, "fuzz_onnx", name), "rb") as f:
        write(name, f.read())

# ---- OpenVINO IR (read by the C++ API's reader) ----
def ir_xml(layers, edges):
    e = "".join(f'<edge from-layer="{a}" from-port="{b}" to-layer="{c}" to-port="{d}"/>'
                for a, b, c, d in edges)
    return f'<?xml version="1.0"?><net name="m" version="11"><layers>{layers}</layers><edges>{e}</edges></net>'


param = ('<layer id="0" name="x" type="Parameter" version="opset1"><data shape="1,4" '
         'element_type="f32"/><output><port id="0" precision="FP32"><dim>1</dim><dim>4</dim>'
         '</port></output></layer>')
const = ('<layer id="1" name="w" type="Const" version="opset1"><data element_type="f32" shape="4" '
         'offset="{offset}" size="16"/><output><port id="0" precision="FP32"><dim>4</dim></port>'
         '</output></layer>')
add = ('<layer id="2" name="add" type="Add" version="opset1"><input><port id="0"><dim>1</dim>'
       '<dim>4</dim></port><port id="1"><dim>4</dim></port></input><output><port id="2" '
       'precision="FP32"><dim>1</dim><dim>4</dim></port></output></layer>')
result = ('<layer id="3" name="y" type="Result" version="opset1"><input><port id="0"><dim>1</dim>'
          '<dim>4</dim></port></input></layer>')
edges = [(0, 0, 2, 0), (1, 0, 2, 1), (2, 2, 3, 0)]
write("ir_good.xml", ir_xml(param + const.format(offset=0) + add + result, edges))
write("ir_good.bin", bytes(16))
write("ir_offset.xml", ir_xml(param + const.format(offset=1 << 40) + add + result, edges))
write("ir_offset.bin", bytes(16))
write("ir_malformed.xml", '<?xml version="1.0"?><net name="m" version="11"><layers><layer id="0"')
write("ir_version.xml", '<?xml version="1.0"?><net name="m" version="7"><layers/></net>')
write("ir_cycle.xml", ir_xml(param + add.replace('id="2"', 'id="2"', 1) + result,
                             [(0, 0, 2, 0), (2, 2, 2, 1), (2, 2, 3, 0)]))
write("ir_unknown_layer.xml", ir_xml(param + '<layer id="2" name="z" type="FancyOp" '
                                     'version="opset99"/>' + result, [(0, 0, 3, 0)]))
write("ir_dim.xml", ir_xml(param.replace("<dim>4</dim>", "<dim>four</dim>") + result,
                           [(0, 0, 3, 0)]))
write("ir_no_bin.xml", ir_xml(param + const.format(offset=0) + add + result, edges))
print("bad inputs written to", OUT)
