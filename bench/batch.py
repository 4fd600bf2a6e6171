"""Batch export of 20 checkpoints: `ml-export --pattern ... --jobs 2` against a Python loop.

Usage: /usr/bin/python3 bench/batch.py [--count 20] [--model resnet18]
Prints one JSON line; bench/run.py's doc section quotes it.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_models import make_checkpoint  # noqa: E402
from run import ML_EXPORT, PY, ROOT, timed  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--model", default="resnet18")
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    work = os.path.join(ROOT, "build", "bench", "batch")
    os.makedirs(work, exist_ok=True)
    first = os.path.join(work, "run_00", "best.pt")
    if not os.path.exists(first):
        os.makedirs(os.path.dirname(first), exist_ok=True)
        make_checkpoint(a.model, first)
    for k in range(1, a.count):
        path = os.path.join(work, "run_%02d" % k, "best.pt")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy(first, path)
    pattern = os.path.join(work, "*", "best.pt")
    ours = timed([ML_EXPORT, "--pattern", pattern, "--jobs", str(a.jobs), "--no-validate",
                  "--dynamic_axes", "--opset_version", "17"])
    peer = timed([PY, os.path.join(ROOT, "bench", "peer_batch_export.py"), pattern])
    print(json.dumps({"model": a.model, "count": a.count, "jobs": a.jobs, "ours_s": ours[0],
                      "ours_mib": ours[1], "peer_s": peer[0], "peer_mib": peer[1],
                      "ratio": ours[0] / peer[0]}))


if __name__ == "__main__":
    main()
