#!/usr/bin/env python3
"""Compatibility matrix: every zoo architecture, from a checkpoint, to every available format.

For each architecture, build/mlexport-demo writes a checkpoint in the export guide's form (seeded
weights, random BatchNorm statistics); `ml-export --json` then exports it to each available format
(from `ml-export --list_formats --json`) with validation on, and the verdict, max difference, file
size and export time are collected. The table replaces the section between the markers in
docs/compatibility.md.

  python3 bench/compat_matrix.py                      # every architecture (slow: ~20-30 min)
  python3 bench/compat_matrix.py --models resnet18 simple_cnn --check   # subset, exit 1 on FAIL

Needs no torch: only the project's own binaries.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCHITECTURES = [
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
    "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large",
    "vgg11", "vgg13", "vgg16", "vgg19",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "vit_b_16", "vit_b_32", "vit_l_16",
    "convnext_tiny", "convnext_small", "convnext_base",
    "simple_cnn", "tiny_net",
    "fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50", "deeplabv3_resnet101",
    "deeplabv3_mobilenet_v3_large", "lraspp_mobilenet_v3_large",
]
# The segmentation models' checkpoints record torchvision's 520x520; the matrix exports them at
# 128x128 (a [N, classes, 128, 128] output) to keep `make compat` within minutes.
SEGMENTATION_INPUT = "1,3,128,128"
BEGIN = "<!-- compat-matrix:begin -->"
END = "<!-- compat-matrix:end -->"


def is_segmentation(arch):
    return arch.startswith(("fcn_", "deeplabv3_", "lraspp_"))


def available_formats(ml_export):
    out = subprocess.run([ml_export, "--list_formats", "--json"], check=True,
                         capture_output=True, text=True).stdout
    return [f for f in json.loads(out) if f["available"]]


def export(ml_export, checkpoint, output, extra):
    start = time.monotonic()
    proc = subprocess.run([ml_export, "--checkpoint_path", checkpoint, "--output_path", output,
                           "--json", "--dynamic_axes"] + extra,
                          capture_output=True, text=True)
    seconds = time.monotonic() - start
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        lines = [l for l in proc.stderr.splitlines() if "ERROR" in l or "error" in l]
        return {"status": "ERROR", "error": lines[-1] if lines else f"exit {proc.returncode}",
                "seconds": seconds}
    v = doc.get("validation", {})
    size = doc.get("file_size", 0)
    return {"status": v.get("status", "?"), "max_diff": v.get("max_diff"),
            "scaled": v.get("scaled_max_diff"), "bytes": size, "seconds": seconds,
            "method": v.get("method", "")}


def cell(r):
    if r["status"] == "ERROR":
        return "ERROR"
    diff = r["max_diff"]
    text = r["status"] + (f" {diff:.1e}" if diff is not None else "")
    return text + f" · {r['bytes'] / 1e6:.1f} MB · {r['seconds']:.1f} s"


def render(rows, formats, command):
    names = [f["name"] for f in formats]
    lines = [BEGIN, "",
             f"Made by `{command}` on {datetime.date.today().isoformat()} "
             f"({os.cpu_count()} cores). Each cell: verdict, max difference against the C++ eager "
             "model, file size, whole-process export time including validation. Checkpoints are "
             "written by `build/mlexport-demo` (seeded weights, random BatchNorm statistics); every "
             "export uses `--dynamic_axes` and is validated at two batch sizes.", "",
             "| architecture | input | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for arch, input_size, results in rows:
        lines.append(f"| {arch} | {input_size} | " + " | ".join(cell(results[n]) for n in names) + " |")
    errors = [(a, n, r["error"]) for a, _, res in rows for n, r in res.items() if r["status"] == "ERROR"]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {a} → {n}: {e}" for a, n, e in errors]
    methods = {}
    for arch, _, res in rows:
        for n, r in res.items():
            if r.get("method"):
                methods.setdefault(n, r["method"].replace(arch, "the architecture"))
    lines += ["", "How each format is validated:", ""]
    lines += [f"- **{n}**: {methods[n]}" for n in names if n in methods]
    lines += ["", END]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", default=ARCHITECTURES)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--doc", default=os.path.join(ROOT, "docs", "compatibility.md"))
    p.add_argument("--check", action="store_true", help="exit 1 unless every cell passes")
    p.add_argument("--no-doc", action="store_true", help="print the table, leave the doc alone")
    args = p.parse_args()
    ml_export = os.path.join(args.build, "ml-export")
    demo = os.path.join(args.build, "mlexport-demo")
    formats = available_formats(ml_export)
    rows = []
    with tempfile.TemporaryDirectory(prefix="mlexport-compat-") as tmp:
        for arch in args.models:
            checkpoint = os.path.join(tmp, arch + ".pt")
            subprocess.run([demo, checkpoint, arch, "10"], check=True, capture_output=True)
            results = {}
            for f in formats:
                out = os.path.join(tmp, arch + "_" + f["name"] + f["extensions"][0])
                extra = ["--input_shape", SEGMENTATION_INPUT] if is_segmentation(arch) else []
                results[f["name"]] = export(ml_export, checkpoint, out, extra)
                print(f"{arch:20s} {f['name']:12s} {cell(results[f['name']])}", flush=True)
                for leftover in os.listdir(tmp):
                    if leftover.startswith(arch + "_"):
                        os.remove(os.path.join(tmp, leftover))
            size = ("64×64" if arch in ("simple_cnn", "tiny_net")
                    else "128×128" if is_segmentation(arch) else "224×224")
            rows.append((arch, size, results))
            os.remove(checkpoint)
    command = "python3 bench/compat_matrix.py" + (
        "" if args.models == ARCHITECTURES else " --models " + " ".join(args.models))
    table = render(rows, formats, command)
    if args.no_doc:
        print(table)
    else:
        text = open(args.doc).read()
        if BEGIN in text and END in text:
            text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
        else:
            text = text.rstrip() + "\n\n## Checkpoint → every format\n\n" + table + "\n"
        open(args.doc, "w").write(text)
        print("wrote", args.doc)
    bad = [(a, n) for a, _, res in rows for n, r in res.items() if r["status"] not in ("PASS", "WARN")]
    if args.check and bad:
        print("not passing:", bad)
        sys.exit(1)


if __name__ == "__main__":
    main()
