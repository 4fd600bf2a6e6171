#!/bin/sh
# Builds every reader's fuzzer with clang's libFuzzer, AddressSanitizer and UBSan.
# Usage: fuzz/build.sh [out_dir]   (default: build-fuzz next to fuzz/)
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) and the
# readers' libraries (zlib, libzip, pugixml, libonnx, protobuf, nlohmann-json); installed when missing.
set -eu
# The fuzzers are not part of `make test`; their tools are installed here, when missing.
for p in clang libclang-rt-14-dev zlib1g-dev libzip-dev libpugixml-dev libonnx-dev libprotobuf-dev \
  nlohmann-json3-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
      clang libclang-rt-14-dev zlib1g-dev libzip-dev libpugixml-dev libonnx-dev \
      libprotobuf-dev nlohmann-json3-dev
    break
  fi
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$root/build-fuzz}
mkdir -p "$out/obj"
CXX=${CXX:-clang++}
flags="-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize-recover=undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  -DONNX_NAMESPACE=onnx -DONNX_ML=1 -I$root/include -I$root/src"

# Compiles the sources (paths under src/) into objects, each once, and prints the object paths.
# An object is rebuilt when its source or any header of the project is newer.
objects() {
  for f in "$@"; do
    o="$out/obj/$(echo "$f" | tr / _ | sed 's/\.cpp$/.o/')"
    if [ ! -f "$o" ] || [ "$root/src/$f" -nt "$o" ] ||
      [ -n "$(find "$root/src" "$root/include" -name '*.h' -newer "$o" | head -n 1)" ]; then
      echo "compiling src/$f" >&2
      # shellcheck disable=SC2086
      $CXX $flags -fsanitize=fuzzer-no-link -c "$root/src/$f" -o "$o"
    fi
    printf '%s ' "$o"
  done
}

# link <target> <libraries> <sources...>
link() {
  target=$1 libs=$2
  shift 2
  objs=$(objects "$@")
  echo "building $out/$target"
  # shellcheck disable=SC2086
  $CXX $flags -fsanitize=fuzzer -I"$here" "$here/$target.cpp" $objs $libs -o "$out/$target"
}

# Whole folders (every reader's own sources), so that a new file in one is never left out.
# shellcheck disable=SC2086
in_dir() { (cd "$root/src" && for f in $1; do printf '%s ' "$f"; done); }
ir="$(in_dir 'ir/*.cpp') $(in_dir 'ir/ops/*.cpp')"
ckpt="$(in_dir 'frontend/checkpoint/*.cpp') $(in_dir 'pyvalue/*.cpp') ir/tensor.cpp"
onnx="frontend/onnx/attributes.cpp frontend/onnx/dynamic_batch.cpp frontend/onnx/external_data.cpp
  frontend/onnx/import_context.cpp frontend/onnx/model_file.cpp frontend/onnx/onnx_import.cpp
  frontend/onnx/op/legacy.cpp frontend/onnx/op/operands.cpp frontend/onnx/op/resize.cpp
  frontend/onnx/op_rules.cpp frontend/onnx/shape_inference.cpp frontend/onnx/tensors.cpp"
ov=$(in_dir 'frontend/openvino_ir/*.cpp')
io=$(in_dir 'io/*.cpp')

# shellcheck disable=SC2086
{
  link fuzz_pickle -lz $ckpt
  link fuzz_torch_zip -lz $ckpt
  link fuzz_safetensors -lz $ckpt
  link fuzz_onnx "-lonnx -lonnx_proto -lprotobuf" $onnx $ir
  link fuzz_openvino_ir -lpugixml $ov $ir
  link fuzz_npy -lzip $io $ir
  link fuzz_config_json "" core/checkpoint_config.cpp
  link fuzz_export_request "" service/export_request.cpp service/formats.cpp \
    service/child_process.cpp
}
