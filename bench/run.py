"""Side-by-side benchmark of ml-export against torch.onnx.export (Debian's Python), one run.

Usage: /usr/bin/python3 bench/run.py [--repeats N] [--models a,b] [--out docs/benchmarks.md]
Both tools export the same TorchScript file with dynamic batch axes, validation off. Runs
alternate (ours, peer, ours, peer, ...) and the medians are compared as ratios.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ML_EXPORT = os.path.join(ROOT, "build", "ml-export")
PY = "/usr/bin/python3"


def timed(cmd):
    """Wall seconds and peak RSS (MiB) of one process, from GNU time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", t.name] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, rss = t.read().split()[-2:]
    return float(wall), int(rss) / 1024.0


def latency(model, batch):
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_latency.js"), model, str(batch),
                          "20"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def max_diff(model_pt, onnx_path):
    out = subprocess.run([ML_EXPORT, "--checkpoint_path", model_pt, "--onnx_path", onnx_path,
                          "--validate_only", "--json", "--input_shape", "1,3,224,224"],
                         capture_output=True, text=True).stdout
    v = json.loads(out)["validation"]
    return v["max_diff"], v["scaled_max_diff"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--models", default="resnet18,resnet50,mobilenet_v3_large,efficientnet_b0,"
                                        "densenet121,vit_b_16,convnext_tiny")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    a = p.parse_args()
    names = a.models.split(",")
    os.makedirs(a.work, exist_ok=True)
    subprocess.run([PY, os.path.join(ROOT, "bench", "make_models.py"), a.work] + names, check=True)

    rows = []
    for name in names:
        src = os.path.join(a.work, name + ".pt")
        ours_onnx = os.path.join(a.work, name + ".ours.onnx")
        peer_onnx = os.path.join(a.work, name + ".peer.onnx")
        ours_cmd = [ML_EXPORT, "--checkpoint_path", src, "--output_path", ours_onnx,
                    "--input_shape", "1,3,224,224", "--dynamic_axes", "--no-validate"]
        peer_cmd = [PY, os.path.join(ROOT, "bench", "peer_export.py"), src, peer_onnx, "--dynamic"]
        ours, peer = [], []
        for _ in range(a.repeats):
            ours.append(timed(ours_cmd))
            peer.append(timed(peer_cmd))
        row = {"model": name}
        row["ours_s"] = statistics.median(w for w, _ in ours)
        row["peer_s"] = statistics.median(w for w, _ in peer)
        row["ours_mib"] = statistics.median(m for _, m in ours)
        row["peer_mib"] = statistics.median(m for _, m in peer)
        row["ours_bytes"] = os.path.getsize(ours_onnx)
        row["peer_bytes"] = os.path.getsize(peer_onnx)
        row["ours_nodes"] = len(onnx.load(ours_onnx, load_external_data=False).graph.node)
        row["peer_nodes"] = len(onnx.load(peer_onnx, load_external_data=False).graph.node)
        for batch in (1, 8):
            row[f"ours_ms_b{batch}"] = latency(ours_onnx, batch)
            row[f"peer_ms_b{batch}"] = latency(peer_onnx, batch)
        row["ours_diff"], row["ours_scaled"] = max_diff(src, ours_onnx)
        row["peer_diff"], row["peer_scaled"] = max_diff(src, peer_onnx)
        # Checkpoint (state dict + architecture name) -> ONNX.
        ckpt = os.path.join(a.work, name + ".ckpt.pt")
        ours_cmd = [ML_EXPORT, "--checkpoint_path", ckpt, "--output_path",
                    os.path.join(a.work, name + ".ckpt.ours.onnx"), "--dynamic_axes",
                    "--no-validate"]
        peer_cmd = [PY, os.path.join(ROOT, "bench", "peer_checkpoint_export.py"), ckpt,
                    os.path.join(a.work, name + ".ckpt.peer.onnx")]
        ours, peer = [], []
        for _ in range(a.repeats):
            ours.append(timed(ours_cmd))
            peer.append(timed(peer_cmd))
        row["ckpt_ours_s"] = statistics.median(w for w, _ in ours)
        row["ckpt_peer_s"] = statistics.median(w for w, _ in peer)
        row["ckpt_ours_mib"] = statistics.median(m for _, m in ours)
        row["ckpt_peer_mib"] = statistics.median(m for _, m in peer)
        rows.append(row)
        print(json.dumps(row), flush=True)

    # Floors: copying the bytes, and starting a process that links LibTorch.
    src = os.path.join(a.work, names[0] + ".pt")
    copy_s = statistics.median(timed(["cp", src, os.path.join(a.work, "copy.bin")])[0]
                               for _ in range(a.repeats))
    start_s, start_mib = timed([ML_EXPORT, "--help"])
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump({"rows": rows, "copy_s": copy_s, "start_s": start_s, "start_mib": start_mib}, f,
                  indent=1)
    write_doc(a, rows, copy_s, start_s, start_mib)


def write_doc(a, rows, copy_s, start_s, start_mib):
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    L = []
    L.append("# Benchmarks\n")
    L.append("Produced by `/usr/bin/python3 bench/run.py --repeats %d` (after `make build`). "
             "Peer: `torch.onnx.export` in Debian's Python (torch 1.13), exporting the same "
             "TorchScript file at the same opset (17) with the same dynamic batch axis. Runs "
             "alternate ours/peer; figures are medians; ratios are ours ÷ peer (lower is better "
             "for time, memory, size and latency).\n" % a.repeats)
    L.append("Machine: %s, %d cores, %.0f GiB memory, %s.\n" %
             (cpu, os.cpu_count(), mem_gib, platform.platform()))
    L.append("## Export (whole process, TorchScript → ONNX, validation off)\n")
    L.append("| model | ours s | peer s | time ratio | ours MiB | peer MiB | RSS ratio | "
             "ours MB | peer MB | ours nodes | peer nodes |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        L.append("| %s | %.2f | %.2f | **%.2f** | %.0f | %.0f | **%.2f** | %.1f | %.1f | %d | %d |" %
                 (r["model"], r["ours_s"], r["peer_s"], r["ours_s"] / r["peer_s"], r["ours_mib"],
                  r["peer_mib"], r["ours_mib"] / r["peer_mib"], r["ours_bytes"] / 1e6,
                  r["peer_bytes"] / 1e6, r["ours_nodes"], r["peer_nodes"]))
    L.append("\n## Export from a checkpoint (state dict + architecture name → ONNX, validation off)\n")
    L.append("Peer: torchvision model + `load_state_dict` + `torch.onnx.export`. Ours: the C++ zoo "
             "model traced in C++ and converted by the same importer.\n")
    L.append("| model | ours s | peer s | time ratio | ours MiB | peer MiB | RSS ratio |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rows:
        L.append("| %s | %.2f | %.2f | **%.2f** | %.0f | %.0f | **%.2f** |" %
                 (r["model"], r["ckpt_ours_s"], r["ckpt_peer_s"], r["ckpt_ours_s"] / r["ckpt_peer_s"],
                  r["ckpt_ours_mib"], r["ckpt_peer_mib"], r["ckpt_ours_mib"] / r["ckpt_peer_mib"]))
    L.append("\n## ONNX Runtime latency of the exported files (onnxruntime-node 1.30, 2 threads)\n")
    L.append("| model | ours b1 ms | peer b1 ms | ratio b1 | ours b8 ms | peer b8 ms | ratio b8 |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rows:
        L.append("| %s | %.1f | %.1f | **%.2f** | %.1f | %.1f | **%.2f** |" %
                 (r["model"], r["ours_ms_b1"], r["peer_ms_b1"], r["ours_ms_b1"] / r["peer_ms_b1"],
                  r["ours_ms_b8"], r["peer_ms_b8"], r["ours_ms_b8"] / r["peer_ms_b8"]))
    L.append("\n## Accuracy against eager PyTorch (LibTorch), seeded random input\n")
    L.append("| model | ours max diff | ours scaled | peer max diff | peer scaled |")
    L.append("|---|---|---|---|---|")
    for r in rows:
        L.append("| %s | %.2e | %.2e | %.2e | %.2e |" % (r["model"], r["ours_diff"],
                 r["ours_scaled"], r["peer_diff"], r["peer_scaled"]))
    L.append("\n## Floors\n")
    L.append("- Copying the %s TorchScript file (read + write the bytes): %.2f s." %
             (rows[0]["model"], copy_s))
    L.append("- Starting `ml-export` (links LibTorch, prints help): %.2f s, %.0f MiB." %
             (start_s, start_mib))
    with open(a.out, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    sys.exit(main())
