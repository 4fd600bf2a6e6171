#!/usr/bin/env bash
# Wall time of exporting N checkpoints (default 24) as one process with --jobs 2, and as a 2-task
# Slurm array (one export at a time per task) on a one-node cluster started here; prints both
# and Slurm's overhead per task (the array's wall time minus its slowest task's own time).
#
#   bash bench/slurm_scale.sh [BUILD] [N] [ARCH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$root/build}")
n=${2:-24}
arch=${3:-resnet18}
work=$(mktemp -d /tmp/mlexport-scale.XXXXXX)
trap 'bash "$root/tests/slurm/cluster.sh" stop "$work/cluster"; rm -rf "$work"' EXIT
bash "$root/tests/slurm/cluster.sh" start "$work/cluster" >/dev/null
export SLURM_CONF="$work/cluster/slurm.conf"
cd "$work"
for k in $(seq 0 $((n - 1))); do
  mkdir -p "a/run_$k" "b/run_$k"
  "$build/mlexport-demo" "a/run_$k/best.pt" "$arch" $((k + 2)) >/dev/null
  cp "a/run_$k/best.pt" "b/run_$k/best.pt"
done
now() { date +%s.%N; }

t0=$(now)
"$build/ml-export" --pattern 'a/**/best.pt' --jobs 2 --report a.jsonl >/dev/null
t1=$(now)
one=$(echo "$t1 - $t0" | bc)

t0=$(now)
job=$(ML_EXPORT="$build/ml-export" sbatch --parsable --array=0-1 --cpus-per-task=1 \
  --output="$work/task_%a.log" --chdir="$work" \
  "$root/scripts/slurm/export_array.sbatch" 'b/**/best.pt' b.jsonl)
while [ -n "$(squeue -h -j "$job" 2>/dev/null)" ]; do sleep 0.2; done
t1=$(now)
array=$(echo "$t1 - $t0" | bc)
"$build/ml-export" --merge_reports 'b.jsonl' | head -2
# Each task's own time: from its first export's start to its last export's end, as the report
# records them (finished_at has 1 s resolution, so use the sum of per-export seconds instead).
per_task=$(python3 - <<'PY'
import json, collections
t = collections.defaultdict(float)
for line in open("b.jsonl"):
    r = json.loads(line)
    t[r["shard"]] += r["seconds"]
print(" ".join(f"{k}={v:.1f}" for k, v in sorted(t.items())), max(t.values()))
PY
)
slowest=${per_task##* }
printf 'checkpoints: %d x %s\n' "$n" "$arch"
printf 'one process, --jobs 2: %.1f s\n' "$one"
printf '2-task Slurm array:    %.1f s (tasks: %s s of exports)\n' "$array" "${per_task% *}"
printf 'Slurm overhead per task (array wall time - slowest task exports): %.1f s\n' \
  "$(echo "$array - $slowest" | bc)"
