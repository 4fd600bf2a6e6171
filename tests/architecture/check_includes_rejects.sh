#!/usr/bin/env bash
# The include check must fail on an edge the architecture does not allow: ir -> core here.
set -u
ROOT=$1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/docs" "$TMP/src/ir"
cp "$ROOT/docs/architecture.md" "$TMP/docs/"
printf '#include "core/export_job.h"\n' >"$TMP/src/ir/graph.cpp"
out=$(/usr/bin/python3 "$ROOT/tests/architecture/check_includes.py" "$TMP")
rc=$?
echo "$out"
[ "$rc" -eq 1 ] && grep -q "ir -> core is not an allowed edge" <<<"$out"
