#!/usr/bin/env bash
# The include check must fail on an edge the architecture does not allow (ir -> core), on an
# include that climbs out of its folder, and on LibTorch in a torch-free module.
set -u
ROOT=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/docs" "$TMP/src/ir" "$TMP/src/passes"
cp "$ROOT/docs/architecture.md" "$TMP/docs/"
printf '#include "core/export_job.h"\n' >"$TMP/src/ir/graph.cpp"
printf '#include "../validate/metrics.h"\n' >"$TMP/src/passes/pipeline.cpp"
printf '#include <torch/script.h>\n' >"$TMP/src/ir/tensor.cpp"
out=$(/usr/bin/python3 "$ROOT/tests/architecture/check_includes.py" "$TMP")
rc=$?
echo "$out"
[ "$rc" -eq 1 ] && grep -q "ir -> core is not an allowed edge" <<<"$out" &&
  grep -q 'pipeline.cpp:1 includes ../validate/metrics.h: no ".."' <<<"$out" &&
  grep -q "tensor.cpp:1 includes LibTorch: ir is not a torch module" <<<"$out"
