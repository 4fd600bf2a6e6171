#!/usr/bin/python3
"""Writes the seed corpus of the readers outside src/frontend/checkpoint into fuzz/corpus/<target>/:
ONNX files, OpenVINO IR (xml + "@@BIN@@" + bin), .npy/.npz, config.json and export requests.
Small files only; needs numpy and onnx (Debian's /usr/bin/python3), not torch."""
import io
import json
import pathlib
import struct
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def out(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# ---- ONNX ----
def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="seed")
    m.ir_version = 8
    return m.SerializeToString()


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


rng = np.random.default_rng(0)
out("fuzz_onnx", "conv_relu_pool.onnx", model(
    [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
     helper.make_node("Relu", ["c"], ["r"]),
     helper.make_node("MaxPool", ["r"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
    [vi("x", [1, 2, 4, 4])], [vi("y", None)],
    [init("w", rng.standard_normal((3, 2, 3, 3), dtype=np.float32)),
     init("b", np.zeros(3, np.float32))]))
out("fuzz_onnx", "gemm_softmax.onnx", model(
    [helper.make_node("Gemm", ["x", "w", "b"], ["g"], transB=1),
     helper.make_node("Softmax", ["g"], ["y"], axis=-1)],
    [vi("x", ["batch", 4])], [vi("y", None)],
    [init("w", np.ones((3, 4), np.float32)), init("b", np.zeros(3, np.float32))]))
out("fuzz_onnx", "shape_ops.onnx", model(
    [helper.make_node("Shape", ["x"], ["s"]),
     helper.make_node("Reshape", ["x", "shape"], ["r"]),
     helper.make_node("Transpose", ["r"], ["t"], perm=[1, 0]),
     helper.make_node("Concat", ["t", "t"], ["c"], axis=0),
     helper.make_node("Unsqueeze", ["c", "axes"], ["u"]),
     helper.make_node("Cast", ["s"], ["y2"], to=TensorProto.FLOAT),
     helper.make_node("Slice", ["u", "st", "en"], ["y"])],
    [vi("x", [2, 3, 4])], [vi("y", None), vi("y2", None)],
    [init("shape", np.array([6, 4], np.int64)), init("axes", np.array([0], np.int64)),
     init("st", np.array([0], np.int64)), init("en", np.array([1], np.int64))]))
out("fuzz_onnx", "opset11_squeeze_split.onnx", model(
    [helper.make_node("Squeeze", ["x"], ["s"], axes=[0]),
     helper.make_node("Split", ["s"], ["a", "b"], axis=0, split=[1, 2]),
     helper.make_node("Add", ["a", "c"], ["y"]),
     helper.make_node("Clip", ["b", "lo", "hi"], ["z"])],
    [vi("x", [1, 3, 2])], [vi("y", None), vi("z", None)],
    [init("c", np.float16([[1.0, 2.0]])), init("lo", np.float32(0)), init("hi", np.float32(6))],
    opset=11))
out("fuzz_onnx", "resize_pad_reduce.onnx", model(
    [helper.make_node("Resize", ["x", "", "scales"], ["r"], mode="nearest"),
     helper.make_node("Pad", ["r", "pads"], ["p"]),
     helper.make_node("ReduceMean", ["p"], ["y"], axes=[2, 3], keepdims=0),
     helper.make_node("Constant", [], ["k"], value=init("kv", np.int32([1, 2]))),
     helper.make_node("Gather", ["y", "idx"], ["z"], axis=1)],
    [vi("x", [1, 2, 2, 2])], [vi("y", None), vi("z", None), vi("k", None)],
    [init("scales", np.float32([1, 1, 2, 2])), init("pads", np.int64([0, 0, 1, 1, 0, 0, 1, 1])),
     init("idx", np.int64([1, 0]))]))
cond = helper.make_graph([helper.make_node("Identity", ["x"], ["t"])], "then", [], [vi("t", None)])
els = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [], [vi("e", None)])
out("fuzz_onnx", "if_branch.onnx", model(
    [helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
     helper.make_node("Greater", ["s", "zero"], ["c"]),
     helper.make_node("If", ["c"], ["y"], then_branch=cond, else_branch=els)],
    [vi("x", [2])], [vi("y", None)], [init("zero", np.float32(0))]))
out("fuzz_onnx", "unsupported_op.onnx", model(
    [helper.make_node("NonMaxSuppression", ["b", "s"], ["y"])],
    [vi("b", [1, 4, 4]), vi("s", [1, 1, 4])], [vi("y", None, TensorProto.INT64)]))

# ---- OpenVINO IR: xml, "@@BIN@@", bin ----
def port(pid, dims, precision="FP32", names=None):
    n = f' names="{names}"' if names else ""
    d = "".join(f"<dim>{x}</dim>" for x in dims)
    return f'<port id="{pid}" precision="{precision}"{n}>{d}</port>'


def layer(lid, kind, data="", inputs=(), outputs=(), version="opset1"):
    i = f"<input>{''.join(inputs)}</input>" if inputs else ""
    o = f"<output>{''.join(outputs)}</output>" if outputs else ""
    d = f"<data {data}/>" if data else ""
    return f'<layer id="{lid}" name="l{lid}" type="{kind}" version="{version}">{d}{i}{o}</layer>'


def ir(layers, edges, blob=b""):
    e = "".join(f'<edge from-layer="{a}" from-port="{b}" to-layer="{c}" to-port="{d}"/>'
                for a, b, c, d in edges)
    xml = (f'<?xml version="1.0"?>\n<net name="m" version="11"><layers>{"".join(layers)}'
           f"</layers><edges>{e}</edges></net>\n")
    return xml.encode() + b"@@BIN@@" + blob


w = np.arange(12, dtype=np.float32).reshape(3, 4)
out("fuzz_openvino_ir", "matmul_add_relu.ovir", ir(
    [layer(0, "Parameter", 'shape="1,4" element_type="f32"', outputs=[port(0, [1, 4], names="x")]),
     layer(1, "Const", f'element_type="f32" shape="3,4" offset="0" size="{w.nbytes}"',
           outputs=[port(0, [3, 4])]),
     layer(2, "MatMul", 'transpose_a="false" transpose_b="true"',
           [port(0, [1, 4]), port(1, [3, 4])], [port(2, [1, 3])]),
     layer(3, "Const", f'element_type="f32" shape="3" offset="{w.nbytes}" size="12"',
           outputs=[port(0, [3])]),
     layer(4, "Add", 'auto_broadcast="numpy"', [port(0, [1, 3]), port(1, [3])], [port(2, [1, 3])]),
     layer(5, "ReLU", "", [port(0, [1, 3])], [port(1, [1, 3], names="y")]),
     layer(6, "Result", "", [port(0, [1, 3])])],
    [(0, 0, 2, 0), (1, 0, 2, 1), (2, 2, 4, 0), (3, 0, 4, 1), (4, 2, 5, 0), (5, 1, 6, 0)],
    w.tobytes() + np.ones(3, np.float32).tobytes()))
k = np.ones((2, 1, 3, 3), np.float32)
out("fuzz_openvino_ir", "conv_pool_softmax.ovir", ir(
    [layer(0, "Parameter", 'shape="1,1,4,4" element_type="f32"', outputs=[port(0, [1, 1, 4, 4])]),
     layer(1, "Const", f'element_type="f32" shape="2,1,3,3" offset="0" size="{k.nbytes}"',
           outputs=[port(0, [2, 1, 3, 3])]),
     layer(2, "Convolution",
           'strides="1,1" dilations="1,1" pads_begin="1,1" pads_end="1,1" auto_pad="explicit"',
           [port(0, [1, 1, 4, 4]), port(1, [2, 1, 3, 3])], [port(2, [1, 2, 4, 4])]),
     layer(3, "MaxPool", 'strides="2,2" kernel="2,2" pads_begin="0,0" pads_end="0,0" '
           'rounding_type="floor" auto_pad="explicit"',
           [port(0, [1, 2, 4, 4])], [port(1, [1, 2, 2, 2])]),
     layer(4, "Const", 'element_type="i64" shape="2" offset="72" size="16"', outputs=[port(0, [2], "I64")]),
     layer(5, "Reshape", 'special_zero="false"', [port(0, [1, 2, 2, 2]), port(1, [2], "I64")],
           [port(2, [1, 8])]),
     layer(6, "SoftMax", 'axis="1"', [port(0, [1, 8])], [port(1, [1, 8])], version="opset1"),
     layer(7, "Result", "", [port(0, [1, 8])])],
    [(0, 0, 2, 0), (1, 0, 2, 1), (2, 2, 3, 0), (3, 1, 5, 0), (4, 0, 5, 1), (5, 2, 6, 0),
     (6, 1, 7, 0)],
    k.tobytes() + np.int64([1, 8]).tobytes()))
out("fuzz_openvino_ir", "concat_transpose.ovir", ir(
    [layer(0, "Parameter", 'shape="2,3" element_type="f32"', outputs=[port(0, [2, 3])]),
     layer(1, "Concat", 'axis="0"', [port(0, [2, 3]), port(1, [2, 3])], [port(2, [4, 3])]),
     layer(2, "Const", 'element_type="i64" shape="2" offset="0" size="16"',
           outputs=[port(0, [2], "I64")]),
     layer(3, "Transpose", "", [port(0, [4, 3]), port(1, [2], "I64")], [port(2, [3, 4])]),
     layer(4, "Result", "", [port(0, [3, 4])]),
     layer(5, "Result", "", [port(0, [2, 3])])],
    [(0, 0, 1, 0), (0, 0, 1, 1), (1, 2, 3, 0), (2, 0, 3, 1), (3, 2, 4, 0), (0, 0, 5, 0)],
    np.int64([1, 0]).tobytes()))

# ---- .npy / .npz ----
def npy(array, version=None):
    buf = io.BytesIO()
    if version:
        np.lib.format.write_array(buf, array, version=version)
    else:
        np.save(buf, array)
    return buf.getvalue()


arrays = {"f4": np.arange(6, dtype="<f4").reshape(2, 3), "f8": np.float64([1.5]),
          "f2": np.float16([[1, 2]]), "i8": np.int64([-1, 2]), "i4": np.int32(7),
          "i2": np.int16([1]), "i1": np.int8([-3]), "u1": np.uint8([255]),
          "b1": np.bool_([True, False]), "empty": np.zeros((0, 2), "<f4")}
for name, a in arrays.items():
    out("fuzz_npy", f"{name}.npy", npy(a))
out("fuzz_npy", "v2.npy", npy(np.ones((2, 2), "<f4"), version=(2, 0)))
out("fuzz_npy", "v3.npy", npy(np.ones(3, "<i8"), version=(3, 0)))
out("fuzz_npy", "fortran.npy", npy(np.asfortranarray(np.ones((2, 3), "<f4"))))
out("fuzz_npy", "big_endian.npy", npy(np.ones(2, ">f4")))
for compress in (False, True):
    buf = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buf, x=arrays["f4"], y=arrays["i8"])
    out("fuzz_npy", f"pair{'_deflated' if compress else ''}.npz", buf.getvalue())

# ---- config.json beside a checkpoint ----
configs = [{"model_name": "resnet18", "num_classes": 10, "input_size": [3, 224, 224]},
           {"arch": "vit_b_16", "n_classes": 2, "image_size": 224},
           {"architecture": "convnext_tiny", "img_size": [160, 160], "extra": {"a": [1, None]}},
           {"model_type": "mobilenet_v3_small", "input_shape": [1, 3, 96, 96], "resolution": 1.5},
           [1, 2, 3]]
for i, c in enumerate(configs):
    out("fuzz_config_json", f"config_{i}.json", json.dumps(c))

# ---- export requests (POST /api/projects/{id}/exports) ----
requests = [{"experiment_id": "exp-1"},
            {"experiment_id": "exp-1", "checkpoint": "last", "format": "onnx", "force": True,
             "options": {"opset_version": 13, "input_shape": [1, 3, 64, 64], "dynamic_axes": True,
                         "simplify": False, "precision": "fp16", "external_data": True}},
            {"experiment_id": "e", "format": "openvino",
             "options": {"compress_to_fp16": True,
                         "dynamic_axes": {"input": {"0": "batch_size"},
                                          "output": {"0": "batch_size"}}}},
            {"experiment_id": "e", "format": "onnx", "options": {"quantize": "int8"}},
            {"experiment_id": "e", "format": "tensorrt"},
            {"experiment_id": "e", "format": "torchscript", "options": {"opset_version": 11}}]
for i, r in enumerate(requests):
    out("fuzz_export_request", f"request_{i}.json", json.dumps(r))
print("corpus written to", CORPUS)
