#!/usr/bin/python3
"""End-to-end tests of the studio design's tasks through the CLI: segmentation checkpoints of the
zoo to every format, --segmentation_output, regression heads, and the task metadata each format
carries.

usage: /usr/bin/python3 tests/tasks/tasks_test.py ML_EXPORT WORK_DIR CASE

Checkpoints are written with Debian's torch/torchvision (/usr/bin/python3) into WORK_DIR (kept
between runs); inputs are 1x3x64x48 so every export takes about a second. Each CASE exits 0 when
every check holds and 1 with the failed check on stderr. The exports are validated by ml-export
itself against the C++ zoo model (whose parity with torchvision is tests/zoo's); these cases check
what a user sees: exit codes, verdicts, output types and shapes in the files, metadata, and that a
wrong model is caught.
"""

import json
import os
import subprocess
import sys
import zipfile

SHAPE = "1,3,64,48"
CLASSES = ["background", "road", "car", "person"]


class CheckFailed(Exception):
    pass


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def torch_modules():
    import torch
    import torchvision

    return torch, torchvision


def randomize_batchnorm(torch, model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
            elif isinstance(m, torch.nn.Conv2d) and m.bias is not None:
                m.bias.uniform_(-0.5, 0.5)


def fixture(work, name):
    """Writes (once) and returns the path of a named checkpoint."""
    path = os.path.join(work, name + ".pt")
    if os.path.exists(path):
        return path
    torch, tv = torch_modules()
    seg = tv.models.segmentation
    if name in ("lraspp", "lraspp_other"):
        torch.manual_seed(1 if name == "lraspp" else 2)
        model = seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4)
        randomize_batchnorm(torch, model, 1 if name == "lraspp" else 2)
        record = {"model_name": "lraspp_mobilenet_v3_large", "num_classes": 4,
                  "class_names": CLASSES, "state_dict": model.state_dict()}
    elif name == "deeplab_aux":
        torch.manual_seed(3)
        model = seg.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=3,
                                                 aux_loss=True)
        randomize_batchnorm(torch, model, 3)
        # A Lightning checkpoint: prefixed keys, architecture and task in hyper_parameters.
        record = {"state_dict": {"model." + k: v for k, v in model.state_dict().items()},
                  "hyper_parameters": {"arch": "deeplabv3_mobilenet_v3_large", "task": "segmentation"}}
    elif name == "regression":
        torch.manual_seed(4)
        model = tv.models.resnet18(num_classes=3)
        randomize_batchnorm(torch, model, 4)
        record = {"model_name": "resnet18", "num_outputs": 3, "state_dict": model.state_dict()}
    elif name == "classifier":
        torch.manual_seed(5)
        model = tv.models.mobilenet_v3_small(num_classes=2)
        randomize_batchnorm(torch, model, 5)
        record = {"model_name": "mobilenet_v3_small", "classes": ["ants", "bees"],
                  "state_dict": model.state_dict()}
    elif name == "padim":
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "zoo",
                              "make_reference_anomaly.py")
        subprocess.run([sys.executable, script, work, "--checkpoint", path], check=True,
                       capture_output=True)
        return path
    else:
        raise ValueError(name)
    torch.save(record, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def run(ml_export, *args):
    proc = subprocess.run([ml_export, "--json", *args], capture_output=True, text=True)
    doc = None
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pass
    return proc.returncode, doc, proc.stderr


def export_ok(ml_export, checkpoint, output, *extra):
    code, doc, err = run(ml_export, "--checkpoint_path", checkpoint, "--input_shape", SHAPE,
                         "--output_path", output, *extra)
    check(code == 0, f"{os.path.basename(output)} {' '.join(extra)}: exit {code}: {err.strip()[-300:]}")
    check(doc["validation"]["status"] == "PASS",
          f"{os.path.basename(output)}: verdict {doc['validation']['status']}")
    return doc


def onnx_output(path):
    import onnx

    model = onnx.load(path)
    out = model.graph.output[0]
    t = out.type.tensor_type
    dims = [d.dim_value for d in t.shape.dim]
    props = {p.key: p.value for p in model.metadata_props}
    return onnx.TensorProto.DataType.Name(t.elem_type), dims, props


def openvino_model_info(path):
    import xml.etree.ElementTree as ET

    info = ET.parse(path).getroot().find("rt_info/model_info")
    check(info is not None, f"{path}: no rt_info/model_info")
    return {child.tag: child.get("value") for child in info}


def case_segmentation_formats(ml_export, work):
    ckpt = fixture(work, "lraspp")
    onnx_path = os.path.join(work, "lraspp.onnx")
    doc = export_ok(ml_export, ckpt, onnx_path)
    check(doc["task"] == "segmentation", f"task {doc.get('task')}")
    check(doc["class_names"] == CLASSES, f"class names {doc.get('class_names')}")
    elem, dims, props = onnx_output(onnx_path)
    check((elem, dims) == ("FLOAT", [1, 4, 64, 48]), f"ONNX output {elem} {dims}")
    check(props.get("task") == "segmentation", f"ONNX metadata task {props.get('task')}")
    check(json.loads(props["class_names"]) == CLASSES, "ONNX metadata class_names")
    check("logits" in json.loads(props["outputs"])[0]["meaning"], "ONNX output meaning")
    check(json.loads(props["preprocessing"])["mean"] == [0.485, 0.456, 0.406], "preprocessing")

    xml_path = os.path.join(work, "lraspp.xml")
    export_ok(ml_export, ckpt, xml_path)
    info = openvino_model_info(xml_path)
    check(info.get("task") == "segmentation" and info.get("model_type") == "Segmentation",
          f"OpenVINO model_info {info.get('task')} {info.get('model_type')}")
    check(info.get("labels") == "background road car person", f"labels {info.get('labels')}")
    check(info.get("mean_values", "").startswith("123.675"), "mean_values")

    ts_path = os.path.join(work, "lraspp.ts")
    export_ok(ml_export, ckpt, ts_path)
    with zipfile.ZipFile(ts_path) as z:
        name = [n for n in z.namelist() if n.endswith("mlexport.json")]
        check(name, "no mlexport.json in the TorchScript archive")
        meta = json.loads(z.read(name[0]))
    check(meta.get("task") == "segmentation" and meta.get("class_names") == CLASSES,
          f"TorchScript metadata {meta.get('task')} {meta.get('class_names')}")

    pth_path = os.path.join(work, "lraspp.pth")
    export_ok(ml_export, ckpt, pth_path)
    torch, _ = torch_modules()
    saved = torch.load(pth_path)
    meta = json.loads(saved["mlexport"])
    check(meta.get("task") == "segmentation", f"torch checkpoint metadata {meta.get('task')}")
    check(saved["config"]["class_path"] == "torchvision.models.segmentation.lraspp_mobilenet_v3_large",
          f"class_path {saved['config']['class_path']}")


def case_segmentation_aux_checkpoint(ml_export, work):
    ckpt = fixture(work, "deeplab_aux")
    doc = export_ok(ml_export, ckpt, os.path.join(work, "deeplab.onnx"))
    check(doc["task"] == "segmentation", f"task {doc.get('task')}")
    pth_path = os.path.join(work, "deeplab.pth")
    export_ok(ml_export, ckpt, pth_path)
    torch, tv = torch_modules()
    saved = torch.load(pth_path)
    keys = list(saved["state_dict"].keys())
    check(any(k.startswith("aux_classifier.") for k in keys), "aux_classifier keys were dropped")
    args = saved["config"]["init_args"]
    check(args == {"num_classes": 3, "aux_loss": True}, f"init_args {args}")
    # The written file loads into torchvision's own model, strictly.
    model = tv.models.segmentation.deeplabv3_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                **args)
    model.load_state_dict(saved["state_dict"])


def case_segmentation_output_modes(ml_export, work):
    ckpt = fixture(work, "lraspp")
    expected = {"probabilities": ("FLOAT", [1, 4, 64, 48]), "argmax": ("INT64", [1, 64, 48]),
                "argmax:uint8": ("UINT8", [1, 64, 48])}
    for mode, (elem_want, dims_want) in expected.items():
        stem = os.path.join(work, "mode_" + mode.replace(":", "_"))
        doc = export_ok(ml_export, ckpt, stem + ".onnx", "--segmentation_output", mode)
        elem, dims, props = onnx_output(stem + ".onnx")
        check((elem, dims) == (elem_want, dims_want), f"{mode}: ONNX output {elem} {dims}")
        meaning = json.loads(props["outputs"])[0]["meaning"]
        check(("class map" in meaning) == mode.startswith("argmax"), f"{mode}: meaning {meaning}")
        if mode.startswith("argmax"):
            out = doc["validation"]["outputs"][0]
            check(out.get("class_map", "").startswith("pixels equal"), f"{mode}: {out}")
            check(out["shape"] == dims_want, f"{mode}: compared shape {out['shape']}")
        export_ok(ml_export, ckpt, stem + ".xml", "--segmentation_output", mode)


def case_segmentation_output_catches_a_wrong_model(ml_export, work):
    ckpt = fixture(work, "lraspp")
    other = fixture(work, "lraspp_other")
    onnx_path = os.path.join(work, "catch_argmax.onnx")
    export_ok(ml_export, ckpt, onnx_path, "--segmentation_output", "argmax")
    # The same file judged against a model with other weights: class maps differ where the
    # reference is not a near-tie.
    code, doc, err = run(ml_export, "--checkpoint_path", other, "--input_shape", SHAPE,
                         "--validate_only", "--onnx_path", onnx_path, "--segmentation_output", "argmax")
    check(code == 1, f"a wrong model's class map: exit {code} ({err.strip()[-200:]})")
    # And against the right model without the flag: logits expected, a class map found.
    code, doc, err = run(ml_export, "--checkpoint_path", ckpt, "--input_shape", SHAPE,
                         "--validate_only", "--onnx_path", onnx_path)
    check(code == 1, f"logits expected, class map found: exit {code}")
    code, doc, err = run(ml_export, "--checkpoint_path", ckpt, "--input_shape", SHAPE,
                         "--validate_only", "--onnx_path", onnx_path, "--segmentation_output", "argmax")
    check(code == 0, f"the right model's class map: exit {code} ({err.strip()[-200:]})")


def case_regression(ml_export, work):
    doc = export_ok(ml_export, fixture(work, "regression"), os.path.join(work, "reg.onnx"))
    check(doc["task"] == "regression", f"num_outputs in the checkpoint: task {doc.get('task')}")
    elem, dims, props = onnx_output(os.path.join(work, "reg.onnx"))
    check(dims == [1, 3], f"regression output {dims}")
    check(json.loads(props["outputs"])[0]["meaning"] == "predicted values [N, num_outputs]",
          "regression meaning")
    xml_path = os.path.join(work, "reg2.xml")
    doc = export_ok(ml_export, fixture(work, "classifier"), xml_path, "--task", "regression")
    check(doc["task"] == "regression", f"--task regression: task {doc.get('task')}")
    check(openvino_model_info(xml_path).get("model_type") == "Regression", "model_type")


def case_anomaly_padim(ml_export, work):
    ckpt = fixture(work, "padim")  # records input_size 64x48, the size its statistics were fitted at
    for ext in (".onnx", ".xml", ".ts", ".pth"):
        code, doc, err = run(ml_export, "--checkpoint_path", ckpt, "--output_path",
                             os.path.join(work, "padim" + ext))
        check(code == 0 and doc["validation"]["status"] == "PASS",
              f"padim{ext}: exit {code} {err.strip()[-200:]}")
        check(doc["task"] == "anomaly", f"padim{ext}: task {doc.get('task')}")
        shapes = [o["shape"] for o in doc["validation"]["outputs"]]
        check(shapes == [[1, 1, 64, 48], [1]], f"padim{ext}: outputs {shapes}")
    import onnx

    model = onnx.load(os.path.join(work, "padim.onnx"))
    check([o.name for o in model.graph.output] == ["anomaly_map", "pred_score"],
          f"ONNX output names {[o.name for o in model.graph.output]}")
    check(openvino_model_info(os.path.join(work, "padim.xml")).get("model_type") == "AnomalyDetection",
          "OpenVINO model_type")
    # The statistics fix the input size: another one is refused with the model's reason.
    code, doc, err = run(ml_export, "--checkpoint_path", ckpt, "--input_shape", "1,3,64,64",
                         "--output_path", os.path.join(work, "padim_other.onnx"))
    check(code == 2 and "fitted for 192 patches" in doc["error"]["message"],
          f"another input size: exit {code} {doc and doc.get('error')}")


def case_classification_metadata(ml_export, work):
    onnx_path = os.path.join(work, "cls.onnx")
    doc = export_ok(ml_export, fixture(work, "classifier"), onnx_path)
    check(doc["task"] == "classification", f"task {doc.get('task')}")
    _, dims, props = onnx_output(onnx_path)
    check(props.get("task") == "classification" and json.loads(props["class_names"]) == ["ants", "bees"],
          f"classifier metadata {props.get('task')} {props.get('class_names')}")
    # A checkpoint's task in another spelling is read; one that names no task is left aside.
    torch, _ = torch_modules()
    record = torch.load(fixture(work, "classifier"))
    for written, expected in (("Image Classification", "classification"),
                              ("Regression", "regression"), ("pose-estimation", "classification")):
        path = os.path.join(work, "task_spelling.pt")
        torch.save({**record, "task": written}, path)
        code, doc, err = run(ml_export, "--checkpoint_path", path, "--input_shape", SHAPE,
                             "--output_path", os.path.join(work, "task_spelling.onnx"))
        check(code == 0 and doc["task"] == expected,
              f"checkpoint task '{written}': exit {code}, task {doc and doc.get('task')}")
        if expected == "classification" and written.startswith("pose"):
            check("is not one mlexport knows" in err, "no warning for an unknown checkpoint task")


def case_refusals(ml_export, work):
    seg, cls = fixture(work, "lraspp"), fixture(work, "classifier")
    out = os.path.join(work, "refused.onnx")
    cases = [
        ([seg, "--task", "regression"], "does not fit lraspp_mobilenet_v3_large"),
        ([cls, "--task", "segmentation"], "does not fit mobilenet_v3_small"),
        ([cls, "--task", "pose"], "is not a task"),
        ([seg, "--segmentation_output", "softmax"], "must be logits, probabilities, argmax"),
        ([cls, "--segmentation_output", "argmax"], "needs an output of class scores"),
    ]
    for args, message in cases:
        code, doc, err = run(ml_export, "--checkpoint_path", args[0], "--input_shape", SHAPE,
                             "--output_path", out, *args[1:])
        check(code == 2, f"{args[1:]}: exit {code}, expected 2")
        check(message in doc["error"]["message"], f"{args[1:]}: message {doc['error']['message']}")
        check(not os.path.exists(out), f"{args[1:]}: a file was left behind")
    code, doc, err = run(ml_export, "--checkpoint_path", seg, "--input_shape", SHAPE,
                         "--output_path", os.path.join(work, "refused.ts"),
                         "--segmentation_output", "argmax")
    check(code == 2 and "applies to ONNX and OpenVINO" in doc["error"]["message"],
          f"TorchScript with --segmentation_output: exit {code}")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main(argv):
    if len(argv) != 4 or argv[3] not in CASES:
        print(__doc__ + "\ncases: " + ", ".join(CASES), file=sys.stderr)
        return 2
    ml_export, work, case = argv[1], argv[2], argv[3]
    os.makedirs(work, exist_ok=True)
    try:
        CASES[case](ml_export, work)
    except CheckFailed as e:
        print(f"{case}: FAILED: {e}", file=sys.stderr)
        return 1
    print(f"{case}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
