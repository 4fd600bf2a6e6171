// Shared helpers of the emit_torch tests: scratch folders, the Python side (torch_side.py run
// with Debian's /usr/bin/python3, torch 1.13), the canonical JSON form both sides print, and
// tensor builders.
#pragma once

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ir/tensor.h"
#include "pyvalue/value.h"

namespace emit_torch_test {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh folder removed at the end of the scope.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const fs::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> listing() const;  // names in the folder, sorted

 private:
  fs::path path_;
};

// Runs torch_side.py with `args`; its stdout parsed as JSON. A non-zero exit (torch.load
// failing included) is a test failure carrying Python's stderr.
json run_python(const std::vector<std::string>& args);

// The canonical form of torch_side.py for a Value tree. `with_storage`: include the storage
// size and identity of each tensor (what torch.load shows; mlexport's reader copies tensors out,
// so its trees are compared without them).
json canonical(const mlexport::pyvalue::Value& root, bool with_storage);

// A tensor of `dtype` and `shape` holding `values` (raw element bits).
template <typename T>
mlexport::ir::Tensor make_tensor(mlexport::ir::DType dtype, std::vector<int64_t> shape,
                                 const std::vector<T>& values) {
  mlexport::ir::Tensor t(dtype, std::move(shape));
  if (t.nbytes() != values.size() * sizeof(T)) throw std::runtime_error("make_tensor: bad size");
  if (!values.empty()) std::memcpy(t.raw(), values.data(), t.nbytes());
  return t;
}

std::string read_file(const std::string& path);

}  // namespace emit_torch_test
