#!/usr/bin/python3
"""Runs every row of cases.tsv (the bad-input table) and checks: the exit code; exactly one error
line on stderr (a "did you mean" hint may follow), holding the row's message; no stack trace or
crash; nothing left in the row's output folder; the pickle canary never created.

  run_cases.py --cli ML_EXPORT --api RELIABILITY_API --bad FIXTURES --work DIR [ID...]
  run_cases.py --doc docs/reliability.md [--write]   check (or rewrite) the table in the doc
"""
import argparse
import concurrent.futures
import os
import pathlib
import re
import resource
import shlex
import signal
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
CASES = HERE / "cases.tsv"
ERROR_LINE = re.compile(r"ERROR|error:")
HINT_LINE = re.compile(r"^did you mean ")
CRASH = re.compile(r"terminate called|Exception raised from|frame #\d|Traceback|Aborted|"
                   r"Segmentation fault|AddressSanitizer|runtime error:|UNEXPECTED|c10::|std::")
FSIZE_LIMIT = 64 * 1024
BEGIN, END = "<!-- cases:begin -->", "<!-- cases:end -->"


def read_cases():
    lines = [l for l in CASES.read_text().splitlines() if l and not l.startswith("#")]
    header = lines[0].split("\t")
    rows = [dict(zip(header, l.split("\t"))) for l in lines[1:]]
    for r in rows:
        assert len(r) == len(header), f"malformed row: {r}"
    return rows


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))


def run_row(row, opts):
    out = pathlib.Path(opts.work) / row["id"]
    subprocess.run(["rm", "-rf", str(out)], check=True)
    out.mkdir(parents=True)
    args = shlex.split(row["args"].replace("{bad}", opts.bad).replace("{out}", str(out)))
    cmd = [opts.cli if row["surface"] == "cli" else opts.api] + args
    mode, preexec = row["mode"], None
    if mode == "nobody":
        out.chmod(0o555)
        if os.geteuid() == 0:  # root writes anywhere: drop to nobody
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    elif mode == "fsize":
        preexec = limit_file_size  # SIGXFSZ is back to its default in the child
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            errors="replace", preexec_fn=preexec, cwd=opts.work)
    if mode == "sigterm":
        deadline = time.time() + 120
        while proc.poll() is None and not any(out.iterdir()) and time.time() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGTERM)
    try:
        stdout, stderr = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    seconds = time.time() - start
    out.chmod(0o755)
    problems = []
    if proc.returncode != int(row["exit"]):
        problems.append(f"exit code {proc.returncode}, expected {row['exit']}")
    lines = [l for l in stderr.splitlines() if l.strip()]
    errors = [l for l in lines if ERROR_LINE.search(l)]
    others = [l for l in lines if not ERROR_LINE.search(l) and not HINT_LINE.match(l)]
    if len(errors) != 1 or others:
        problems.append(f"stderr is not exactly one error line: {lines[:5]}")
    elif row["message"] not in errors[0]:
        problems.append(f"the error line lacks {row['message']!r}: {errors[0]}")
    if CRASH.search(stdout + stderr):
        problems.append("a crash or stack trace: " + CRASH.search(stdout + stderr).group(0))
    left = sorted(p.name for p in out.iterdir())
    if left:
        problems.append(f"partial output left: {left}")
    if (pathlib.Path(opts.bad) / "CANARY").exists():
        problems.append("the pickle payload ran (CANARY exists)")
    return row, cmd, proc.returncode, stderr, problems, seconds


def run_all(opts):
    rows = [r for r in read_cases() if not opts.ids or r["id"] in opts.ids]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        for row, cmd, code, stderr, problems, seconds in pool.map(lambda r: run_row(r, opts), rows):
            status = "FAIL" if problems else "ok"
            print(f"{status:4} {row['id']} (exit {code}, {seconds:.1f} s)")
            if problems:
                failed += 1
                print("     $ " + " ".join(shlex.quote(c) for c in cmd))
                for p in problems:
                    print("     " + p)
                for l in stderr.splitlines()[-5:]:
                    print("     | " + l)
    print(f"{len(rows) - failed}/{len(rows)} cases as the table says")
    return 1 if failed else 0


def doc_table():
    esc = lambda s: s.replace("|", "\\|")
    out = ["| # | id | surface | bad input | expected message (part) | exit | partial output |",
           "|---|---|---|---|---|---|---|"]
    for k, r in enumerate(read_cases(), 1):
        out.append(f"| {k} | `{r['id']}` | {r['surface']} | {esc(r['case'])} | "
                   f"`{esc(r['message'])}` | {r['exit']} | none |")
    return "\n".join(out)


def check_doc(path, write):
    text = pathlib.Path(path).read_text()
    if BEGIN not in text or END not in text:
        print(f"{path} lacks the {BEGIN} ... {END} markers")
        return 1
    head, rest = text.split(BEGIN, 1)
    body, tail = rest.split(END, 1)
    wanted = "\n" + doc_table() + "\n"
    if body == wanted:
        print(f"{path}: the table matches cases.tsv")
        return 0
    if write:
        pathlib.Path(path).write_text(head + BEGIN + wanted + END + tail)
        print(f"{path}: table rewritten from cases.tsv")
        return 0
    print(f"{path}: the table differs from cases.tsv; run "
          f"tests/reliability/run_cases.py --doc {path} --write")
    return 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli")
    ap.add_argument("--api")
    ap.add_argument("--bad")
    ap.add_argument("--work")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--doc")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("ids", nargs="*")
    opts = ap.parse_args()
    if opts.doc:
        return check_doc(opts.doc, opts.write)
    for key in ("cli", "api", "bad", "work"):
        setattr(opts, key, os.path.abspath(getattr(opts, key)))
    os.makedirs(opts.work, exist_ok=True)
    return run_all(opts)


if __name__ == "__main__":
    sys.exit(main())
