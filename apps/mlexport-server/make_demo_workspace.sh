#!/usr/bin/env bash
# Writes a demo workspace for mlexport-server with the C++ zoo's checkpoint writer (seeded weights,
# nothing downloaded, no Python): two projects, each with experiments of different architectures,
# each experiment with Lightning-style best.ckpt and last.ckpt.
#
#   make_demo_workspace.sh BUILD_DIR OUT_DIR [--small]
#
# --small writes only the small models (tiny_net, simple_cnn), for tests. An existing OUT_DIR is
# left as it is (exports and all) unless it has no projects/ folder.
set -euo pipefail
build=$1
out=$2
small=${3:-}
if [ -d "$out/projects" ]; then
  echo "workspace $out exists; keeping it"
  exit 0
fi

# project experiment architecture classes(JSON) input_size(JSON) created_at metrics(JSON)
experiment() {
  local project=$1 id=$2 arch=$3 classes=$4 size=$5 created=$6 metrics=$7 num
  local dir="$out/projects/$project/experiments/$id"
  mkdir -p "$dir/checkpoints"
  cat > "$dir/experiment.json" <<JSON
{
  "architecture": "$arch",
  "classes": $classes,
  "input_size": $size,
  "created_at": "$created",
  "metrics": $metrics
}
JSON
  num=$(echo "$classes" | tr -cd ',' | wc -c)
  num=$((num + 1))
  "$build/mlexport-demo" "$dir/checkpoints/best.ckpt" "$arch" "$num" --lightning --seed 1 >/dev/null
  "$build/mlexport-demo" "$dir/checkpoints/last.ckpt" "$arch" "$num" --lightning --seed 2 >/dev/null
}

project() {
  mkdir -p "$out/projects/$1"
  printf '{\n  "name": "%s",\n  "task": "%s"\n}\n' "$2" "$3" > "$out/projects/$1/project.json"
}

project defect-inspection "Defect inspection" classification
experiment defect-inspection exp-tiny-net tiny_net '["ok", "scratch", "dent"]' '[3, 64, 64]' \
  2026-11-20T09:00:00Z '{"val_accuracy": 0.91, "val_loss": 0.27}'
experiment defect-inspection exp-simple-cnn simple_cnn '["ok", "scratch", "dent"]' '[3, 64, 64]' \
  2026-11-21T14:30:00Z '{"val_accuracy": 0.94, "val_loss": 0.19}'
project quality-score "Quality score" regression
experiment quality-score exp-simple-cnn-reg simple_cnn '["score"]' '[3, 96, 96]' \
  2026-11-22T08:15:00Z '{"val_mae": 0.083}'
if [ "$small" != "--small" ]; then
  experiment defect-inspection exp-resnet18 resnet18 '["ok", "scratch", "dent"]' '[3, 224, 224]' \
    2026-11-23T10:30:00Z '{"val_accuracy": 0.97, "val_loss": 0.09}'
  experiment quality-score exp-mobilenet-v3 mobilenet_v3_small '["sharpness", "exposure"]' \
    '[3, 224, 224]' 2026-11-24T16:45:00Z '{"val_mae": 0.061}'
fi
echo "wrote the demo workspace in $out"
