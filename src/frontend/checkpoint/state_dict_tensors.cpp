#include "frontend/checkpoint/state_dict_tensors.h"

#include <unordered_set>

#include "frontend/checkpoint/pickle.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::checkpoint {

namespace {

using pyvalue::Value;
using Kind = Value::Kind;

constexpr int kMaxWalkDepth = kMaxDepth + 8;

std::string join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

std::string key_text(const Value& key) {
  if (key.kind == Kind::String) return key.s;
  if (key.kind == Kind::Int) return std::to_string(key.i);
  return key.repr(1);
}

bool is_module(const Value& v) {
  return v.kind == Kind::Object && v.get("_parameters") && v.get("_modules");
}

// Only tensors and containers can hold tensors: other leaves are skipped before naming them.
bool may_hold_tensors(const Value& v) {
  return v.kind == Kind::Tensor || v.kind == Kind::Dict || v.kind == Kind::List ||
         v.kind == Kind::Tuple || (v.kind == Kind::Object && v.class_name != "builtins.int");
}

void collect(const Value& v, const std::string& name, int depth,
             std::vector<std::pair<std::string, ir::Tensor>>& out) {
  if (depth > kMaxWalkDepth)
    throw bad_input("state dict nested deeper than " + std::to_string(kMaxWalkDepth) + " levels");
  switch (v.kind) {
    case Kind::Tensor:
      out.emplace_back(name, v.tensor);
      return;
    case Kind::Dict:
      for (const auto& [k, item] : v.entries)
        if (k && item && may_hold_tensors(*item))
          collect(*item, join(name, key_text(*k)), depth + 1, out);
      return;
    case Kind::List:
    case Kind::Tuple:
      for (size_t k = 0; k < v.items.size(); ++k)
        if (v.items[k] && may_hold_tensors(*v.items[k]))
          collect(*v.items[k], join(name, std::to_string(k)), depth + 1, out);
      return;
    case Kind::Object: {
      if (detail::is_unreadable_tensor_builder(v.class_name))
        throw bad_input("'" + name + "' is a tensor kind mlexport cannot read (" + v.class_name +
                        ": quantized, sparse, meta or nested tensors are not supported)");
      if (!is_module(v)) {
        for (const auto& [k, item] : v.entries)
          if (k && item && may_hold_tensors(*item))
            collect(*item, join(name, key_text(*k)), depth + 1, out);
        return;
      }
      // A pickled nn.Module: its state-dict names.
      std::unordered_set<std::string> non_persistent;
      if (const Value* np = v.get("_non_persistent_buffers_set"))
        for (const auto& item : np->items)
          if (item && item->kind == Kind::String) non_persistent.insert(item->s);
      for (const char* field : {"_parameters", "_buffers"})
        if (const Value* d = v.get(field))
          for (const auto& [k, item] : d->entries) {
            if (!k || !item || !may_hold_tensors(*item)) continue;
            if (std::string(field) == "_buffers" && k->kind == Kind::String &&
                non_persistent.count(k->s))
              continue;
            collect(*item, join(name, key_text(*k)), depth + 1, out);
          }
      if (const Value* m = v.get("_modules"))
        for (const auto& [k, item] : m->entries)
          if (k && item && may_hold_tensors(*item))
            collect(*item, join(name, key_text(*k)), depth + 1, out);
      return;
    }
    default:
      return;
  }
}

}  // namespace

std::vector<std::pair<std::string, ir::Tensor>> tensors_of(const Value& dict) {
  std::vector<std::pair<std::string, ir::Tensor>> out;
  collect(dict, "", 0, out);
  return out;
}

}  // namespace mlexport::frontend::checkpoint
