#include "frontend/onnx/import_context.h"

#include <algorithm>

namespace mlexport::frontend::onnx {

namespace {

constexpr size_t kWhereLimit = 3;  // places named per unsupported kind

}  // namespace

const ir::Tensor* NodeDraft::constant_input(size_t k) const {
  const ir::Value* v = input(k);
  return v && v->constant ? &*v->constant : nullptr;
}

void NodeDraft::drop_input(size_t k) {
  if (k < inputs.size()) inputs[k] = nullptr;
}

int64_t NodeDraft::int_attr(const std::string& key, int64_t fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  return fallback;
}

double NodeDraft::double_attr(const std::string& key, double fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<double>(&it->second)) return *v;
  if (auto* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return fallback;
}

std::optional<std::vector<int64_t>> NodeDraft::ints_attr(const std::string& key) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return std::nullopt;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return std::nullopt;
}

std::string NodeDraft::string_attr(const std::string& key, const std::string& fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return fallback;
}

void ImportContext::unsupported(const std::string& kind, const std::string& where,
                                const std::string& reason) {
  auto it = std::find_if(unsupported_.begin(), unsupported_.end(),
                         [&](const UnsupportedOp& op) { return op.kind == kind; });
  if (it == unsupported_.end()) {
    unsupported_.push_back(UnsupportedOp{kind, 0, {}});
    it = unsupported_.end() - 1;
  }
  ++it->count;
  if (it->where.size() < kWhereLimit)
    it->where.push_back(reason.empty() ? where : where + ": " + reason);
}

std::string ImportContext::node_name(const std::string& hint, const std::string& op) {
  const std::string base = hint.empty() ? op : hint;
  std::string name = base;
  for (int k = 1; node_names_.count(name); ++k) name = base + "_" + std::to_string(k);
  node_names_.insert(name);
  return name;
}

ir::Value* ImportContext::add(const NodeDraft& origin, const std::string& suffix,
                              const std::string& op, std::vector<ir::Value*> inputs,
                              std::map<std::string, ir::Attribute> attrs, ir::DType dtype,
                              std::optional<ir::Shape> shape) {
  auto node = graph_.make_detached_node(op, std::move(inputs), 0);
  node->name = node_name(origin.name + "/" + suffix, op);
  node->attrs = std::move(attrs);
  node->source = origin.source;
  node->source_op = "onnx::" + origin.op;
  ir::Value* out = graph_.new_value(origin.name + "/" + suffix, dtype, std::move(shape));
  out->producer = node.get();
  node->outputs.push_back(out);
  graph_.insert_node(graph_.nodes().size(), std::move(node));
  return out;
}

ir::Value* ImportContext::constant(const NodeDraft& origin, const std::string& suffix,
                                   ir::Tensor tensor) {
  return graph_.add_constant(std::move(tensor), origin.name + "/" + suffix);
}

ir::Node* ImportContext::finish(NodeDraft& draft) {
  while (!draft.inputs.empty() && !draft.inputs.back()) draft.inputs.pop_back();
  while (!draft.outputs.empty() && !draft.outputs.back()) draft.outputs.pop_back();
  auto node = graph_.make_detached_node(draft.op, draft.inputs, 0);
  node->name = draft.name;
  node->attrs = std::move(draft.attrs);
  node->source = draft.source;
  node->source_op = "onnx::" + draft.op;
  for (size_t k = 0; k < draft.outputs.size(); ++k) {
    ir::Value* out = draft.outputs[k];
    // An omitted output between present ones still needs a value to hold its place.
    if (!out)
      out = graph_.new_value(draft.name + "/unused_" + std::to_string(k), ir::DType::Float32);
    out->producer = node.get();
    node->outputs.push_back(out);
  }
  return graph_.insert_node(graph_.nodes().size(), std::move(node));
}

}  // namespace mlexport::frontend::onnx
