#include "ir/graph.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace mlexport::ir {

Shape fixed_shape(const std::vector<int64_t>& dims) {
  Shape s;
  s.reserve(dims.size());
  for (int64_t d : dims) s.push_back(Dim::fixed(d));
  return s;
}

std::string shape_to_string(const Shape& shape) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) os << ',';
    if (shape[i].is_fixed())
      os << shape[i].size;
    else if (!shape[i].symbol.empty())
      os << shape[i].symbol;
    else
      os << '?';
  }
  os << ']';
  return os.str();
}

int64_t Node::i(const std::string& key, int64_t fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  return fallback;
}

double Node::f(const std::string& key, double fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<double>(&it->second)) return *v;
  if (auto* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return fallback;
}

std::string Node::s(const std::string& key, const std::string& fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return fallback;
}

std::vector<int64_t> Node::ints(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  return fallback;
}

Graph* Node::subgraph(const std::string& key) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return nullptr;
  if (auto* g = std::get_if<Subgraph>(&it->second)) return g->get();
  return nullptr;
}

std::vector<Graph*> Node::subgraphs() const {
  std::vector<Graph*> out;
  for (const auto& [key, value] : attrs)
    if (auto* g = std::get_if<Subgraph>(&value))
      if (*g) out.push_back(g->get());
  return out;
}

std::string Graph::unique_name(const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  int& count = name_counts_[base];
  std::string name = count == 0 ? base : base + "_" + std::to_string(count);
  ++count;
  while (name_counts_.count(name) && name != base) {  // avoid clashing with a later base name
    name = base + "_" + std::to_string(count++);
  }
  if (name != base) name_counts_[name] = 1;
  return name;
}

Value* Graph::new_value(const std::string& name_hint, DType dtype, std::optional<Shape> shape) {
  auto v = std::make_unique<Value>();
  v->name = unique_name(name_hint);
  v->dtype = dtype;
  v->shape = std::move(shape);
  values_.push_back(std::move(v));
  return values_.back().get();
}

Value* Graph::add_input(const std::string& name, DType dtype, Shape shape) {
  Value* v = new_value(name, dtype, std::move(shape));
  inputs_.push_back(v);
  return v;
}

Value* Graph::add_constant(Tensor tensor, const std::string& name_hint) {
  Value* v = new_value(name_hint, tensor.dtype, fixed_shape(tensor.shape));
  v->constant = std::move(tensor);
  return v;
}

std::unique_ptr<Node> Graph::make_detached_node(const std::string& op, std::vector<Value*> inputs,
                                                size_t num_outputs) {
  auto node = std::make_unique<Node>();
  node->op = op;
  node->name = op + "_" + std::to_string(next_node_id_++);
  node->inputs = std::move(inputs);
  for (size_t k = 0; k < num_outputs; ++k) {
    Value* out =
        new_value(node->name + (num_outputs > 1 ? "_out" + std::to_string(k) : ""), DType::Float32);
    out->producer = node.get();
    node->outputs.push_back(out);
  }
  return node;
}

Node* Graph::add_node(const std::string& op, std::vector<Value*> inputs, size_t num_outputs,
                      std::map<std::string, Attribute> attrs) {
  auto node = make_detached_node(op, std::move(inputs), num_outputs);
  node->attrs = std::move(attrs);
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

Node* Graph::insert_node(size_t index, std::unique_ptr<Node> node) {
  index = std::min(index, nodes_.size());
  auto it = nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(index), std::move(node));
  return it->get();
}

size_t Graph::index_of(const Node* node) const {
  for (size_t k = 0; k < nodes_.size(); ++k)
    if (nodes_[k].get() == node) return k;
  return nodes_.size();
}

std::vector<Value*> Graph::constants() const {
  std::vector<Value*> out;
  std::set<const Value*> seen;
  auto visit = [&](Value* v) {
    if (v && v->is_constant() && seen.insert(v).second) out.push_back(v);
  };
  for (const auto& n : nodes_)
    for (Value* v : n->inputs) visit(v);
  for (Value* v : outputs_) visit(v);
  return out;
}

void Graph::replace_all_uses(Value* from, Value* to) {
  for (auto& n : nodes_)
    for (Value*& v : n->inputs)
      if (v == from) v = to;
  for (Value*& v : outputs_)
    if (v == from) v = to;
}

void Graph::collect_garbage() {
  std::set<const Value*> live(inputs_.begin(), inputs_.end());
  for (const auto& n : nodes_) {
    for (Value* v : n->inputs) live.insert(v);
    for (Value* v : n->outputs) live.insert(v);
  }
  for (Value* v : outputs_) live.insert(v);
  std::erase_if(values_, [&](const std::unique_ptr<Value>& v) { return !live.count(v.get()); });
}

std::map<const Value*, int> count_uses(const Graph& graph) {
  std::map<const Value*, int> uses;
  for (const auto& n : graph.nodes())
    for (const Value* v : n->inputs)
      if (v) ++uses[v];
  for (const Value* v : graph.outputs()) ++uses[v];
  return uses;
}

bool has_control_flow(const Graph& graph) {
  for (const auto& n : graph.nodes())
    if (!n->subgraphs().empty()) return true;
  return false;
}

namespace {

// TorchScript scopes nest as "__module.a/__module.a.b"; the last one holds the module's path.
std::string module_path(const std::string& scope) {
  const size_t slash = scope.rfind('/');
  std::string path = slash == std::string::npos ? scope : scope.substr(slash + 1);
  const std::string prefix = "__module";
  if (path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
  if (!path.empty() && path[0] == '.') path = path.substr(1);
  return path;
}

}  // namespace

std::pair<std::string, std::string> split_source(const std::string& source) {
  const size_t space = source.rfind(' ');
  const std::string last = space == std::string::npos ? source : source.substr(space + 1);
  const size_t colon = last.rfind(':');
  const bool is_line = colon != std::string::npos && colon + 1 < last.size() &&
                       last.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (!is_line) return {module_path(source), ""};
  return {space == std::string::npos ? "" : module_path(source.substr(0, space)), last};
}

}  // namespace mlexport::ir
