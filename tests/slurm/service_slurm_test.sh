#!/usr/bin/env bash
# mlexport-server --executor slurm on a one-node Slurm cluster started here: an export through the
# API runs as a Slurm job, completes into the storage layout and downloads with its SHA-256; a
# second export cancelled through the API is cancelled in Slurm (scontrol shows CANCELLED) and
# marked cancelled.
#
# Environment: MLEXPORT_BUILD (build folder), MLEXPORT_SOURCE, WORK (scratch folder).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:?}
rm -rf "$work"
mkdir -p "$work"
cluster="$work/cluster"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  bash "$here/cluster.sh" stop "$cluster"
}
trap cleanup EXIT
bash "$here/cluster.sh" start "$cluster" || exit 1
export SLURM_CONF="$cluster/slurm.conf"
fail() { echo "FAIL: $*"; [ -f "$work/server.log" ] && tail -n 20 "$work/server.log"; exit 1; }

bash "$MLEXPORT_SOURCE/apps/mlexport-server/make_demo_workspace.sh" "$MLEXPORT_BUILD" \
  "$work/ws" --small >/dev/null || fail "demo workspace"
"$MLEXPORT_BUILD/mlexport-server" --workspace "$work/ws" --port 0 --workers 2 \
  --executor slurm >"$work/server.log" 2>&1 &
server_pid=$!
base=""
for _ in $(seq 100); do
  base=$(grep -o 'http://[0-9.]*:[0-9]*' "$work/server.log" | head -n 1)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || fail "server did not start"
echo "server at $base (executor slurm)"

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
post() {
  curl -sf -X POST "$base/api/projects/defect-inspection/exports" -H 'Content-Type: application/json' -d "$1"
}
wait_final() {  # wait_final ID: prints the final status
  local status=""
  for _ in $(seq 600); do
    status=$(curl -sf "$base/api/export/$1" | field '["status"]')
    case "$status" in completed|failed|cancelled) echo "$status"; return 0 ;; esac
    sleep 0.5
  done
  echo "timeout($status)"
}

# 1. An export as a Slurm job, downloaded.
record=$(post '{"experiment_id": "exp-tiny-net", "checkpoint": "best", "format": "onnx", "options": {"opset_version": 17}}') \
  || fail "POST export"
id=$(echo "$record" | field '["id"]')
status=$(wait_final "$id")
[ "$status" = "completed" ] || fail "export $id ended $status: $(curl -s "$base/api/export/$id")"
full=$(curl -sf "$base/api/export/$id")
[ "$(echo "$full" | field '["executor"]["name"]')" = "slurm" ] || fail "record does not name the slurm executor"
job=$(echo "$full" | field '["executor"]["handle"]')
scontrol show job "$job" | grep -q 'JobState=COMPLETED' || fail "Slurm job $job is not COMPLETED"
[ "$(echo "$full" | field '["validation"]["passed"]')" = "True" ] || fail "validation did not pass"
[ -f "$work/ws/projects/defect-inspection/exports/$id/export.json" ] || fail "no $id/export.json in the storage layout"
grep -q "\"$id\"" "$work/ws/projects/defect-inspection/exports/exports_index.json" || fail "$id not in exports_index.json"
curl -sf -o "$work/model.onnx" "$base/api/export/$id/download" || fail "download"
want=$(echo "$full" | field '["output_sha256"]')
got=$(sha256sum "$work/model.onnx" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "downloaded SHA-256 $got, record says $want"
echo "export $id: Slurm job $job COMPLETED, downloaded $(stat -c %s "$work/model.onnx") bytes, SHA-256 matches"

# 2. A cancelled export: the Slurm job is cancelled and the record says so.
record=$(post '{"experiment_id": "exp-simple-cnn", "checkpoint": "last", "format": "openvino", "force": true}') \
  || fail "POST second export"
id2=$(echo "$record" | field '["id"]')
job2=""
for _ in $(seq 100); do
  job2=$(curl -sf "$base/api/export/$id2" | python3 -c "import json,sys; print(json.load(sys.stdin).get('executor', {}).get('handle', ''))")
  [ -n "$job2" ] && break
  sleep 0.1
done
[ -n "$job2" ] || fail "export $id2 was never submitted to Slurm"
code=$(curl -s -o "$work/cancel.json" -w '%{http_code}' -X POST -d '' "$base/api/export/$id2/cancel")
[ "$code" = "200" ] || fail "cancel answered $code: $(cat "$work/cancel.json")"
status=$(wait_final "$id2")
[ "$status" = "cancelled" ] || fail "cancelled export ended $status"
for _ in $(seq 50); do
  scontrol show job "$job2" | grep -q 'JobState=CANCELLED' && break
  sleep 0.2
done
scontrol show job "$job2" | grep -q 'JobState=CANCELLED' || fail "Slurm job $job2 is not CANCELLED: $(scontrol show job "$job2" | grep -o 'JobState=[A-Z]*')"
echo "export $id2: cancelled through the API, Slurm job $job2 CANCELLED"
echo "1 passed, 0 failed"
