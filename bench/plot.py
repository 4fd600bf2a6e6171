#!/usr/bin/env python3
"""Wall time per model, ours vs torch.onnx.export, from bench/run.py's results.json -> PNG.

  /usr/bin/python3 bench/plot.py [--results build/bench/results.json] [--out docs/benchmarks_wall_time.png]

bench/run.py calls it after measuring; Debian's python3-matplotlib draws it (scripts/setup.sh).
"""
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")  # no display
import matplotlib.pyplot as plt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bars(ax, rows, ours_key, peer_key, title):
    names = [r["model"] for r in rows]
    ours = [r.get(ours_key) or 0 for r in rows]
    peer = [r.get(peer_key) or 0 for r in rows]
    x = range(len(names))
    w = 0.38
    ax.bar([i - w / 2 for i in x], ours, w, label="mlexport (C++)", color="#2a7ab0")
    ax.bar([i + w / 2 for i in x], peer, w, label="torch.onnx.export (Python)", color="#c8553d")
    for i, (o, p) in enumerate(zip(ours, peer)):
        label = f"{o / p:.2f}×" if p else "peer fails"
        ax.text(i, max(o, p) * 1.02 + 0.05, label, ha="center", fontsize=8)
    ax.set_ylim(0, max(ours + peer) * 1.15)
    ax.set_xticks(list(x))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("wall time, whole process (s)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default=os.path.join(ROOT, "build", "bench", "results.json"))
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks_wall_time.png"))
    a = p.parse_args()
    rows = json.load(open(a.results))["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    bars(axes[0], rows, "ours_s", "peer_s", "TorchScript → ONNX (validation off)")
    bars(axes[1], rows, "ckpt_ours_s", "ckpt_peer_s", "checkpoint → ONNX (validation off)")
    fig.tight_layout()
    fig.savefig(a.out, dpi=110)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
