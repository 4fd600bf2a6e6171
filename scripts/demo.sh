#!/usr/bin/env bash
# The bundled demo: traces a seeded resnet18 with Debian's torchvision, exports it with ml-export
# and prints the validation.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p demo
if [ ! -f demo/resnet18.pt ]; then
  /usr/bin/python3 scripts/make_demo_model.py demo/resnet18.pt
fi
./build/ml-export --checkpoint_path demo/resnet18.pt --output_path demo/resnet18.onnx \
  --input_shape 1,3,224,224 --dynamic_axes
