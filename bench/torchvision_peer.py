"""The Python peer on the torchvision tier: torch.onnx.export (opset 17) of the same models, run in
ONNX Runtime (tools/ort-runner) and compared with the same eager outputs as tests/models_torchvision.

    /usr/bin/python3 bench/torchvision_peer.py --work BUILD/tests/models_torchvision/tv
        [--results FILE] [--timeout S] [NAME ...]

Uses the tier's fixtures (written by tv_models.py on demand, cached in --work): the model is
rebuilt with the same seeds (so the same weights) and exported from the nn.Module, as a user of
torch.onnx.export would. One JSON line per model, appended to --results (default
WORK/peer_results.jsonl). Models the tier skips for memory are skipped here too.
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TIER = os.path.join(ROOT, "tests", "models_torchvision")
sys.path.insert(0, TIER)
import tv_check  # noqa: E402


def export_one(name, work):
    """Child process: torch.onnx.export of NAME into WORK/NAME/peer.onnx."""
    import torch
    import tv_models
    case = json.load(open(os.path.join(work, name, "case.json")))
    model = tv_models.build(name, case["family"])
    inputs = tuple(torch.from_numpy(np.load(os.path.join(work, name, f"input_{k}.npy")))
                   for k in range(len(case["inputs"])))
    with torch.no_grad():
        torch.onnx.export(model, inputs, os.path.join(work, name, "peer.onnx"), opset_version=17)


def check(name, args):
    result = {"model": name, "tool": "torch.onnx.export"}
    case_dir = os.path.join(args.work, name)
    if not os.path.exists(os.path.join(case_dir, "case.json")):
        rc, out, err, _, _, stopped = tv_check.run_limited(
            [tv_check.PYTHON, os.path.join(TIER, "tv_models.py"), "fixture", name, args.work],
            args.timeout, tv_check.PEER_RSS_LIMIT)
        if rc != 0:
            result.update(status="fixture-failed",
                          reason=stopped or tv_check.last_error_line(err or out))
            return result
    case = json.load(open(os.path.join(case_dir, "case.json")))
    result["family"] = case["family"]
    if "skip" in case:
        result.update(status="skipped", reason=case["skip"])
        return result
    onnx_path = os.path.join(case_dir, "peer.onnx")
    if os.path.exists(onnx_path):
        os.remove(onnx_path)
    rc, out, err, secs, peak, stopped = tv_check.run_limited(
        [tv_check.PYTHON, os.path.abspath(__file__), "--export-one", name, "--work", args.work],
        args.timeout, tv_check.PEER_RSS_LIMIT)
    result["export_seconds"] = round(secs, 1)
    result["peak_rss_mb"] = round(peak / 1024 ** 2)
    if rc != 0 or not os.path.exists(onnx_path):
        result.update(status="export-failed",
                      reason=stopped or tv_check.last_error_line(err or out))
        return result
    in_dir, out_dir = os.path.join(case_dir, "peer_in"), os.path.join(case_dir, "peer_out")
    os.makedirs(in_dir, exist_ok=True)
    for k in range(len(case["inputs"])):
        np.save(os.path.join(in_dir, f"{k}.npy"), np.load(os.path.join(case_dir, f"input_{k}.npy")))
    rc, out, err, _, _, stopped = tv_check.run_limited(
        ["node", os.path.join(ROOT, "tools", "ort-runner", "run.js"), "--model", onnx_path,
         "--inputs", in_dir, "--outputs", out_dir], args.timeout, tv_check.PEER_RSS_LIMIT)
    os.remove(onnx_path)
    if rc != 0:
        result.update(status="runtime-failed",
                      reason=stopped or tv_check.last_error_line(err or out))
        return result
    worst = 0.0
    for k in range(case["outputs"]):
        want = np.load(os.path.join(case_dir, f"expected_{k}.npy"))
        got = np.load(os.path.join(out_dir, f"{k}.npy"))
        worst = max(worst, tv_check.scaled_max_diff(want, got))
    result["scaled_max_diff"] = worst
    ok = worst <= tv_check.SCALED_TOLERANCE
    result.update(status="pass" if ok else "wrong-output",
                  reason="" if ok else f"scaled max diff {worst:.3g}")
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="*")
    ap.add_argument("--work", required=True)
    ap.add_argument("--results")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--export-one")
    args = ap.parse_args()
    if args.export_one:
        export_one(args.export_one, args.work)
        return 0
    names = args.names or [l.split()[0] for l in open(os.path.join(TIER, "models.txt"))]
    results = args.results or os.path.join(args.work, "peer_results.jsonl")
    os.makedirs(args.work, exist_ok=True)
    for name in names:
        line = json.dumps(check(name, args))
        print(line, flush=True)
        with open(results, "a") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
