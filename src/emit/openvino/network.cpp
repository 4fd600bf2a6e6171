// One IR graph as one OpenVINO network: the model itself, or a body of If or Loop.
#include "emit/openvino/translate.h"

namespace mlexport::emit::openvino {

NetworkPorts translate_network(const ir::Graph& graph, Builder& b, const OpenVinoOptions& options,
                               const std::vector<Dims>* input_dims) {
  ShapeMap shapes = resolve_shapes(graph);
  const auto& inputs = graph.inputs();
  if (input_dims) {
    if (input_dims->size() != inputs.size())
      throw internal_error("a body has " + std::to_string(inputs.size()) + " inputs, given " +
                           std::to_string(input_dims->size()) + " shapes");
    for (size_t k = 0; k < inputs.size(); ++k) shapes[inputs[k]] = (*input_dims)[k];
  }
  Context ctx(b, std::move(shapes), options);
  NetworkPorts ports;
  for (const ir::Value* v : inputs) {
    if (!ctx.has_dims(v))
      throw bad_input("graph input %" + v->name + " has an unknown rank; OpenVINO IR needs one");
    OutRef parameter = b.parameter(v->name, v->dtype, ctx.dims(v));
    ctx.bind(v, parameter);
    ports.parameters.push_back(parameter.layer);
  }
  for (const auto& n : graph.nodes()) op_table().at(n->op)(*n, ctx);
  if (graph.outputs().empty()) throw internal_error("the graph has no outputs");
  for (const ir::Value* v : graph.outputs())
    ports.results.push_back(b.result(ctx.value(v), v->name));
  return ports;
}

}  // namespace mlexport::emit::openvino
