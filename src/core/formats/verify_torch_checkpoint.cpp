#include "core/formats/verify_torch_checkpoint.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "emit/torch/torch_checkpoint.h"
#include "frontend/checkpoint/torch_file.h"
#include "mlexport/diagnostics.h"
#include "pyvalue/value.h"

namespace mlexport::core {

namespace {

using pyvalue::Value;
using Kind = Value::Kind;

struct Tally {
  size_t tensors = 0;
  uint64_t tensor_bytes = 0;
};

// An int as decimal text whichever form it has (the reader keeps ints beyond int64 as digits).
std::optional<std::string> int_text(const Value& v) {
  if (v.kind == Kind::Int) return std::to_string(v.i);
  if (v.kind != Kind::Object || v.class_name != "builtins.int") return std::nullopt;
  std::string s = v.s;
  const bool negative = !s.empty() && s[0] == '-';
  size_t k = negative ? 1 : 0;
  while (k + 1 < s.size() && s[k] == '0') ++k;
  s = s.substr(k);
  return (negative && s != "0") ? "-" + s : s;
}

std::string describe(const Value& v) {
  return v.repr(1);
}

// The first difference between what was written and what came back, or nullopt.
std::optional<std::string> difference(const Value& want, const Value& got, Tally& tally) {
  if (auto a = int_text(want)) {
    auto b = int_text(got);
    if (!b || *a != *b) return "wrote " + describe(want) + ", read " + describe(got);
    return std::nullopt;
  }
  if (want.kind != got.kind)
    return "wrote a " + std::string(Value::kind_name(want.kind)) + ", read a " +
           std::string(Value::kind_name(got.kind)) + " " + describe(got);
  auto nested = [](const std::string& where, const std::string& diff) {
    return where + (diff.starts_with("[") ? "" : ": ") + diff;
  };
  switch (want.kind) {
    case Kind::None:
      return std::nullopt;
    case Kind::Bool:
      if (want.b != got.b) return "wrote " + describe(want) + ", read " + describe(got);
      return std::nullopt;
    case Kind::Float:
      if (std::memcmp(&want.f, &got.f, sizeof(double)) != 0)
        return "wrote " + describe(want) + ", read " + describe(got);
      return std::nullopt;
    case Kind::String:
    case Kind::Bytes:
      if (want.s != got.s) return "wrote " + describe(want) + ", read " + describe(got);
      return std::nullopt;
    case Kind::Tuple:
    case Kind::List:
      if (want.items.size() != got.items.size())
        return "wrote " + std::to_string(want.items.size()) + " items, read " +
               std::to_string(got.items.size());
      for (size_t k = 0; k < want.items.size(); ++k)
        if (auto d = difference(*want.items[k], *got.items[k], tally))
          return nested("[" + std::to_string(k) + "]", *d);
      return std::nullopt;
    case Kind::Dict: {
      if (want.class_name != got.class_name)
        return "wrote a " + (want.class_name.empty() ? "dict" : want.class_name) + ", read a " +
               (got.class_name.empty() ? "dict" : got.class_name);
      if (want.entries.size() != got.entries.size())
        return "wrote " + std::to_string(want.entries.size()) + " keys, read " +
               std::to_string(got.entries.size());
      for (size_t k = 0; k < want.entries.size(); ++k) {
        const auto& [wk, wv] = want.entries[k];
        const auto& [gk, gv] = got.entries[k];
        if (auto d = difference(*wk, *gk, tally))
          return "key " + std::to_string(k) + " (" + describe(*wk) + "): " + *d;
        if (auto d = difference(*wv, *gv, tally)) return nested("[" + describe(*wk) + "]", *d);
      }
      if (want.state) {
        if (!got.state) return "the attributes (BUILD state) are missing";
        if (auto d = difference(*want.state, *got.state, tally)) return nested(".__dict__", *d);
      }
      return std::nullopt;
    }
    case Kind::Tensor: {
      const ir::Tensor& a = want.tensor;
      const ir::Tensor& b = got.tensor;
      if (a.dtype != b.dtype || a.shape != b.shape)
        return "wrote a " + std::string(ir::dtype_name(a.dtype)) + ir::shape_to_string(a.shape) +
               " tensor, read a " + std::string(ir::dtype_name(b.dtype)) +
               ir::shape_to_string(b.shape) + " one";
      const size_t n = static_cast<size_t>(a.numel()) * ir::dtype_size(a.dtype);
      if (b.nbytes() != n || (n && std::memcmp(a.raw(), b.raw(), n) != 0))
        return "tensor bytes differ";
      ++tally.tensors;
      tally.tensor_bytes += n;
      return std::nullopt;
    }
    default:
      return "cannot compare a " + std::string(Value::kind_name(want.kind));
  }
}

}  // namespace

std::string verify_torch_checkpoint(const std::string& path,
                                    const emit::TorchCheckpoint& expected) {
  const pyvalue::ValuePtr want = emit::torch_checkpoint_value(expected);
  const pyvalue::ValuePtr got = frontend::checkpoint::load_torch_file(path);
  Tally tally;
  if (auto d = difference(*want, *got, tally))
    throw Error(ExitCode::kInternal, path + ": the written checkpoint does not read back: " + *d);
  char size[32];
  std::snprintf(size, sizeof size, "%.1f MB", static_cast<double>(tally.tensor_bytes) / 1e6);
  return "ok: " + std::to_string(want->entries.size()) + " top-level keys, " +
         std::to_string(tally.tensors) + " tensors, " + size;
}

}  // namespace mlexport::core
