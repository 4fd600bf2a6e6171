#!/bin/sh
# Builds the checkpoint-reader fuzzers with clang's libFuzzer, AddressSanitizer and UBSan.
# Usage: fuzz/build.sh [out_dir]   (default: build-fuzz next to fuzz/)
# Needs Debian's clang and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes) and zlib1g-dev.
set -eu
# The fuzzers are not part of `make test`; their tools are installed here, when missing.
for p in clang libclang-rt-14-dev zlib1g-dev; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
      clang libclang-rt-14-dev zlib1g-dev
    break
  fi
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${1:-$root/build-fuzz}
mkdir -p "$out"
CXX=${CXX:-clang++}
flags="-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize-recover=undefined -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  -I$root/include -I$root/src"
src="$root/src/frontend/checkpoint"
lib="$src/value.cpp $src/pickle.cpp $src/bytes.cpp $src/mapped_file.cpp $src/zip_reader.cpp
  $src/torch_file.cpp $src/safetensors.cpp $root/src/ir/tensor.cpp"
objs=""
for f in $lib; do
  o="$out/$(basename "$f" .cpp).o"
  echo "compiling $f"
  # shellcheck disable=SC2086
  $CXX $flags -fsanitize=fuzzer-no-link -c "$f" -o "$o"
  objs="$objs $o"
done
for target in fuzz_pickle fuzz_torch_zip fuzz_safetensors; do
  echo "building $out/$target"
  # shellcheck disable=SC2086
  $CXX $flags -fsanitize=fuzzer "$here/$target.cpp" $objs -lz -o "$out/$target"
done
