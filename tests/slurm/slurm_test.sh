#!/usr/bin/env bash
# Batch export on a real one-node Slurm cluster (started here, stopped on exit):
# a 3-task array exports 12 checkpoints, each exactly once; the merged report holds 12 PASS
# records; resubmitting one task skips its finished exports.
#
# Environment: ML_EXPORT, MLEXPORT_DEMO (binaries), WORK (scratch folder), SBATCH_SCRIPT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${WORK:?}
rm -rf "$work"
mkdir -p "$work"
cluster="$work/cluster"
trap 'bash "$here/cluster.sh" stop "$cluster"' EXIT
bash "$here/cluster.sh" start "$cluster" || exit 1
export SLURM_CONF="$cluster/slurm.conf"

fail() { echo "FAIL: $*"; exit 1; }

cd "$work"
for k in $(seq 0 11); do
  # Different class counts make every checkpoint's content (and SHA-256) different.
  mkdir -p "runs/fold_$k/weights"
  "$MLEXPORT_DEMO" "runs/fold_$k/weights/best.pt" tiny_net $((k + 2)) >/dev/null || fail "demo checkpoint $k"
done

wait_for() {  # wait_for JOBID: until the job and its array tasks have left the queue
  for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  fail "job $1 still queued after 300 s"
}

export ML_EXPORT
job=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --chdir="$work" \
  --output="$work/task_%a.log" "$SBATCH_SCRIPT" 'runs/**/best.pt' reports/export.jsonl \
  --input_shape 1,3,32,32) || fail "sbatch"
echo "submitted array job $job"
wait_for "$job"
cat "$work"/task_*.log

for k in $(seq 0 11); do
  [ -f "runs/fold_$k/weights/best.onnx" ] || fail "runs/fold_$k was not exported"
done
lines=$(wc -l < reports/export.jsonl)
[ "$lines" -eq 12 ] || fail "report has $lines lines, expected 12 (each checkpoint exactly once)"
distinct=$(grep -o '"path":"[^"]*"' reports/export.jsonl | sort -u | wc -l)
[ "$distinct" -eq 12 ] || fail "report names $distinct distinct checkpoints, expected 12"
for t in 0 1 2; do grep -q "Shard $t/3" "task_$t.log" || fail "task $t did not log its shard"; done

"$ML_EXPORT" --merge_reports 'reports/*.jsonl' > merged.txt; rc=$?
cat merged.txt
[ "$rc" -eq 0 ] || fail "merge exit code $rc"
grep -q "PASS: 12 " merged.txt || fail "merged summary does not count 12 PASS"

# Resubmitting task 1 skips what it exported before.
before=$(grep -c '"shard":"1/3"' reports/export.jsonl)
job=$(sbatch --parsable --array=1 --export=ALL,MLEXPORT_SHARDS=3 --cpus-per-task=1 --chdir="$work" \
  --output="$work/resubmit_%a.log" "$SBATCH_SCRIPT" 'runs/**/best.pt' reports/export.jsonl \
  --input_shape 1,3,32,32) || fail "sbatch resubmit"
wait_for "$job"
cat resubmit_1.log
grep -q "Shard 1/3" resubmit_1.log || fail "resubmitted task did not run part 1/3"
skipped=$(grep '"shard":"1/3"' reports/export.jsonl | grep -c '"status":"skipped"')
[ "$skipped" -eq "$before" ] || fail "resubmitted task skipped $skipped of $before exports"
"$ML_EXPORT" --merge_reports 'reports/*.jsonl' > merged2.txt || fail "merge after resubmit"
grep -q "PASS: 12 " merged2.txt || fail "merged summary after resubmit changed"
echo "1 passed, 0 failed"
