#!/usr/bin/env bash
# Installs what mlexport needs on Debian 12; safe to run again (installs only what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake g++ make ccache pkgconf git time
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libspdlog-dev nlohmann-json3-dev libzip-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libopenblas0-pthread libpugixml-dev libssl-dev libcpp-httplib-dev
  python3-torch python3-torchvision python3-onnx python3-numpy python3-matplotlib
  nodejs npm chromium
  slurmctld slurmd slurm-client munge
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# nodejs may come from elsewhere than Debian; a working node and npm are enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs/}")
  missing=("${missing[@]/npm/}")
fi
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done

if [ ${#filtered[@]} -gt 0 ]; then
  echo "setup: installing ${filtered[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${filtered[@]}"
fi

# ONNX Runtime for validation: the CPU library ships inside the npm package; its post-install
# download step is skipped.
if [ ! -f tools/ort-runner/node_modules/onnxruntime-node/package.json ]; then
  echo "setup: installing onnxruntime-node"
  (cd tools/ort-runner && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
fi
# The Export page's browser test: puppeteer-core drives Debian's chromium (no browser download).
if [ ! -f tests/web/node_modules/puppeteer-core/package.json ]; then
  echo "setup: installing puppeteer-core"
  (cd tests/web && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
