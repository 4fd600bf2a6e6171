#include "ir/printer.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace mlexport::ir {
namespace {

// The shortest text that reads back as the same value (as a float for values held in 32 bits or
// fewer), always with a '.' or an exponent so that it reads back as a real and not an integer.
std::string number(double v, bool single = false) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto [end, ec] = single ? std::to_chars(buf, buf + sizeof buf, static_cast<float>(v))
                          : std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ec == std::errc() ? end : buf);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

// Tensor values in braces, as integers for integer dtypes.
std::string tensor_values(const Tensor& t) {
  std::string s = " {";
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (k) s += ",";
    s += is_floating(t.dtype) ? number(t.value_as_double(k), t.dtype != DType::Float64)
                              : std::to_string(t.value_as_int(k));
  }
  return s + "}";
}

std::string type_string(const Value& v) {
  std::string s(dtype_short_name(v.dtype));
  s += v.shape ? shape_to_string(*v.shape) : "[*]";
  return s;
}

bool prints_values(const Tensor& t, const PrintOptions& options) {
  return options.max_constant_values < 0 || t.numel() <= options.max_constant_values;
}

std::string value_ref(const Value* v, const PrintOptions& options) {
  if (!v) return "_";
  std::string s = "%" + v->name;
  if (v->is_constant()) {
    s += ": const " + type_string(*v);
    if (prints_values(*v->constant, options)) s += tensor_values(*v->constant);
  }
  return s;
}

template <typename T>
std::string join(const std::vector<T>& items) {
  std::ostringstream os;
  os << '[';
  for (size_t k = 0; k < items.size(); ++k) os << (k ? "," : "") << items[k];
  os << ']';
  return os.str();
}

}  // namespace

std::string print_attribute(const Attribute& attr, const PrintOptions& options) {
  struct Visitor {
    const PrintOptions& options;
    std::string operator()(int64_t v) { return std::to_string(v); }
    std::string operator()(double v) { return number(v); }
    std::string operator()(const std::string& v) { return "\"" + v + "\""; }
    std::string operator()(const std::vector<int64_t>& v) { return join(v); }
    std::string operator()(const std::vector<double>& v) {
      std::string s = "[";
      for (size_t k = 0; k < v.size(); ++k) s += (k ? "," : "") + number(v[k]);
      return s + "]";
    }
    std::string operator()(const std::vector<std::string>& v) {
      std::string s = "[";
      for (size_t k = 0; k < v.size(); ++k) s += (k ? ",\"" : "\"") + v[k] + "\"";
      return s + "]";
    }
    std::string operator()(const Tensor& t) {
      std::string s = "tensor " + std::string(dtype_short_name(t.dtype)) + shape_to_string(t.shape);
      return prints_values(t, options) ? s + tensor_values(t) : s;
    }
    std::string operator()(const Subgraph& g) {
      if (!g) return "graph <none>";
      std::string body = print_graph(*g, options);
      // Indented under the node that owns it.
      std::string out;
      for (size_t at = 0; at < body.size();) {
        size_t end = body.find('\n', at);
        if (end == std::string::npos) end = body.size();
        out += (at ? "    " : "") + body.substr(at, end - at) + (end < body.size() ? "\n" : "");
        at = end + 1;
      }
      while (!out.empty() && out.back() == '\n') out.pop_back();
      return out;
    }
  };
  return std::visit(Visitor{options}, attr);
}

std::string print_graph(const Graph& graph, const PrintOptions& options) {
  std::ostringstream os;
  os << "graph(";
  for (size_t k = 0; k < graph.inputs().size(); ++k) {
    const Value* v = graph.inputs()[k];
    os << (k ? ", " : "") << "%" << v->name << ": " << type_string(*v);
  }
  os << ") {\n";
  for (const auto& n : graph.nodes()) {
    os << "  ";
    for (size_t k = 0; k < n->outputs.size(); ++k)
      os << (k ? ", " : "") << "%" << n->outputs[k]->name << ": " << type_string(*n->outputs[k]);
    os << " = " << n->op << "(";
    for (size_t k = 0; k < n->inputs.size(); ++k)
      os << (k ? ", " : "") << value_ref(n->inputs[k], options);
    os << ")";
    if (!n->attrs.empty()) {
      os << " {";
      bool first = true;
      for (const auto& [key, attr] : n->attrs) {
        os << (first ? "" : ", ") << key << "=" << print_attribute(attr, options);
        first = false;
      }
      os << "}";
    }
    os << "\n";
  }
  os << "  return ";
  for (size_t k = 0; k < graph.outputs().size(); ++k)
    os << (k ? ", " : "") << value_ref(graph.outputs()[k], options);
  os << "\n}\n";
  return os.str();
}

}  // namespace mlexport::ir
