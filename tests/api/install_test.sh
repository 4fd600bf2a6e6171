#!/usr/bin/env bash
# Installs mlexport into a temporary prefix, builds examples/ as a separate CMake project with
# find_package(mlexport), and runs the example: the package is complete and usable on its own.
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
for f in include/mlexport/exportable.h include/mlexport/export.h lib/libmlexport.so \
         lib/cmake/mlexport/mlexportConfig.cmake share/mlexport/ort-runner/run.js; do
  [ -e "$work/prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
# No private header may leak into the public ones.
if grep -rn '#include "\(ir\|core\|frontend\|emit\|passes\|zoo\)/' "$work/prefix/include"; then
  echo "a public header includes a private one"; exit 1
fi
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$source/examples" -B "$work/examples" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >"$work/configure.log"
cmake --build "$work/examples" -j2 >"$work/build.log"
# The runner is found through the installed copy, not the source tree.
MLEXPORT_ORT_RUNNER="$work/prefix/share/mlexport/ort-runner/run.js" \
  "$work/examples/example-exportable" "$work/out"
for f in policy.onnx policy.xml policy.bin policy.ts policy.pth; do
  [ -s "$work/out/$f" ] || { echo "example did not write $f"; exit 1; }
done
echo "installed package builds and runs the example"
