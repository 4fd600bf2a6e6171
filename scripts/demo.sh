#!/usr/bin/env bash
# The bundled demo, needing nothing from outside: writes a checkpoint in the export guide's form
# with the C++ zoo (seeded resnet18 weights and BatchNorm statistics), then exports it to ONNX and
# validates it in ONNX Runtime, as `ml-export --checkpoint_path runs/.../best.pt` does.
set -euo pipefail
cd "$(dirname "$0")/.."
checkpoint=demo/runs/demo_fold_0/weights/best.pt
mkdir -p "$(dirname "$checkpoint")"
./build/mlexport-demo "$checkpoint" resnet18 2
./build/ml-export --checkpoint_path "$checkpoint" --dynamic_axes
