"""GPT-style decoder, ml-export vs torch.onnx.export (Debian's Python), side by side in one run.

Usage: /usr/bin/python3 bench/lm_bench.py [--repeats N] [--out docs/benchmarks.md]
The model: token + position embeddings, 6 pre-norm nn.TransformerEncoderLayer blocks (d=512,
8 heads, FFN 2048, tanh GELU) under the causal mask triu(full((n, n), -inf), 1), final
LayerNorm and an LM head over 8000 tokens; seeded weights, traced in eval at [1, 128] int64 ids.
Both tools export the same TorchScript file with a dynamic batch axis, validation off; runs
alternate (ours, peer, ...). Reported: median wall seconds and peak RSS of the whole process,
file size, and median ONNX Runtime latency (onnxruntime-node, 2 threads) at sequence 128.
The section between the lm-bench markers of the output file is replaced.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ML_EXPORT, PY, ROOT, timed  # noqa: E402

BEGIN, END = "<!-- lm-bench:begin -->", "<!-- lm-bench:end -->"
SEQ = 128
PEER = """
import sys, torch
model = torch.jit.load(sys.argv[1]).eval()
ids = torch.randint(0, 8000, (1, %d), dtype=torch.int64)
torch.onnx.export(model, ids, sys.argv[2], opset_version=17, input_names=["input"],
                  output_names=["output"], dynamic_axes={"input": {0: "batch_size"},
                                                         "output": {0: "batch_size"}})
""" % SEQ


def make_model(path):
    import torch
    import torch.nn as nn

    class Gpt(nn.Module):
        def __init__(self, vocab=8000, d=512, heads=8, layers=6, max_len=256):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Embedding(max_len, d)
            self.blocks = nn.ModuleList([
                nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True, norm_first=True,
                                           activation=nn.GELU(approximate="tanh"))
                for _ in range(layers)])
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, vocab)

        def forward(self, ids):
            n = ids.size(1)
            mask = torch.triu(torch.full((n, n), float("-inf")), diagonal=1)
            x = self.tok(ids) + self.pos(torch.arange(n).unsqueeze(0))
            for block in self.blocks:
                x = block(x, src_mask=mask)
            return self.head(self.norm(x))

    torch.manual_seed(0)
    with torch.no_grad():
        model = Gpt().eval()
        ids = torch.randint(0, 8000, (1, SEQ), dtype=torch.int64)
        torch.jit.trace(model, ids, check_trace=False).save(path)


def latency(model):
    import json
    import subprocess
    out = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_latency.js"), model, "1", "20",
                          "int64"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    src = os.path.join(a.work, "gpt_6x512.pt")
    if not os.path.exists(src):
        make_model(src)
    ours_path = os.path.join(a.work, "gpt_6x512.ours.onnx")
    peer_path = os.path.join(a.work, "gpt_6x512.peer.onnx")
    ours_cmd = [ML_EXPORT, "--checkpoint_path", src, "--output_path", ours_path, "--input_shape",
                "1,%d" % SEQ, "--input_dtype", "int64", "--dynamic_axes", "--no-validate"]
    peer_cmd = [PY, "-c", PEER, src, peer_path]
    load = os.getloadavg()[0]
    ours, peer = [], []
    for _ in range(a.repeats):
        ours.append(timed(ours_cmd))
        peer.append(timed(peer_cmd))
    if any(r is None for r in ours + peer):
        sys.exit("an export failed")
    row = {}
    for who, runs, path in (("ml-export", ours, ours_path), ("torch.onnx.export", peer, peer_path)):
        row[who] = (statistics.median(w for w, _ in runs), statistics.median(m for _, m in runs),
                    os.path.getsize(path) / 1e6, latency(path))
    lines = [BEGIN, "", "## GPT-style decoder (6 layers, d=512, 8000 tokens), TorchScript → ONNX", "",
             "`/usr/bin/python3 bench/lm_bench.py --repeats %d` (medians; whole process, validation "
             "off; latency at batch 1, sequence %d, onnxruntime-node, 2 threads; 1-minute load "
             "average %.1f at the start on a %d-core machine)." % (a.repeats, SEQ, load,
                                                                   os.cpu_count() or 0),
             "", "| tool | export s | peak RSS MiB | file MB | ORT latency ms |", "|---|---|---|---|---|"]
    for who, (wall, rss, mb, ms) in row.items():
        lines.append("| %s | %.2f | %.0f | %.1f | %.2f |" % (who, wall, rss, mb, ms))
    lines += ["", END]
    text = open(a.out).read() if os.path.exists(a.out) else ""
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    with open(a.out, "w") as f:
        f.write(text)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
