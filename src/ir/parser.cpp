#include "ir/parser.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "mlexport/diagnostics.h"

namespace mlexport::ir {
namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' ||
         c == '/' || c == '$' || c == '#';
}

class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  std::unique_ptr<Graph> graph() {
    auto g = std::make_unique<Graph>();
    parse_graph_into(*g);
    skip_space();
    if (pos_ != text_.size()) fail("text after the end of the graph");
    return g;
  }

 private:
  // --- characters ---
  [[noreturn]] void fail(const std::string& what) const {
    int line = 1;
    for (size_t k = 0; k < pos_ && k < text_.size(); ++k) line += text_[k] == '\n';
    throw bad_input("IR text, line " + std::to_string(line) + ": " + what);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool accept(std::string_view token) {
    skip_space();
    if (text_.compare(pos_, token.size(), token) != 0) return false;
    pos_ += token.size();
    return true;
  }

  void expect(std::string_view token) {
    if (!accept(token)) fail("expected '" + std::string(token) + "'");
  }

  char peek() {
    skip_space();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  std::string word() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    if (pos_ == start) fail("expected a name");
    return text_.substr(start, pos_ - start);
  }

  // A number as written: "3", "-0.25", "1e-05", "inf", "-nan".
  std::string number_text() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                   text_[pos_] == '.' || text_[pos_] == '-' || text_[pos_] == '+'))
      ++pos_;
    if (pos_ == start) fail("expected a number");
    return text_.substr(start, pos_ - start);
  }

  static bool is_integer(const std::string& s) {
    return s.find_first_not_of("-0123456789") == std::string::npos;
  }

  int64_t to_int(const std::string& s) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) fail("bad integer '" + s + "'");
    return v;
  }

  double to_double(const std::string& s) {
    const bool negative = !s.empty() && s[0] == '-';
    const std::string body = negative ? s.substr(1) : s;
    if (body == "inf") return negative ? -HUGE_VAL : HUGE_VAL;
    if (body == "nan") return std::nan("");
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) fail("bad number '" + s + "'");
    return v;
  }

  // --- types ---
  struct Type {
    DType dtype = DType::Float32;
    std::optional<Shape> shape;
  };

  Type type() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    const std::string name = text_.substr(start, pos_ - start);
    auto dtype = parse_dtype(name);
    if (!dtype) fail("unknown dtype '" + name + "'");
    Type t{*dtype, std::nullopt};
    expect("[");
    if (accept("*")) {
      expect("]");
      return t;
    }
    t.shape = Shape{};
    while (!accept("]")) {
      if (!t.shape->empty()) expect(",");
      if (accept("?")) {
        t.shape->push_back(Dim{});
      } else if (std::isdigit(static_cast<unsigned char>(peek()))) {
        t.shape->push_back(Dim::fixed(to_int(number_text())));
      } else {
        t.shape->push_back(Dim::named(word()));
      }
    }
    return t;
  }

  static std::vector<int64_t> fixed_dims(const Type& t) {
    std::vector<int64_t> dims;
    for (const Dim& d : *t.shape) dims.push_back(d.size);
    return dims;
  }

  // "{1,2,3}": the values of a tensor of type `t`, which must have a fixed shape.
  Tensor tensor_values(const Type& t) {
    if (!t.shape) fail("a constant needs a shape");
    for (const Dim& d : *t.shape)
      if (!d.is_fixed()) fail("a constant needs fixed dims");
    const std::vector<int64_t> dims = fixed_dims(t);
    if (!accept("{")) fail("expected the constant's values in braces");
    std::vector<std::string> items;
    while (!accept("}")) {
      if (!items.empty()) expect(",");
      items.push_back(number_text());
    }
    if (static_cast<int64_t>(items.size()) != shape_numel(dims))
      fail(std::to_string(items.size()) + " values for a tensor of " +
           std::to_string(shape_numel(dims)) + " elements");
    if (!is_floating(t.dtype)) {
      Tensor ints(DType::Int64, dims);
      for (size_t k = 0; k < items.size(); ++k) ints.data<int64_t>()[k] = to_int(items[k]);
      return t.dtype == DType::Int64 ? ints : ints.cast(t.dtype);
    }
    Tensor reals(DType::Float64, dims);
    for (size_t k = 0; k < items.size(); ++k) reals.data<double>()[k] = to_double(items[k]);
    return t.dtype == DType::Float64 ? reals : reals.cast(t.dtype);
  }

  // --- values ---
  using Scope = std::unordered_map<std::string, Value*>;

  std::string value_name() {
    expect("%");
    const size_t start = pos_;
    while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
    if (pos_ == start) fail("expected a value name after '%'");
    return text_.substr(start, pos_ - start);
  }

  // A use: "_", "%name", or "%name: const TYPE {values}" (a constant, made at its first use).
  Value* use(Graph& g, Scope& scope) {
    if (accept("_")) return nullptr;
    const std::string name = value_name();
    if (accept(":")) {
      expect("const");
      const Type t = type();
      Tensor values = tensor_values(t);
      auto it = scope.find(name);
      if (it != scope.end()) return it->second;
      Value* v = g.add_constant(std::move(values), name);
      define(g, scope, v, name);
      return v;
    }
    auto it = scope.find(name);
    if (it == scope.end()) fail("use of undefined value %" + name);
    return it->second;
  }

  // Names are kept as written; unique_name() only records them so later passes do not reuse them.
  void define(Graph& g, Scope& scope, Value* v, const std::string& name) {
    if (scope.count(name)) fail("value %" + name + " is defined twice");
    if (v->name != name) g.unique_name(name);
    v->name = name;
    scope[name] = v;
  }

  // --- attributes ---
  Attribute attribute() {
    const char c = peek();
    if (c == '"') return quoted();
    if (c == '[') return list();
    if (text_.compare(pos_, 6, "tensor") == 0) {
      pos_ += 6;
      return tensor_values(type());
    }
    if (text_.compare(pos_, 6, "graph(") == 0) {
      auto sub = std::make_shared<Graph>();
      parse_graph_into(*sub);
      return Subgraph(sub);
    }
    const std::string n = number_text();
    if (is_integer(n)) return to_int(n);
    return to_double(n);
  }

  std::string quoted() {
    expect("\"");
    const size_t end = text_.find('"', pos_);
    if (end == std::string::npos) fail("unterminated string");
    std::string s = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }

  // [1,2] ints; [0.5,2.0] doubles; ["a","b"] strings; [] an empty int list.
  Attribute list() {
    expect("[");
    if (accept("]")) return std::vector<int64_t>{};
    if (peek() == '"') {
      std::vector<std::string> items;
      do items.push_back(quoted());
      while (accept(","));
      expect("]");
      return items;
    }
    std::vector<std::string> items;
    do items.push_back(number_text());
    while (accept(","));
    expect("]");
    bool integers = true;
    for (const std::string& s : items) integers = integers && is_integer(s);
    if (integers) {
      std::vector<int64_t> v;
      for (const std::string& s : items) v.push_back(to_int(s));
      return v;
    }
    std::vector<double> v;
    for (const std::string& s : items) v.push_back(to_double(s));
    return v;
  }

  // --- graphs ---
  void parse_graph_into(Graph& g) {
    Scope scope;
    expect("graph");
    expect("(");
    while (!accept(")")) {
      if (!g.inputs().empty()) expect(",");
      const std::string name = value_name();
      expect(":");
      const Type t = type();
      Value* v = g.add_input(name, t.dtype, t.shape.value_or(Shape{}));
      v->shape = t.shape;
      define(g, scope, v, name);
    }
    expect("{");
    while (!accept("return")) node(g, scope);
    if (peek() != '}') {
      do g.mark_output(use(g, scope));
      while (accept(","));
    }
    expect("}");
  }

  void node(Graph& g, Scope& scope) {
    struct Out {
      std::string name;
      Type type;
    };
    std::vector<Out> outs;
    do {
      Out o;
      o.name = value_name();
      expect(":");
      o.type = type();
      outs.push_back(std::move(o));
    } while (accept(","));
    expect("=");
    const std::string op = word();
    expect("(");
    std::vector<Value*> inputs;
    while (!accept(")")) {
      if (!inputs.empty()) expect(",");
      inputs.push_back(use(g, scope));
    }
    std::map<std::string, Attribute> attrs;
    if (accept("{")) {
      while (!accept("}")) {
        if (!attrs.empty()) expect(",");
        const std::string key = word();
        expect("=");
        attrs[key] = attribute();
      }
    }
    Node* n = g.add_node(op, std::move(inputs), outs.size(), std::move(attrs));
    for (size_t k = 0; k < outs.size(); ++k) {
      n->outputs[k]->dtype = outs[k].type.dtype;
      n->outputs[k]->shape = outs[k].type.shape;
      define(g, scope, n->outputs[k], outs[k].name);
    }
  }

  const std::string& text_;
  size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<Graph> parse_graph(const std::string& text) {
  return Parser(text).graph();
}

}  // namespace mlexport::ir
