// The GraphProto of an If branch or a Loop body.
#include <set>

#include "emit/onnx/opset_adapt.h"

namespace mlexport::emit::onnx {

void set_value_info(::onnx::ValueInfoProto* out, const ir::Value& v, const std::string& name) {
  out->set_name(name);
  auto* tensor = out->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx_elem_type(v.dtype));
  if (!v.shape) return;
  auto* shape = tensor->mutable_shape();  // present even for scalars (rank 0)
  for (const ir::Dim& d : *v.shape) {
    auto* dim = shape->add_dim();
    if (d.is_fixed())
      dim->set_dim_value(d.size);
    else if (!d.symbol.empty())
      dim->set_dim_param(d.symbol);
  }
}

namespace {

// Rank and element type only: the IR's sizes inside a subgraph are those of the recorded run, and
// a branch or an iteration may see others.
void set_rank_only(::onnx::ValueInfoProto* out, const ir::Value& v, const std::string& name) {
  set_value_info(out, v, name);
  auto* tensor = out->mutable_type()->mutable_tensor_type();
  if (!tensor->has_shape()) return;
  for (auto& dim : *tensor->mutable_shape()->mutable_dim()) dim.Clear();
}

}  // namespace

void write_subgraph(const ir::Graph& graph, size_t formal,
                    const std::vector<std::string>& outer_names, const GraphWriter& parent,
                    ::onnx::GraphProto* out, const std::string& name) {
  out->set_name(name);
  GraphWriter w(out, parent);
  // Every name is made unique across the model: ONNX forbids a subgraph to reuse a name of its
  // enclosing scopes.
  const auto& inputs = graph.inputs();
  for (size_t k = 0; k < inputs.size(); ++k) {
    const ir::Value* v = inputs[k];
    if (k < formal) {
      w.rename(v, w.fresh(name + "/" + v->name));
      set_rank_only(out->add_input(), *v, w.name_of(v));
    } else {
      w.rename(v, outer_names.at(k - formal));
    }
  }
  for (const ir::Value* v : graph.constants()) {
    w.rename(v, w.fresh(name + "/" + v->name));
    fill_tensor(out->add_initializer(), *v->constant, w.name_of(v));
  }
  for (const auto& n : graph.nodes())
    for (const ir::Value* v : n->outputs) w.rename(v, w.fresh(name + "/" + v->name));
  for (const auto& n : graph.nodes()) emit_node(*n, w);

  // An output must be made by a node of this graph, once: inputs, outer values, constants and
  // repeats go through an Identity.
  std::set<const ir::Value*> seen;
  for (const ir::Value* v : graph.outputs()) {
    std::string out_name = w.name_of(v);
    if (!v->producer || !seen.insert(v).second) {
      out_name = w.fresh(name + "/output");
      ::onnx::NodeProto* id = w.add_node("Identity", name + "/output");
      id->add_input(w.name_of(v));
      id->add_output(out_name);
    }
    set_rank_only(out->add_output(), *v, out_name);
  }
}

}  // namespace mlexport::emit::onnx
