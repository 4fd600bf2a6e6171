#include "frontend/openvino_ir/reader_context.h"

#include <sstream>

namespace mlexport::frontend::openvino_ir {

std::optional<ir::DType> dtype_of_precision(const std::string& p) {
  static const std::map<std::string, ir::DType> table = {
      {"FP32", ir::DType::Float32},  {"FP16", ir::DType::Float16}, {"FP64", ir::DType::Float64},
      {"BF16", ir::DType::BFloat16}, {"I8", ir::DType::Int8},      {"U8", ir::DType::UInt8},
      {"I16", ir::DType::Int16},     {"I32", ir::DType::Int32},    {"I64", ir::DType::Int64},
      {"BOOL", ir::DType::Bool},     {"BOOLEAN", ir::DType::Bool}};
  auto it = table.find(p);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

std::optional<ir::DType> dtype_of_element_type(const std::string& e) {
  static const std::map<std::string, ir::DType> table = {
      {"f32", ir::DType::Float32},   {"f16", ir::DType::Float16}, {"f64", ir::DType::Float64},
      {"bf16", ir::DType::BFloat16}, {"i8", ir::DType::Int8},     {"u8", ir::DType::UInt8},
      {"i16", ir::DType::Int16},     {"i32", ir::DType::Int32},   {"i64", ir::DType::Int64},
      {"boolean", ir::DType::Bool}};
  auto it = table.find(e);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

Error Reader::unsupported(const LayerDesc& l, const std::string& what) const {
  return Error(ExitCode::kUnsupportedOps, "OpenVINO IR layer " + l.name + " (" + l.type + "-" +
                                              l.version + "): " + what + " is not supported");
}

Error Reader::malformed(const LayerDesc& l, const std::string& what) const {
  return bad_input("OpenVINO IR layer " + l.name + " (" + l.type + "): " + what);
}

ir::Value* Reader::input(const LayerDesc& l, size_t k) const {
  if (k >= l.inputs.size()) throw malformed(l, "input " + std::to_string(k) + " is missing");
  auto e = doc_.edge_into.find({l.id, l.inputs[k].id});
  if (e == doc_.edge_into.end())
    throw malformed(l, "no edge into port " + std::to_string(l.inputs[k].id));
  ir::Value* v = output_of(e->second.layer, e->second.port);
  if (!v)
    throw malformed(l, "port " + std::to_string(l.inputs[k].id) + " is fed by layer " +
                           std::to_string(e->second.layer) + " port " +
                           std::to_string(e->second.port) + ", which produces nothing");
  return v;
}

const ir::Tensor* Reader::const_input(const LayerDesc& l, size_t k) const {
  ir::Value* v = input(l, k);
  return v->is_constant() ? &*v->constant : nullptr;
}

std::vector<int64_t> Reader::const_ints(const LayerDesc& l, size_t k,
                                        const std::string& what) const {
  const ir::Tensor* t = const_input(l, k);
  if (!t) throw unsupported(l, "a run-time " + what);
  return t->to_int_vector();
}

double Reader::const_scalar(const LayerDesc& l, size_t k, const std::string& what) const {
  const ir::Tensor* t = const_input(l, k);
  if (!t || t->numel() != 1) throw unsupported(l, what + " that is not a constant scalar");
  return t->value_as_double(0);
}

bool Reader::output_used(const LayerDesc& l, size_t k) const {
  auto it = doc_.uses.find({l.id, l.outputs.at(k).id});
  return it != doc_.uses.end() && it->second > 0;
}

ir::DType Reader::port_dtype(const PortDesc& p) const {
  auto t = dtype_of_precision(p.precision);
  if (!t) throw bad_input("OpenVINO IR: unknown port precision '" + p.precision + "'");
  return *t;
}

ir::Shape Reader::port_shape(const PortDesc& p) const {
  ir::Shape s;
  for (int64_t d : p.dims) s.push_back(d >= 0 ? ir::Dim::fixed(d) : ir::Dim{});
  return s;
}

ir::Node* Reader::node(const LayerDesc& l, const std::string& op, std::vector<ir::Value*> inputs,
                       std::map<std::string, ir::Attribute> attrs, size_t outputs) {
  ir::Node* n = g.add_node(op, std::move(inputs), outputs, std::move(attrs));
  n->source = l.name;
  for (size_t k = 0; k < outputs && k < l.outputs.size(); ++k) {
    n->outputs[k]->dtype = port_dtype(l.outputs[k]);
    n->outputs[k]->shape = port_shape(l.outputs[k]);
  }
  return n;
}

ir::Value* Reader::helper(const LayerDesc& l, const std::string& op, std::vector<ir::Value*> inputs,
                          ir::DType dtype, std::optional<ir::Shape> shape,
                          std::map<std::string, ir::Attribute> attrs) {
  ir::Node* n = g.add_node(op, std::move(inputs), 1, std::move(attrs));
  n->source = l.name;
  n->outputs[0]->dtype = dtype;
  n->outputs[0]->shape = std::move(shape);
  return n->outputs[0];
}

ir::Value* Reader::constant(ir::Tensor t, const std::string& hint) {
  return g.add_constant(std::move(t), hint);
}

ir::Value* Reader::scalar(ir::DType dtype, double v, const std::string& hint) {
  return g.add_constant(ir::Tensor::scalar_of(dtype, v), hint);
}

void Reader::set_output(const LayerDesc& l, size_t k, ir::Value* v) {
  if (k >= l.outputs.size()) throw malformed(l, "has no output " + std::to_string(k));
  const PortDesc& p = l.outputs[k];
  if (v->producer && !p.names.empty() && v->producer->source == l.name)
    v->name = g.unique_name(p.names.front());
  values_[{l.id, p.id}] = v;
  if (port_values)
    for (const std::string& name : p.names) port_values->emplace(name, v);
}

ir::Value* Reader::output_of(int layer, int port) const {
  auto it = values_.find({layer, port});
  return it == values_.end() ? nullptr : it->second;
}

std::string Reader::attr(const LayerDesc& l, const std::string& key,
                         const std::string& fallback) const {
  auto it = l.data.find(key);
  return it == l.data.end() ? fallback : it->second;
}

std::string Reader::required(const LayerDesc& l, const std::string& key) const {
  auto it = l.data.find(key);
  if (it == l.data.end()) throw malformed(l, "attribute '" + key + "' is missing");
  return it->second;
}

std::vector<int64_t> Reader::ints_attr(const LayerDesc& l, const std::string& key) const {
  std::string text = required(l, key);
  std::vector<int64_t> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    size_t b = item.find_first_not_of(' ');
    if (b == std::string::npos) continue;
    try {
      out.push_back(std::stoll(item.substr(b)));
    } catch (const std::exception&) {
      throw malformed(l, "attribute '" + key + "' = '" + text + "' is not a list of integers");
    }
  }
  return out;
}

int64_t Reader::int_attr(const LayerDesc& l, const std::string& key, int64_t fallback) const {
  auto it = l.data.find(key);
  if (it == l.data.end()) return fallback;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    throw malformed(l, "attribute '" + key + "' = '" + it->second + "' is not an integer");
  }
}

int64_t Reader::required_int(const LayerDesc& l, const std::string& key) const {
  required(l, key);
  return int_attr(l, key, 0);
}

double Reader::required_float(const LayerDesc& l, const std::string& key) const {
  required(l, key);
  return float_attr(l, key, 0);
}

double Reader::float_attr(const LayerDesc& l, const std::string& key, double fallback) const {
  auto it = l.data.find(key);
  if (it == l.data.end()) return fallback;
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw malformed(l, "attribute '" + key + "' = '" + it->second + "' is not a number");
  }
}

bool Reader::bool_attr(const LayerDesc& l, const std::string& key, bool fallback) const {
  auto it = l.data.find(key);
  if (it == l.data.end()) return fallback;
  if (it->second == "true" || it->second == "True" || it->second == "1") return true;
  if (it->second == "false" || it->second == "False" || it->second == "0") return false;
  throw malformed(l, "attribute '" + key + "' = '" + it->second + "' is not a boolean");
}

}  // namespace mlexport::frontend::openvino_ir
