#include "emit/onnx/opset_adapt.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <string_view>

#include "ir/ops/op_def.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit::onnx {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; IR tensor bytes are copied as they are");

namespace {

using ir::Node;
using ir::Tensor;
using ir::Value;

constexpr int kLatestCheckableOpset = 17;  // libonnx 1.12

Error unsupported(const std::string& message) {
  return Error(ExitCode::kUnsupportedOps, message);
}

std::string needs(const std::string& what, int needed, int requested) {
  return what + " needs opset " + std::to_string(needed) + " (requested " +
         std::to_string(requested) + ")";
}

bool is_default_value(const ir::Attribute& a) {
  if (auto* i = std::get_if<int64_t>(&a)) return *i == 0;
  if (auto* s = std::get_if<std::string>(&a)) return *s == "none";
  return false;
}

// The opset from which the IR attribute `key` of `op` is an input of the ONNX op (0: never).
int input_from(std::string_view op, std::string_view key) {
  const ir::ops::OpDef* def = ir::ops::find(op);
  const ir::ops::AttrSpec* spec = def ? def->attr(key) : nullptr;
  return spec ? spec->onnx_input_from : 0;
}

// Reduce ops that keep `axes` as an attribute up to opset 17 (ReduceSum moved it at 13).
bool is_attribute_axes_reduce(std::string_view op) {
  return op != "ReduceSum" && input_from(op, "axes") > kLatestCheckableOpset;
}

std::vector<double> attr_doubles(const Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return {};
  if (auto* v = std::get_if<std::vector<double>>(&it->second)) return *v;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second))
    return std::vector<double>(v->begin(), v->end());
  if (auto* v = std::get_if<double>(&it->second)) return {*v};
  if (auto* v = std::get_if<int64_t>(&it->second)) return {static_cast<double>(*v)};
  return {};
}

std::optional<double> attr_double(const Node& n, const std::string& key) {
  if (!n.has(key)) return std::nullopt;
  auto v = attr_doubles(n, key);
  if (v.size() != 1) return std::nullopt;
  return v[0];
}

bool integral(double d) {
  return std::isfinite(d) && d == std::floor(d);
}

// Writes one IR attribute, converting between int and float forms where the op's schema wants
// the other one (frontends are not always careful about 2 vs 2.0).
void set_attribute(::onnx::AttributeProto* out, const std::string& key, const ir::Attribute& value,
                   const ::onnx::OpSchema* schema) {
  using AP = ::onnx::AttributeProto;
  out->set_name(key);
  std::optional<AP::AttributeType> want;
  if (schema) {
    auto it = schema->attributes().find(key);
    if (it != schema->attributes().end()) want = it->second.type;
  }
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          if (want == AP::FLOAT) {
            out->set_type(AP::FLOAT);
            out->set_f(static_cast<float>(v));
          } else {
            out->set_type(AP::INT);
            out->set_i(v);
          }
        } else if constexpr (std::is_same_v<T, double>) {
          if (want == AP::INT && integral(v)) {
            out->set_type(AP::INT);
            out->set_i(static_cast<int64_t>(v));
          } else {
            out->set_type(AP::FLOAT);
            out->set_f(static_cast<float>(v));
          }
        } else if constexpr (std::is_same_v<T, std::string>) {
          out->set_type(AP::STRING);
          out->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          if (want == AP::FLOATS) {
            out->set_type(AP::FLOATS);
            for (int64_t x : v) out->add_floats(static_cast<float>(x));
          } else {
            out->set_type(AP::INTS);
            for (int64_t x : v) out->add_ints(x);
          }
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          if (want == AP::INTS && std::all_of(v.begin(), v.end(), integral)) {
            out->set_type(AP::INTS);
            for (double x : v) out->add_ints(static_cast<int64_t>(x));
          } else {
            out->set_type(AP::FLOATS);
            for (double x : v) out->add_floats(static_cast<float>(x));
          }
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          out->set_type(AP::STRINGS);
          for (const auto& s : v) out->add_strings(s);
        } else if constexpr (std::is_same_v<T, Tensor>) {
          out->set_type(AP::TENSOR);
          fill_tensor(out->mutable_t(), v, "");
        }
      },
      value);
}

class NodeEmitter {
 public:
  NodeEmitter(const Node& node, GraphWriter& w)
      : n_(node), w_(w), schema_(::onnx::OpSchemaRegistry::Schema(node.op, w.opset(), "")) {}

  void run() {
    const std::string& op = n_.op;
    int opset = w_.opset();
    if (op == "Squeeze" || op == "Unsqueeze") {
      moved_to_input("axes", input_from(op, "axes"));
    } else if (op == "ReduceSum") {
      reduce_sum();
    } else if (op == "Split") {
      moved_to_input("split", input_from(op, "split"));
    } else if (is_attribute_axes_reduce(op)) {
      axes_stay_attribute();
    } else if (op == "Clip") {
      clip();
    } else if (op == "Pad") {
      pad();
    } else if (op == "Resize") {
      resize();
    } else if ((op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") && opset < 13) {
      old_softmax();
    } else if (op == "RoiAlign" && opset < 16) {
      roi_align_before_16();
    } else if (op == "If" || op == "Loop") {
      control_flow();
    } else {
      plain();
    }
  }

 private:
  const Node& n_;
  GraphWriter& w_;
  const ::onnx::OpSchema* schema_;

  std::string name_of(const Value* v) { return w_.name_of(v); }

  // A NodeProto for this IR node with its outputs and every attribute except `skip`.
  ::onnx::NodeProto* start(const std::vector<std::string>& inputs,
                           std::initializer_list<std::string_view> skip = {}) {
    ::onnx::NodeProto* p = w_.add_node(n_.op, n_.name);
    if (!n_.source.empty()) p->set_doc_string(n_.source);
    std::vector<std::string> in = inputs;
    while (!in.empty() && in.back().empty()) in.pop_back();  // omitted trailing optionals
    for (const auto& s : in) p->add_input(s);
    for (const Value* v : n_.outputs) p->add_output(name_of(v));
    for (const auto& [key, value] : n_.attrs) {
      if (std::find(skip.begin(), skip.end(), key) != skip.end()) continue;
      if (drop_late_attribute(key, value)) continue;
      if (n_.op == "Cast" && key == "to" && std::holds_alternative<int64_t>(value)) {
        // The IR names Cast's target with its own DType; ONNX wants TensorProto's data type.
        const auto to = static_cast<ir::DType>(std::get<int64_t>(value));
        set_attribute(p->add_attribute(), key, int64_t{onnx_elem_type(to)}, schema_);
        continue;
      }
      set_attribute(p->add_attribute(), key, value, schema_);
    }
    return p;
  }

  // An attribute that ONNX added to the op after the target opset: only its default can be
  // expressed, by leaving it out.
  bool drop_late_attribute(const std::string& key, const ir::Attribute& value) {
    const ir::ops::OpDef* def = ir::ops::find(n_.op);
    const ir::ops::AttrSpec* spec = def ? def->attr(key) : nullptr;
    if (!spec || spec->onnx_since <= w_.opset()) return false;
    if (is_default_value(value)) return true;
    throw unsupported(needs(n_.op + " with " + key, spec->onnx_since, w_.opset()) + " at node " +
                      n_.name);
  }

  std::vector<std::string> input_names(size_t count) {
    std::vector<std::string> out;
    for (size_t k = 0; k < count; ++k) out.push_back(name_of(n_.input(k)));
    return out;
  }

  std::string int64_initializer(const std::vector<int64_t>& values, const std::string& what) {
    return w_.add_initializer(Tensor::vector_int64(values), n_.name + "_" + what);
  }

  // The value of input k as ints when it is a constant; throws when it is computed at run time.
  std::vector<int64_t> constant_ints(size_t k, const std::string& what, int needed) {
    const Value* v = n_.input(k);
    if (!v->is_constant())
      throw unsupported(needs(n_.op + " with run-time " + what, needed, w_.opset()) + " at node " +
                        n_.name);
    return v->constant->to_int_vector();
  }

  void plain() { start(input_names(n_.inputs.size())); }

  // If/Loop: the IR's captured inputs become references from the subgraphs to the outer scope.
  void control_flow() {
    const size_t captures = static_cast<size_t>(n_.i("captures", 0));
    const size_t formal = n_.inputs.size() - captures;
    ::onnx::NodeProto* p =
        start(input_names(formal), {"captures", "then_branch", "else_branch", "body"});
    std::vector<std::string> outer;
    for (size_t k = formal; k < n_.inputs.size(); ++k) outer.push_back(name_of(n_.inputs[k]));
    for (const auto& [key, value] : n_.attrs) {
      const auto* graph = std::get_if<ir::Subgraph>(&value);
      if (!graph || !*graph) continue;
      ::onnx::AttributeProto* a = p->add_attribute();
      a->set_name(key);
      a->set_type(::onnx::AttributeProto::GRAPH);
      write_subgraph(**graph, (*graph)->inputs().size() - captures, outer, w_, a->mutable_g(),
                     n_.name + "_" + key);
    }
  }

  // RoiAlign before 16 has no coordinate_transformation_mode: its one mapping is what 16 calls
  // output_half_pixel; half_pixel (torchvision's aligned=True) cannot be expressed.
  void roi_align_before_16() {
    auto it = n_.attrs.find("coordinate_transformation_mode");
    const std::string* mode =
        it == n_.attrs.end() ? nullptr : std::get_if<std::string>(&it->second);
    if (mode && *mode != "output_half_pixel")
      throw unsupported(needs("RoiAlign with coordinate_transformation_mode=" + *mode +
                                  " (torchvision roi_align aligned=True)",
                              16, w_.opset()) +
                        " at node " + n_.name);
    start(input_names(n_.inputs.size()), {"coordinate_transformation_mode"});
  }

  // Squeeze/Unsqueeze axes and Split split: attributes before `since`, inputs from it on.
  void moved_to_input(const std::string& key, int since) {
    std::vector<std::string> in = {name_of(n_.input(0))};
    bool as_input = w_.opset() >= since;
    if (n_.input(1)) {
      if (as_input) {
        in.push_back(name_of(n_.input(1)));
        start(in, {key});
      } else {
        auto values = constant_ints(1, key, since);
        ::onnx::NodeProto* p = start(in, {key});
        set_attribute(p->add_attribute(), key, values, schema_);
      }
      return;
    }
    auto values = n_.ints(key);
    if (!n_.has(key) || values.empty()) {  // Squeeze of every 1-dim, Split into equal parts
      start(in, {key});
      return;
    }
    if (!as_input) {
      start(in);  // the attribute is copied as it is
      return;
    }
    in.push_back(int64_initializer(values, key));
    start(in, {key});
  }

  void reduce_sum() {
    int opset = w_.opset();
    std::vector<std::string> in = {name_of(n_.input(0))};
    if (opset >= 13) {  // axes is an optional input
      if (n_.input(1))
        in.push_back(name_of(n_.input(1)));
      else if (!n_.ints("axes").empty())
        in.push_back(int64_initializer(n_.ints("axes"), "axes"));
      start(in, {"axes"});
      return;
    }
    std::vector<int64_t> axes = n_.input(1) ? constant_ints(1, "axes", 13) : n_.ints("axes");
    // ReduceSum-11 has no noop_with_empty_axes: an empty axes list always reduces everything.
    if (n_.i("noop_with_empty_axes", 0) != 0 && axes.empty())
      throw unsupported(needs("ReduceSum with noop_with_empty_axes", 13, opset) + " at node " +
                        n_.name);
    ::onnx::NodeProto* p = start(in, {"axes", "noop_with_empty_axes"});
    if (!axes.empty()) set_attribute(p->add_attribute(), "axes", axes, schema_);
  }

  void axes_stay_attribute() {
    if (!n_.input(1)) {
      plain();
      return;
    }
    auto axes = constant_ints(1, "axes", 18);
    ::onnx::NodeProto* p = start({name_of(n_.input(0))}, {"axes"});
    if (!axes.empty()) set_attribute(p->add_attribute(), "axes", axes, schema_);
  }

  // A scalar of the data input's dtype, as Clip bounds and Pad's constant value must be.
  std::string scalar_like_input(double value, const std::string& what) {
    ir::DType dtype = n_.input(0) ? n_.input(0)->dtype : ir::DType::Float32;
    return w_.add_initializer(Tensor::scalar_of(dtype, value), n_.name + "_" + what);
  }

  void clip() {
    std::vector<std::string> in = {name_of(n_.input(0)), "", ""};
    const char* keys[] = {"min", "max"};
    for (size_t k = 1; k <= 2; ++k) {
      if (n_.input(k)) {
        in[k] = name_of(n_.input(k));
      } else if (auto v = attr_double(n_, keys[k - 1])) {
        in[k] = scalar_like_input(*v, keys[k - 1]);
      }
    }
    start(in, {"min", "max"});
  }

  void pad() {
    std::vector<std::string> in = {name_of(n_.input(0)), "", ""};
    if (n_.input(1))
      in[1] = name_of(n_.input(1));
    else if (n_.has("pads"))
      in[1] = int64_initializer(n_.ints("pads"), "pads");
    if (n_.input(2))
      in[2] = name_of(n_.input(2));
    else if (auto v = attr_double(n_, "value"))
      in[2] = scalar_like_input(*v, "value");
    start(in, {"pads", "value"});
  }

  std::string empty_float_initializer(const std::string& what) {
    return w_.add_initializer(Tensor(ir::DType::Float32, {0}), n_.name + "_" + what);
  }

  void resize() {
    // Resize(X, roi, scales, sizes). Resize-11 requires roi and scales to be present: empty
    // tensors stand in for the ones that do not apply.
    bool old = w_.opset() < 13;
    std::vector<std::string> in = {name_of(n_.input(0)), "", "", ""};
    for (size_t k = 1; k <= 3; ++k)
      if (n_.input(k)) in[k] = name_of(n_.input(k));
    if (in[2].empty() && n_.has("scales")) {
      auto scales = attr_doubles(n_, "scales");
      Tensor t(ir::DType::Float32, {static_cast<int64_t>(scales.size())});
      for (size_t k = 0; k < scales.size(); ++k) t.data<float>()[k] = static_cast<float>(scales[k]);
      in[2] = w_.add_initializer(t, n_.name + "_scales");
    }
    if (in[3].empty() && n_.has("sizes")) in[3] = int64_initializer(n_.ints("sizes"), "sizes");
    if (old) {
      if (in[1].empty()) in[1] = empty_float_initializer("roi");
      if (in[2].empty()) in[2] = empty_float_initializer("scales");
    }
    start(in, {"scales", "sizes", "roi"});
  }

  // Before opset 13, Softmax flattens to 2-D at `axis`: the same as opset 13 only for the last
  // axis. Other axes are moved last with a Transpose and back.
  void old_softmax() {
    int64_t axis = n_.i("axis", -1);
    const Value* x = n_.input(0);
    std::optional<int64_t> rank;
    if (x && x->shape) rank = static_cast<int64_t>(x->shape->size());
    bool last = axis == -1 || (rank && axis == *rank - 1);
    if (last) {
      ::onnx::NodeProto* p = start({name_of(x)}, {"axis"});
      set_attribute(p->add_attribute(), "axis", int64_t{-1}, schema_);
      return;
    }
    // The legalize-onnx-opset pass moves the axis last first: lowering is done there only.
    throw unsupported(needs(n_.op + " over a non-last axis", 13, w_.opset()) + " at node " +
                      n_.name + " (the legalize-onnx-opset pass rewrites it)");
  }
};

}  // namespace

int onnx_elem_type(ir::DType dtype) {
  using T = ::onnx::TensorProto;
  switch (dtype) {
    case ir::DType::Float32:
      return T::FLOAT;
    case ir::DType::Float16:
      return T::FLOAT16;
    case ir::DType::Float64:
      return T::DOUBLE;
    case ir::DType::BFloat16:
      return T::BFLOAT16;
    case ir::DType::Int8:
      return T::INT8;
    case ir::DType::UInt8:
      return T::UINT8;
    case ir::DType::Int16:
      return T::INT16;
    case ir::DType::Int32:
      return T::INT32;
    case ir::DType::Int64:
      return T::INT64;
    case ir::DType::Bool:
      return T::BOOL;
  }
  return T::UNDEFINED;
}

void fill_tensor(::onnx::TensorProto* out, const Tensor& tensor, const std::string& name) {
  size_t expected = static_cast<size_t>(tensor.numel()) * ir::dtype_size(tensor.dtype);
  if (tensor.nbytes() != expected)
    throw Error(ExitCode::kInternal, "constant %" + name + " holds " +
                                         std::to_string(tensor.nbytes()) + " bytes, its shape " +
                                         ir::shape_to_string(tensor.shape) + " needs " +
                                         std::to_string(expected));
  if (!name.empty()) out->set_name(name);
  out->set_data_type(onnx_elem_type(tensor.dtype));
  for (int64_t d : tensor.shape) out->add_dims(d);
  // Bool is one byte per element in the IR as in raw_data; float16/bfloat16 keep their bits.
  if (expected > 0) out->set_raw_data(reinterpret_cast<const char*>(tensor.raw()), expected);
}

std::string GraphWriter::fresh(const std::string& hint) {
  std::string base = hint.empty() ? "v" : hint;
  std::string name = base;
  for (int k = 1; used_values_->count(name); ++k) name = base + "_" + std::to_string(k);
  used_values_->insert(name);
  return name;
}

std::string GraphWriter::name_of(const ir::Value* v) const {
  if (!v) return "";
  auto it = renamed_.find(v);
  return it != renamed_.end() ? it->second : v->name;
}

std::string GraphWriter::add_initializer(const Tensor& tensor, const std::string& hint) {
  std::string name = fresh(hint);
  fill_tensor(graph_->add_initializer(), tensor, name);
  return name;
}

::onnx::NodeProto* GraphWriter::add_node(const std::string& op, const std::string& name_hint) {
  std::string name = name_hint.empty() ? op : name_hint;
  for (int k = 1; used_nodes_.count(name); ++k) name = name_hint + "_" + std::to_string(k);
  used_nodes_.insert(name);
  ::onnx::NodeProto* p = graph_->add_node();
  p->set_op_type(op);
  p->set_name(name);
  return p;
}

void emit_node(const Node& node, GraphWriter& writer) {
  NodeEmitter(node, writer).run();
}

int min_opset_for(const std::string& op) {
  if (const ir::ops::OpDef* def = ir::ops::find(op)) return def->onnx_since;
  // An op carried through from an ONNX file: the first opset that libonnx has a schema for.
  if (!::onnx::OpSchemaRegistry::Schema(op, kLatestCheckableOpset, "")) return 0;
  for (int v = 1; v <= kLatestCheckableOpset; ++v)
    if (::onnx::OpSchemaRegistry::Schema(op, v, "")) return v;
  return 0;
}

std::string unavailable_ops_report(const ir::Graph& graph, int opset) {
  struct Miss {
    std::string op;
    int needed;
    int count;
  };
  std::vector<Miss> misses;
  std::function<void(const ir::Graph&)> scan = [&](const ir::Graph& g) {
    for (const auto& n : g.nodes()) {
      for (const ir::Graph* sub : n->subgraphs()) scan(*sub);
      int needed = min_opset_for(n->op);
      if (needed <= opset) continue;
      auto it =
          std::find_if(misses.begin(), misses.end(), [&](const Miss& m) { return m.op == n->op; });
      if (it == misses.end())
        misses.push_back({n->op, needed, 1});
      else
        ++it->count;
    }
  };
  scan(graph);
  std::string report;
  for (const auto& m : misses) {
    if (!report.empty()) report += "; ";
    report += needs(m.op, m.needed, opset);
    if (m.count > 1) report += " [" + std::to_string(m.count) + " nodes]";
  }
  return report;
}

}  // namespace mlexport::emit::onnx
