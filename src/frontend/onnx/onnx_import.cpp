#include "frontend/onnx/onnx_import.h"

#include <onnx/defs/schema.h>

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "frontend/onnx/attributes.h"
#include "frontend/onnx/dynamic_batch.h"
#include "frontend/onnx/import_context.h"
#include "frontend/onnx/model_file.h"
#include "frontend/onnx/op_rules.h"
#include "frontend/onnx/shape_inference.h"
#include "frontend/onnx/tensors.h"
#include "ir/ops/infer.h"
#include "ir/ops/op_def.h"
#include "ir/verifier.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

namespace {

constexpr int kIrOpset = 17;  // the IR's operator semantics
// Initializers up to this size stay in the proto during shape inference, so that data
// propagation can read shape tensors; larger ones leave it (they are IR tensors by then).
constexpr size_t kKeptForInference = 1024;

class Importer {
 public:
  Importer(ModelFile& file, int opset, ir::Graph& graph)
      : file_(file), path_(file.path.string()), ctx_(graph, opset), external_(file.folder) {}

  void run(const ImportOptions& options) {
    ::onnx::GraphProto& g = *file_.proto.mutable_graph();
    for (const auto& t : g.initializer()) initializer_names_.insert(t.name());
    if (options.dynamic_batch) make_batch_dynamic(g, initializer_names_);
    read_initializers(g);
    check_names_defined(g);
    types_ = infer_types(file_.proto);
    create_values();
    mark_uses();
    for (const auto& node : g.node()) import_node(node);
    infer_ir_op_shapes();
    mark_outputs(options.dynamic_batch);
    for (const auto& prop : file_.proto.metadata_props())
      ctx_.graph().metadata[prop.key()] = prop.value();
    if (ctx_.has_unsupported()) throw UnsupportedOpsError(ctx_.unsupported_ops());
    rename_io(options);
    if (auto problems = ir::verify_graph(ctx_.graph()); !problems.empty())
      throw Error(ExitCode::kInternal, path_ + ": the imported graph is invalid: " + problems[0]);
  }

 private:
  ModelFile& file_;
  std::string path_;
  ImportContext ctx_;
  ExternalData external_;
  std::set<std::string> initializer_names_;
  std::map<std::string, ir::Tensor> initializers_;
  TypeMap types_;
  std::map<std::string, ir::Value*> values_;  // every named value of the model
  std::set<const ir::Value*> defined_;        // values available to the next node

  ir::Graph& graph() { return ctx_.graph(); }

  void read_initializers(::onnx::GraphProto& g) {
    for (auto& t : *g.mutable_initializer()) {
      try {
        const std::string what = path_ + ": initializer '" + t.name() + "'";
        if (!initializers_.emplace(t.name(), tensor_from_proto(t, external_, what)).second)
          throw bad_input(what + " is defined twice");
      } catch (const Error& e) {
        if (e.code() != ExitCode::kUnsupportedOps) throw;
        ctx_.unsupported(onnx_dtype_name(t.data_type()) + " tensors", t.name(), "an initializer");
      }
      release_tensor_data(t, kKeptForInference);
    }
    for (const auto& t : g.sparse_initializer())
      ctx_.unsupported("sparse initializers", t.values().name(), "");
  }

  // libonnx 1.12's shape inference dereferences the type of a node input that nothing defines
  // (a missing initializer, a cycle, nodes out of order) or that has no type: such a file is
  // refused before it runs.
  void check_names_defined(const ::onnx::GraphProto& g) const {
    std::set<std::string> defined = initializer_names_;
    for (const auto& vi : g.input()) defined.insert(vi.name());
    for (const auto& node : g.node()) {
      for (const auto& name : node.input())
        if (!name.empty() && !defined.count(name)) throw undefined_input(node, name);
      defined.insert(node.output().begin(), node.output().end());
    }
    for (const auto& vi : g.input())
      if (!vi.has_type() && !initializer_names_.count(vi.name()))
        throw bad_input(path_ + ": graph input '" + printable(vi.name()) + "' has no type");
  }

  // A name from the file, safe to quote in a one-line message.
  static std::string printable(const std::string& name) {
    std::string out = name.substr(0, 80);
    for (char& c : out)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return name.size() > 80 ? out + "..." : out;
  }

  Error undefined_input(const ::onnx::NodeProto& node, const std::string& name) const {
    return bad_input(path_ + ": " + where(node) + " reads '" + printable(name) +
                     "', which no input, initializer or earlier node defines");
  }

  ir::Value* add_named(const std::string& name, ir::Value* v) {
    if (name.empty()) throw bad_input(path_ + ": a graph input or initializer has no name");
    if (v->name != name)
      throw Error(ExitCode::kInternal, path_ + ": value '" + name + "' was renamed " + v->name);
    values_[name] = v;
    return v;
  }

  // Values for every name of the model, created before any helper value so that each keeps
  // its ONNX name.
  void create_values() {
    const ::onnx::GraphProto& g = file_.proto.graph();
    std::set<std::string> input_names;
    for (const auto& vi : g.input()) {
      if (!input_names.insert(vi.name()).second)
        throw bad_input(path_ + ": graph input '" + vi.name() + "' is listed twice");
      if (initializer_names_.count(vi.name())) continue;  // a constant with a default value
      const ValueType t = types_[vi.name()];
      if (!t.is_tensor)
        ctx_.unsupported("non-tensor graph inputs", vi.name(),
                         "sequences and maps have no IR form");
      else if (!t.dtype)
        ctx_.unsupported(onnx_dtype_name(t.elem_type) + " tensors", vi.name(), "a graph input");
      ir::Value* v = graph().add_input(vi.name(), t.dtype.value_or(ir::DType::Float32),
                                       t.shape.value_or(ir::Shape{}));
      v->shape = t.shape;
      defined_.insert(add_named(vi.name(), v));
    }
    for (auto& [name, tensor] : initializers_)
      defined_.insert(add_named(name, graph().add_constant(tensor, name)));
    for (const auto& name : initializer_names_)  // an initializer of a dtype the IR lacks
      if (!values_.count(name))
        defined_.insert(add_named(name, graph().new_value(name, ir::DType::Float32)));
    for (const auto& node : g.node()) {
      for (const auto& name : node.output()) {
        if (name.empty()) continue;
        if (values_.count(name))
          throw bad_input(path_ + ": value '" + name + "' is defined twice (again by node '" +
                          node.name() + "')");
        const ValueType t = types_[name];
        add_named(name, graph().new_value(name, t.dtype.value_or(ir::DType::Float32), t.shape));
      }
    }
  }

  // The IR's ops take their shapes from the registry, their one definition. libonnx's inference
  // (infer_types) types the file's inputs, and the ops the IR does not define, which go through
  // to ONNX unchanged.
  void infer_ir_op_shapes() {
    for (const auto& n : graph().nodes()) {
      const ir::ops::OpDef* def = ir::ops::find(n->op);
      if (!def || !def->shape) continue;
      for (ir::Value* out : n->outputs)
        if (!out->is_constant()) out->shape.reset();
    }
    const ir::ops::ShapeMap shapes = ir::ops::infer_shapes(graph());
    for (const auto& n : graph().nodes())
      for (size_t k = 0; k < n->outputs.size(); ++k) {
        ir::Value* out = n->outputs[k];
        if (out->shape) continue;
        if (auto it = shapes.find(out); it != shapes.end()) out->shape = it->second;
        if (auto dtype = ir::ops::infer_type(*n, k)) out->dtype = *dtype;
      }
  }

  void mark_uses() {
    const ::onnx::GraphProto& g = file_.proto.graph();
    for (const auto& node : g.node())
      for (const auto& name : node.input())
        if (auto it = values_.find(name); it != values_.end()) ctx_.mark_used(it->second);
    for (const auto& vi : g.output())
      if (auto it = values_.find(vi.name()); it != values_.end()) ctx_.mark_used(it->second);
  }

  std::string where(const ::onnx::NodeProto& node) const {
    if (node.name().empty()) return "an unnamed " + printable(node.op_type()) + " node";
    return "node '" + printable(node.name()) + "' (" + printable(node.op_type()) + ")";
  }

  NodeDraft draft_of(const ::onnx::NodeProto& node) {
    NodeDraft d;
    d.op = node.op_type();
    d.name = ctx_.node_name(node.name(), node.op_type());
    d.source = node.doc_string();
    for (const auto& name : node.input()) {
      if (name.empty()) {
        d.inputs.push_back(nullptr);
        continue;
      }
      auto it = values_.find(name);
      if (it == values_.end() || !defined_.count(it->second)) throw undefined_input(node, name);
      d.inputs.push_back(it->second);
    }
    for (const auto& name : node.output()) {
      ir::Value* v = name.empty() ? nullptr : values_.at(name);
      if (v) defined_.insert(v);
      d.outputs.push_back(v);
    }
    return d;
  }

  // False (and reported) when an output is a sequence, a map or a dtype the IR lacks.
  bool outputs_are_tensors(const ::onnx::NodeProto& node, const NodeDraft& d) {
    for (const auto& name : node.output()) {
      if (name.empty()) continue;
      const ValueType& t = types_[name];
      if (t.known && !t.is_tensor) {
        ctx_.unsupported(d, "output '" + name + "' is not a tensor");
        return false;
      }
      if (t.is_tensor && !t.dtype && t.elem_type != ::onnx::TensorProto::UNDEFINED) {
        ctx_.unsupported(d, "output '" + name + "' is a " + onnx_dtype_name(t.elem_type) +
                                " tensor, which has no IR dtype");
        return false;
      }
    }
    return true;
  }

  bool convert_attributes(const ::onnx::NodeProto& node, NodeDraft& d) {
    for (const auto& a : node.attribute()) {
      std::string why;
      std::optional<ir::Attribute> value;
      try {
        value = attribute_from_proto(a, external_, path_ + ": " + where(node), &why);
      } catch (const Error& e) {
        if (e.code() != ExitCode::kUnsupportedOps) throw;
        why = first_line(e.what());
      }
      if (!value) {
        ctx_.unsupported(d, why);
        return false;
      }
      d.attrs[a.name()] = std::move(*value);
    }
    return true;
  }

  void import_node(const ::onnx::NodeProto& node) {
    NodeDraft d = draft_of(node);
    if (!is_default_domain(node.domain())) {
      const bool ml = node.domain() == "ai.onnx.ml";
      ctx_.unsupported(node.domain() + "::" + node.op_type(), d.name,
                       ml ? "ONNX-ML operators are not supported"
                          : "an operator of the custom domain '" + node.domain() + "'");
      return;
    }
    if (const char* why = unrepresentable_op(d.op)) return ctx_.unsupported(d, why);
    const ::onnx::OpSchema* schema = ::onnx::OpSchemaRegistry::Schema(d.op, ctx_.opset(), "");
    if (!schema)
      return ctx_.unsupported(d, "not an operator of ONNX opset " + std::to_string(ctx_.opset()));
    check_arity(node, *schema);
    if (!convert_attributes(node, d) || !outputs_are_tensors(node, d)) return;
    if (d.op == "Constant") return constant_node(d);
    if (!apply_op_rule(d, ctx_)) return;
    const ::onnx::OpSchema* latest = ::onnx::OpSchemaRegistry::Schema(d.op, kIrOpset, "");
    if (!latest)
      return ctx_.unsupported(d, "no opset-" + std::to_string(kIrOpset) + " form of " + d.op);
    for (const auto& [key, value] : d.attrs)
      if (!latest->attributes().count(key) && !is_ir_attribute(d.op, key))
        return ctx_.unsupported(d, "attribute '" + key + "' has no opset-17 form");
    ctx_.finish(d);
  }

  // Input and output counts within the schema's, required inputs present: the op rules rely on it.
  void check_arity(const ::onnx::NodeProto& node, const ::onnx::OpSchema& schema) const {
    auto refuse = [&](const std::string& what, int count, int low, int high) {
      return bad_input(path_ + ": " + where(node) + " has " + std::to_string(count) + " " + what +
                       "; " + node.op_type() + "-" + std::to_string(schema.since_version()) +
                       " takes " + std::to_string(low) +
                       (high == low       ? ""
                        : high == INT_MAX ? " or more"
                                          : " to " + std::to_string(high)));
    };
    if (node.input_size() < schema.min_input() || node.input_size() > schema.max_input())
      throw refuse("inputs", node.input_size(), schema.min_input(), schema.max_input());
    if (node.output_size() < schema.min_output() || node.output_size() > schema.max_output())
      throw refuse("outputs", node.output_size(), schema.min_output(), schema.max_output());
    const auto& formal = schema.inputs();
    for (int k = 0; k < node.input_size() && k < static_cast<int>(formal.size()); ++k)
      if (node.input(k).empty() && formal[static_cast<size_t>(k)].GetOption() ==
                                       ::onnx::OpSchema::FormalParameterOption::Single)
        throw bad_input(path_ + ": " + where(node) + " leaves its required input '" +
                        formal[static_cast<size_t>(k)].GetName() + "' empty");
  }

  // A Constant node's output is an IR constant (as an initializer is).
  void constant_node(NodeDraft& d) {
    ir::Tensor t;
    auto has = [&](const char* key) { return d.attrs.count(key) != 0; };
    if (has("value") && std::holds_alternative<ir::Tensor>(d.attrs.at("value"))) {
      t = std::get<ir::Tensor>(d.attrs.at("value"));
    } else if (has("value_float")) {
      t = ir::Tensor::scalar_of(ir::DType::Float32, d.double_attr("value_float", 0));
    } else if (has("value_int")) {
      t = ir::Tensor::scalar_int64(d.int_attr("value_int", 0));
    } else if (auto ints = d.ints_attr("value_ints")) {
      t = ir::Tensor::vector_int64(*ints);
    } else if (has("value_floats") &&
               std::holds_alternative<std::vector<double>>(d.attrs.at("value_floats"))) {
      const auto& floats = std::get<std::vector<double>>(d.attrs.at("value_floats"));
      t = ir::Tensor(ir::DType::Float32, {static_cast<int64_t>(floats.size())});
      for (size_t k = 0; k < floats.size(); ++k) t.data<float>()[k] = static_cast<float>(floats[k]);
    } else {
      return ctx_.unsupported(d, "a constant that is not a numeric tensor");
    }
    ir::Value* out = d.outputs.empty() ? nullptr : d.outputs[0];
    if (!out) return;
    out->dtype = t.dtype;
    out->shape = ir::fixed_shape(t.shape);
    out->constant = std::move(t);
  }

  void mark_outputs(bool dynamic_batch) {
    const ::onnx::GraphProto& g = file_.proto.graph();
    std::set<ir::Value*> marked;
    for (int k = 0; k < g.output_size(); ++k) {
      const std::string& name = g.output(k).name();
      auto it = values_.find(name);
      if (it == values_.end() || !defined_.count(it->second))
        throw bad_input(path_ + ": graph output '" + name + "' is never computed");
      ir::Value* v = it->second;
      // A graph input or a repeated output gets its own Identity, named after it: value names
      // stay unique (the input keeps the name).
      const bool is_input =
          std::find(graph().inputs().begin(), graph().inputs().end(), v) != graph().inputs().end();
      if (is_input || marked.count(v)) {
        ir::Node* id = graph().add_node("Identity", {v});
        id->name = ctx_.node_name(name + "_output", "Identity");
        ir::Value* copy = id->outputs[0];
        copy->name = graph().unique_name(name);
        copy->dtype = v->dtype;
        copy->shape = v->shape;
        v = copy;
      }
      marked.insert(v);
      // Shape inference may have pinned an output's dim 0 again (a Reshape to a fixed size):
      // the output still says what was asked for, and validation at another batch size tells.
      if (dynamic_batch && v->shape && !v->shape->empty() && (*v->shape)[0].is_fixed())
        (*v->shape)[0] = ir::Dim::named(batch_symbol_for_output(k));
      graph().mark_output(v);
    }
  }

  std::string batch_symbol_for_output(int k) const {
    const auto& vi = file_.proto.graph().output(k);
    const auto& shape = vi.type().tensor_type().shape();
    if (shape.dim_size() > 0 && shape.dim(0).has_dim_param()) return shape.dim(0).dim_param();
    return "batch_size";
  }

  // Every value of the graph, for renames that must not clash.
  std::vector<ir::Value*> all_values() {
    std::vector<ir::Value*> out(graph().inputs().begin(), graph().inputs().end());
    for (ir::Value* v : graph().constants()) out.push_back(v);
    for (const auto& n : graph().nodes())
      for (ir::Value* v : n->outputs) out.push_back(v);
    return out;
  }

  void rename(ir::Value* v, const std::string& name) {
    if (name.empty() || v->name == name) return;
    for (ir::Value* other : all_values())
      if (other != v && other->name == name) other->name = graph().unique_name(name);
    v->name = name;
  }

  void rename_io(const ImportOptions& options) {
    if (options.input_names.size() > graph().inputs().size())
      throw bad_input(std::to_string(options.input_names.size()) +
                      " input names given but the model takes " +
                      std::to_string(graph().inputs().size()) + " input(s)");
    if (options.output_names.size() > graph().outputs().size())
      throw bad_input(std::to_string(options.output_names.size()) +
                      " output names given but the model has " +
                      std::to_string(graph().outputs().size()) + " output(s)");
    for (size_t k = 0; k < options.input_names.size(); ++k)
      rename(graph().inputs()[k], options.input_names[k]);
    for (size_t k = 0; k < options.output_names.size(); ++k)
      rename(graph().outputs()[k], options.output_names[k]);
  }
};

}  // namespace

OnnxImport import_onnx(const std::string& path, const ImportOptions& options) {
  ModelFile file = load_model_file(path);
  OnnxImport result;
  result.opset = default_opset(file);
  result.producer = file.proto.producer_name();
  if (!file.proto.producer_version().empty())
    result.producer += " " + file.proto.producer_version();
  result.graph = std::make_unique<ir::Graph>();
  Importer(file, result.opset, *result.graph).run(options);
  return result;
}

}  // namespace mlexport::frontend::onnx
