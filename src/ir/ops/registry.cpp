#include <algorithm>
#include <map>

#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

std::vector<OpDef> build() {
  std::vector<OpDef> defs;
  for (auto family : {elementwise_ops, tensor_ops, nn_ops, reduce_ops, vision_ops, sequence_ops})
    for (OpDef& d : family()) defs.push_back(std::move(d));
  attach_value_rules(defs);
  std::sort(defs.begin(), defs.end(),
            [](const OpDef& a, const OpDef& b) { return a.name < b.name; });
  return defs;
}

const std::vector<OpDef>& registry() {
  static const std::vector<OpDef> defs = build();
  return defs;
}

bool kind_matches(const Attribute& a, AttrKind kind) {
  switch (kind) {
    case AttrKind::Int:
      return std::holds_alternative<int64_t>(a);
    case AttrKind::Float:  // 2 and 2.0 are the same value to every emitter
      return std::holds_alternative<double>(a) || std::holds_alternative<int64_t>(a);
    case AttrKind::String:
      return std::holds_alternative<std::string>(a);
    case AttrKind::Ints:
      return std::holds_alternative<std::vector<int64_t>>(a);
    case AttrKind::Floats:
      return std::holds_alternative<std::vector<double>>(a) ||
             std::holds_alternative<std::vector<int64_t>>(a);
    case AttrKind::Strings:
      return std::holds_alternative<std::vector<std::string>>(a);
    case AttrKind::Tensor:
      return std::holds_alternative<Tensor>(a);
    case AttrKind::Graph:
      return std::holds_alternative<Subgraph>(a);
  }
  return false;
}

std::string count_range(int lo, int hi) {
  if (hi >= kVariadic) return std::to_string(lo) + " or more";
  if (lo == hi) return std::to_string(lo);
  return std::to_string(lo) + " to " + std::to_string(hi);
}

}  // namespace

OpDef make_op(std::string_view name, int in_min, int in_max, std::vector<AttrSpec> attrs,
              ShapeRule shape, int since) {
  OpDef d{.name = name, .min_inputs = in_min, .max_inputs = in_max, .attrs = std::move(attrs)};
  d.onnx_since = since;
  d.shape = shape;
  return d;
}

std::string_view attr_kind_name(AttrKind kind) {
  static constexpr std::string_view names[] = {"int",    "float",   "string", "ints",
                                               "floats", "strings", "tensor", "graph"};
  return names[static_cast<int>(kind)];
}

std::optional<std::vector<int64_t>> ShapeEnv::ints(const Value* v) const {
  if (!v || !v->is_constant()) return std::nullopt;
  return v->constant->to_int_vector();
}

std::optional<ShapeElements> ShapeEnv::elements(const Value* v) const {
  if (!v || !v->is_constant() || v->constant->numel() > kMaxShapeElements ||
      (v->constant->dtype != DType::Int64 && v->constant->dtype != DType::Int32))
    return std::nullopt;
  ShapeElements out;
  for (int64_t x : v->constant->to_int_vector()) out.push_back({x, {}});
  return out;
}

const AttrSpec* OpDef::attr(std::string_view key) const {
  for (const AttrSpec& a : attrs)
    if (a.name == key) return &a;
  return nullptr;
}

std::span<const OpDef> all() {
  return registry();
}

const OpDef* find(std::string_view op) {
  const auto& defs = registry();
  auto it = std::lower_bound(defs.begin(), defs.end(), op,
                             [](const OpDef& d, std::string_view name) { return d.name < name; });
  return it != defs.end() && it->name == op ? &*it : nullptr;
}

std::vector<std::string> check_node(const Node& n) {
  std::vector<std::string> problems;
  const std::string where = n.name + " (" + n.op + ")";
  const OpDef* def = find(n.op);
  // Nodes of an imported ONNX file: ops and attributes the IR does not define pass through
  // unchanged, and ONNX's checker judges them when the file is written.
  const bool from_onnx_file = n.source_op.rfind("onnx::", 0) == 0;
  if (!def) {
    if (!from_onnx_file) problems.push_back(where + " is not an IR op");
    return problems;
  }
  const int inputs = static_cast<int>(n.inputs.size());
  const int outputs = static_cast<int>(n.outputs.size());
  if (inputs < def->min_inputs || inputs > def->max_inputs)
    problems.push_back(where + " has " + std::to_string(inputs) + " inputs, expected " +
                       count_range(def->min_inputs, def->max_inputs));
  if (outputs < def->min_outputs || outputs > def->max_outputs)
    problems.push_back(where + " has " + std::to_string(outputs) + " outputs, expected " +
                       count_range(def->min_outputs, def->max_outputs));
  for (const auto& [key, value] : n.attrs) {
    const AttrSpec* spec = def->attr(key);
    if (!spec) {
      if (!from_onnx_file) problems.push_back(where + " has an unknown attribute '" + key + "'");
    } else if (!kind_matches(value, spec->kind))
      problems.push_back(where + " attribute '" + key + "' is not of kind " +
                         std::string(attr_kind_name(spec->kind)));
  }
  return problems;
}

}  // namespace mlexport::ir::ops
