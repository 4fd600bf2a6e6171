#!/usr/bin/python3
"""Fails when an #include crosses modules in a way docs/architecture.md does not allow.

The build already fails on an include of a module that is not linked (each library's headers come
only through its own include root); this adds what the build cannot see: whether a link is an
allowed edge at all, includes that climb out of their folder ("../") past the include roots, and
LibTorch headers (installed in /usr/include, so on every target's path) outside the torch modules.

usage: check_includes.py REPO_ROOT
"""
import os
import re
import sys

ROOT = sys.argv[1]


def module_of(path):
    """The module a repository path belongs to (None outside src/, apps/, include/)."""
    parts = path.split("/")
    if parts[0] == "include":
        return "public"
    if parts[0] == "apps" and len(parts) > 2:
        return "apps/" + parts[1]
    if parts[0] == "src" and len(parts) > 2:
        if parts[1] in ("frontend", "emit", "runtime"):
            return parts[1] + "/" + parts[2] if len(parts) > 3 else parts[1]
        return parts[1]
    return None


def allowed_edges():
    text = open(os.path.join(ROOT, "docs", "architecture.md")).read()
    block = re.search(r"```allowed-includes\n(.*?)```", text, re.S)
    if not block:
        sys.exit("docs/architecture.md has no allowed-includes block")
    allowed = {}
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        source, _, targets = line.partition("->")
        allowed[source.strip()] = {t.replace("(debt)", "") for t in targets.split()}
    return allowed


def torch_modules():
    text = open(os.path.join(ROOT, "docs", "architecture.md")).read()
    block = re.search(r"```torch-modules\n(.*?)```", text, re.S)
    if not block:
        sys.exit("docs/architecture.md has no torch-modules block")
    return set(block.group(1).split())


TORCH_INCLUDE = re.compile(r"\s*#\s*include\s+<(torch|ATen|c10|caffe2)/")


def main():
    allowed = allowed_edges()
    with_torch = torch_modules()
    problems = []
    for top in ("src", "apps", "include"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), ROOT)
                source = module_of(path)
                if source is None:
                    continue
                if source not in allowed:
                    problems.append("%s: module %s is not in docs/architecture.md" % (path, source))
                    continue
                for n, line in enumerate(open(os.path.join(ROOT, path), errors="replace"), 1):
                    if TORCH_INCLUDE.match(line) and source not in with_torch:
                        problems.append("%s:%d includes LibTorch: %s is not a torch module" %
                                        (path, n, source))
                        continue
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if m and ".." in m.group(1).split("/"):
                        problems.append("%s:%d includes %s: no \"..\" in includes (the include "
                                        "roots decide what a module sees)" % (path, n, m.group(1)))
                        continue
                    if not m or "/" not in m.group(1):
                        continue  # a header beside the file
                    target = m.group(1)
                    target_module = "public" if target.startswith("mlexport/") else module_of(
                        "src/" + target)
                    if target_module in (None, source) or target_module in allowed[source]:
                        continue
                    problems.append("%s:%d includes %s: %s -> %s is not an allowed edge" %
                                    (path, n, target, source, target_module))
    for p in problems:
        print(p)
    print("%d include problem(s)" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
