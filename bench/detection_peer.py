"""torchvision's detectors exported by mlexport and by torch.onnx.export, judged the same way.

    /usr/bin/python3 bench/detection_peer.py --build BUILD [--work DIR] [--doc docs/compatibility.md]
        [--timeout S] [NAME ...]

Each detector is the fixture of tests/models_detection (make_detection_model.py: the wrapper that
returns tensors, random weights made meaningful by measured batch-norm statistics and calibrated
heads, or trained on synthetic shapes for Keypoint and Mask R-CNN; score threshold 0, one
1x3x320x320 synthetic scene). mlexport exports the traced file to
ONNX (the CLI's default opset, 14), to OpenVINO IR, and to ONNX once more with the image's height
and width free (validated at a second height and width too); torch.onnx.export (opset 17)
exports the same nn.Module, rebuilt and given the traced file's tensors, as a user of PyTorch's
exporter would ("torch.onnx.export opset 14" at mlexport's default opset, a tool to ask for).
Every file is then judged by one validation:
`ml-export --validate_only` (the peer's file given with --onnx_path) runs it in ONNX Runtime on the
same inputs as the model and compares detections as sets ("detections matched n/m"). One JSON line
per model and tool goes to WORK/detection_peer.jsonl; --doc rewrites the table between
<!-- detection-peer:begin --> and <!-- detection-peer:end -->.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DETECTION = os.path.join(ROOT, "tests", "models_detection")
sys.path.insert(0, os.path.join(ROOT, "tests", "models_torchvision"))
import tv_check  # noqa: E402  (run_limited, last_error_line)

MODELS = ["fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_resnet50_fpn",
          "retinanet_resnet50_fpn", "ssdlite320_mobilenet_v3_large", "ssd300_vgg16",
          "fcos_resnet50_fpn", "keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"]
MEMORY = 8 * 1024 ** 3
# torch.onnx.export at opset 17, and at mlexport's default opset, 14.
PEER_OPSETS = {"torch.onnx.export": 17, "torch.onnx.export opset 14": 14}
BEGIN, END = "<!-- detection-peer:begin -->", "<!-- detection-peer:end -->"


def export_one(name, fixtures, out, opset):
    """Child process: torch.onnx.export of the fixture's nn.Module."""
    import numpy as np
    import torch
    sys.path.insert(0, DETECTION)
    import make_detection_model
    model = make_detection_model.build(name, weights=False)
    # The traced fixture's own tensors, so both exporters start from identical weights.
    model.load_state_dict(torch.jit.load(os.path.join(fixtures, name, "model.pt")).state_dict())
    image = torch.from_numpy(np.load(os.path.join(fixtures, name, "image.npy")))
    with torch.no_grad():
        torch.onnx.export(model, image, out, opset_version=opset)


def verdict(result, rc, out, err, stopped):
    """Fills status and detections from ml-export --json output."""
    try:
        report = json.loads(out)
    except ValueError:
        report = None
    validation = (report or {}).get("validation") or {}
    if stopped or rc not in (0, 1) or not validation:
        result.update(status="failed", reason=stopped or tv_check.last_error_line(err or out))
        return result
    # The outputs that decided the verdict, and the first unmatched detections.
    worst = [(o["name"], o["status"], o.get("scaled_max_diff")) for o in validation.get("outputs", [])
             if o.get("status") == validation.get("status") != "PASS"][:6]
    result.update(status=validation.get("status"), detections=validation.get("detections", ""),
                  timings={k: round(v, 1) for k, v in report.get("timings", {}).items()},
                  deciding=worst,
                  unmatched=[n for n in validation.get("notes", [])
                             if n.startswith("unmatched")][:3])
    return result


def run_tool(name, tool, args):
    case = os.path.join(args.fixtures, name)
    model, image = os.path.join(case, "model.pt"), os.path.join(case, "image.npy")
    out_dir = os.path.join(args.work, name)
    os.makedirs(out_dir, exist_ok=True)
    result = {"model": name, "tool": tool, "fixture": open(os.path.join(case, "version.txt")).read()}
    cli = os.path.join(args.build, "ml-export")
    if tool.startswith("torch.onnx.export"):
        opset = PEER_OPSETS[tool]
        onnx_path = os.path.join(out_dir, f"peer_opset{opset}.onnx")
        rc, out, err, secs, _, stopped = tv_check.run_limited(
            [tv_check.PYTHON, os.path.abspath(__file__), "--export-one", name,
             "--fixtures", args.fixtures, "--out", onnx_path, "--opset", str(opset)],
            args.timeout, MEMORY)
        result["export_seconds"] = round(secs, 1)
        if rc != 0 or not os.path.exists(onnx_path):
            result.update(status="export-failed",
                          reason=stopped or tv_check.last_error_line(err or out))
            return result
        cmd = [cli, "--checkpoint_path", model, "--onnx_path", onnx_path, "--validate_only",
               "--sample_input", image, "--json"]
    else:
        suffix = "xml" if tool == "mlexport openvino" else "onnx"
        stem = "mlexport_image_size" if tool == "mlexport image size" else "mlexport"
        cmd = [cli, "--checkpoint_path", model, "--sample_input", image, "--json",
               "--output_path", os.path.join(out_dir, stem + "." + suffix)]
        if suffix == "xml":
            cmd += ["--format", "openvino"]
        if tool == "mlexport image size":
            # Height and width free; validation runs a second height and width too.
            cmd += ["--dynamic_axes", "input:2,3"]
    rc, out, err, secs, _, stopped = tv_check.run_limited(cmd, args.timeout, MEMORY)
    if not tool.startswith("torch.onnx.export"):
        result["export_seconds"] = round(secs, 1)
    return verdict(result, rc, out, err, stopped)


def cell(r):
    if r is None:
        return "not run"
    if r["status"] in ("export-failed", "failed"):
        return f"{r['status']}: {r.get('reason', '')}".replace("|", "\\|")[:160]
    return f"{r.get('detections') or 'no detections'} ({r['status']})"


def write_doc(results, doc):
    tools = ["mlexport", "mlexport openvino", "mlexport image size", "torch.onnx.export",
             "torch.onnx.export opset 14"]
    lines = ["| detector | mlexport (ONNX, opset 14) | mlexport (OpenVINO IR) | mlexport (ONNX), "
             "height and width free | torch.onnx.export (opset 17) | torch.onnx.export (opset 14) |",
             "|---|---|---|---|---|---|"]
    for name in MODELS:
        if not any((name, t) in results for t in tools):
            continue
        lines.append(f"| `{name}` | " + " | ".join(cell(results.get((name, t))) for t in tools) +
                     " |")
    text = open(doc).read()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    open(doc, "w").write(text[:start] + "\n" + "\n".join(lines) + "\n" + text[end:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default="/tmp/mlexport-detection-peer")
    ap.add_argument("--fixtures")
    ap.add_argument("--doc")
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--tools",
                    default="mlexport,mlexport openvino,mlexport image size,torch.onnx.export")
    ap.add_argument("--export-one")
    ap.add_argument("--out")
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()
    args.fixtures = args.fixtures or os.path.join(args.build, "tests", "models_detection",
                                                  "fixtures")
    if args.export_one:
        export_one(args.export_one, args.fixtures, args.out, args.opset)
        return 0
    os.makedirs(args.work, exist_ok=True)
    results_path = os.path.join(args.work, "detection_peer.jsonl")
    for name in args.names or ([] if args.doc else MODELS):
        rc, _, err, _, _, _ = tv_check.run_limited(
            [tv_check.PYTHON, os.path.join(DETECTION, "make_detection_model.py"), name,
             args.fixtures], args.timeout, MEMORY)
        for tool in args.tools.split(","):
            result = run_tool(name, tool, args) if rc == 0 else {
                "model": name, "tool": tool, "status": "failed",
                "reason": "fixture: " + tv_check.last_error_line(err)}
            line = json.dumps(result)
            print(line, flush=True)
            with open(results_path, "a") as f:
                f.write(line + "\n")
    if args.doc:
        results = {}
        if os.path.exists(results_path):
            for line in open(results_path):
                if line.strip():
                    r = json.loads(line)
                    results[(r["model"], r["tool"])] = r
        write_doc(results, args.doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
