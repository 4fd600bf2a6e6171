"""Writes the torchvision tier's table into docs/compatibility.md (between the markers
<!-- torchvision-tier:begin --> and <!-- torchvision-tier:end -->), model by model: mlexport
(tests/models_torchvision, results.jsonl) beside torch.onnx.export (bench/torchvision_peer.py,
peer_results.jsonl). The last result of each model and tool wins.

    python3 bench/torchvision_table.py --work BUILD/tests/models_torchvision/tv [--doc docs/compatibility.md]
"""
import argparse
import json
import os

BEGIN, END = "<!-- torchvision-tier:begin -->", "<!-- torchvision-tier:end -->"
HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "tests", "models_torchvision", "models.txt")


def load(path, key_dynamic=False):
    out = {}
    if not os.path.exists(path):
        return out
    for line in open(path):
        line = line.strip()
        if line:
            r = json.loads(line)
            out[r["model"]] = r
    return out


def cell(r):
    if r is None:
        return "not run"
    status = r["status"]
    if status == "pass":
        return f"PASS ({r['scaled_max_diff']:.1e})"
    reason = r.get("reason") or ""
    if "ERROR" in reason:  # drop the log line's time stamp and level
        reason = reason.split("ERROR", 1)[1].lstrip(" |")
    reason = reason.replace("|", "\\|")
    if len(reason) > 150:
        reason = reason[:150] + "…"
    return f"{status}: {reason}" if reason else status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--doc", default=os.path.join(HERE, "..", "docs", "compatibility.md"))
    args = ap.parse_args()
    ours = load(os.path.join(args.work, "results.jsonl"))
    peer = load(os.path.join(args.work, "peer_results.jsonl"))
    rows = ["| model | family | mlexport | torch.onnx.export |", "|---|---|---|---|"]
    counts = {"mlexport": 0, "peer": 0, "run": 0, "mlexport_run": 0, "peer_run": 0}
    for line in open(MODELS):
        name, family = line.split()
        a, b = ours.get(name), peer.get(name)
        if a is None and b is None:
            continue
        counts["run"] += 1
        counts["mlexport_run"] += a is not None
        counts["peer_run"] += b is not None
        counts["mlexport"] += bool(a and a["status"] == "pass")
        counts["peer"] += bool(b and b["status"] == "pass")
        rows.append(f"| {name} | {family} | {cell(a)} | {cell(b)} |")
    summary = (f"{counts['run']} models in this run. mlexport converts {counts['mlexport']} of "
               f"{counts['mlexport_run']} correctly, torch.onnx.export {counts['peer']} of "
               f"{counts['peer_run']}; every other row says why (a memory budget, an error).")
    block = "\n".join([BEGIN, summary, "", *rows, END])
    text = open(args.doc).read()
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(args.doc, "w").write(text)
    print(summary)


if __name__ == "__main__":
    main()
