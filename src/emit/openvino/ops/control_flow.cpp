// If and Loop: IR subgraphs become OpenVINO body networks. The IR's closed subgraphs map onto
// port maps directly: every capture is an outer input that a body Parameter receives.
#include <algorithm>

#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

PortMapEntry map_input(int64_t external, int internal) {
  return {false,
          {{"external_port_id", std::to_string(external)},
           {"internal_layer_id", std::to_string(internal)}}};
}

PortMapEntry map_output(int64_t external, int internal) {
  return {true,
          {{"external_port_id", std::to_string(external)},
           {"internal_layer_id", std::to_string(internal)}}};
}

// The dims of what body Result `result` returns.
const Dims& result_dims(Builder& net, int result) {
  return net.info(net.layer(result).inputs.at(0)).dims;
}

// A dim both branches agree on stays; any other is dynamic.
Dims merge_dims(const Dims& a, const Dims& b, const ir::Node& n, size_t k) {
  if (a.size() != b.size())
    throw unsupported_variant(
        n, "whose branches give output " + std::to_string(k) + " with different ranks");
  Dims out(a.size());
  for (size_t d = 0; d < a.size(); ++d) out[d] = a[d] == b[d] ? a[d] : -1;
  return out;
}

Dims rank_only(size_t rank) {
  return Dims(rank, -1);
}

}  // namespace

// If(cond, captures...) -> If-8: input 0 is the condition, input k the k-th capture, mapped to
// Parameter k-1 of both bodies; output j is Result j of either body (external ids count outputs).
void translate_if(const ir::Node& n, Context& ctx) {
  const ir::Graph* then_graph = n.subgraph("then_branch");
  const ir::Graph* else_graph = n.subgraph("else_branch");
  if (!then_graph || !else_graph) throw internal_error(n.name + " lacks a branch");
  std::vector<OutRef> inputs = {ctx.in(n, 0)};
  if (ctx.dtype(inputs[0]) != ir::DType::Bool)
    throw unsupported_variant(n, "with a condition that is not boolean");
  std::vector<Dims> capture_dims;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    inputs.push_back(ctx.in(n, k));
    capture_dims.push_back(ctx.dims(inputs.back()));
  }
  Body then_body{"then_body", "then_port_map", ctx.b.body(), {}, {}};
  Body else_body{"else_body", "else_port_map", ctx.b.body(), {}, {}};
  const NetworkPorts then_ports =
      translate_network(*then_graph, *then_body.net, ctx.options(), &capture_dims);
  const NetworkPorts else_ports =
      translate_network(*else_graph, *else_body.net, ctx.options(), &capture_dims);
  for (size_t k = 0; k < capture_dims.size(); ++k) {
    then_body.port_map.push_back(map_input(static_cast<int64_t>(k) + 1, then_ports.parameters[k]));
    else_body.port_map.push_back(map_input(static_cast<int64_t>(k) + 1, else_ports.parameters[k]));
  }
  std::vector<PortInfo> outputs;
  for (size_t j = 0; j < n.outputs.size(); ++j) {
    then_body.port_map.push_back(map_output(static_cast<int64_t>(j), then_ports.results.at(j)));
    else_body.port_map.push_back(map_output(static_cast<int64_t>(j), else_ports.results.at(j)));
    outputs.push_back({n.outputs[j]->dtype,
                       merge_dims(result_dims(*then_body.net, then_ports.results[j]),
                                  result_dims(*else_body.net, else_ports.results[j]), n, j),
                       ""});
  }
  auto refs = ctx.b.add("If", "opset8", n.name, inputs, {}, outputs);
  ctx.b.layer(refs.at(0).layer).bodies = {std::move(then_body), std::move(else_body)};
  for (size_t j = 0; j < refs.size(); ++j) ctx.bind_output(n, refs[j], j);
}

// Loop(M, cond, carried..., captures...) -> Loop-5. Inputs: trip count (-1 when M is omitted),
// execution condition (true when omitted), the carried values' initial values, the captures.
// Body Parameter 0 is the current iteration; Parameter 1, the condition, and the carried values
// are merged inputs whose back edges come from the body's Results; scan outputs are stacked by
// an Unsqueeze on axis 0 before their Result, which the Loop concatenates on axis 0.
void translate_loop(const ir::Node& n, Context& ctx) {
  const ir::Graph* body_graph = n.subgraph("body");
  if (!body_graph) throw internal_error(n.name + " lacks a body");
  const size_t captures = static_cast<size_t>(n.i("captures", 0));
  const size_t carried = n.inputs.size() - 2 - captures;
  const size_t scans = n.outputs.size() - carried;
  const auto& body_inputs = body_graph->inputs();

  OutRef trip = n.input(0) ? ctx.in(n, 0) : ctx.i64_scalar(-1, n.name + "/trip_count");
  OutRef cond = n.input(1) ? ctx.in(n, 1)
                           : ctx.b.constant(ir::Tensor::scalar_of(ir::DType::Bool, 1),
                                            n.name + "/execution_condition");
  if (ctx.dtype(trip) != ir::DType::Int64 && ctx.dtype(trip) != ir::DType::Int32)
    throw unsupported_variant(n, "with a trip count that is not an integer");
  if (ctx.dtype(cond) != ir::DType::Bool)
    throw unsupported_variant(n, "with a condition that is not boolean");
  std::vector<OutRef> inputs = {trip, cond};
  // The iteration number is a scalar (ONNX's and OpenVINO's alike); the condition keeps its rank.
  std::vector<Dims> body_dims = {
      Dims{}, rank_only(body_inputs.at(1)->shape ? body_inputs.at(1)->shape->size()
                                                 : ctx.dims(cond).size())};
  for (size_t k = 2; k < n.inputs.size(); ++k) {
    inputs.push_back(ctx.in(n, k));
    // A carried value may change its sizes from one iteration to the next.
    const bool is_carried = k < 2 + carried;
    body_dims.push_back(is_carried ? rank_only(ctx.rank(n.inputs[k])) : ctx.dims(inputs.back()));
  }
  Body body{"body", "port_map", ctx.b.body(), {}, {}};
  const NetworkPorts ports = translate_network(*body_graph, *body.net, ctx.options(), &body_dims);

  const int64_t num_inputs = static_cast<int64_t>(inputs.size());
  body.port_map.push_back({false,
                           {{"external_port_id", "-1"},
                            {"internal_layer_id", std::to_string(ports.parameters[0])},
                            {"purpose", "current_iteration"}}});
  body.port_map.push_back(map_input(1, ports.parameters[1]));
  body.back_edges.push_back({ports.results[0], ports.parameters[1]});
  for (size_t k = 2; k < inputs.size(); ++k) {
    body.port_map.push_back(map_input(static_cast<int64_t>(k), ports.parameters[k]));
    if (k < 2 + carried) body.back_edges.push_back({ports.results[k - 1], ports.parameters[k]});
  }
  body.port_map.push_back({true,
                           {{"external_port_id", "-1"},
                            {"internal_layer_id", std::to_string(ports.results[0])},
                            {"purpose", "execution_condition"}}});
  std::vector<PortInfo> outputs;
  for (size_t j = 0; j < carried; ++j) {
    body.port_map.push_back(map_output(num_inputs + static_cast<int64_t>(j), ports.results[1 + j]));
    outputs.push_back({n.outputs[j]->dtype, rank_only(ctx.rank(n.inputs[2 + j])), ""});
  }
  for (size_t s = 0; s < scans; ++s) {
    const int result = ports.results[1 + carried + s];
    const OutRef slice = body.net->layer(result).inputs.at(0);
    const PortInfo info = body.net->info(slice);
    Dims stacked = info.dims;
    stacked.insert(stacked.begin(), 1);
    const OutRef axes = body.net->constant(ir::Tensor::vector_int64({0}),
                                           n.name + "/scan_axes_" + std::to_string(s));
    const OutRef unsqueezed =
        body.net->add1("Unsqueeze", "opset1", n.name + "/scan_" + std::to_string(s), {slice, axes},
                       {}, info.dtype, stacked);
    body.net->layer(result).inputs.at(0) = unsqueezed;
    PortMapEntry entry = map_output(num_inputs + static_cast<int64_t>(carried + s), result);
    entry.attrs.emplace_back("axis", "0");
    body.port_map.push_back(entry);
    stacked[0] = -1;
    outputs.push_back({info.dtype, stacked, ""});
  }
  auto refs = ctx.b.add("Loop", "opset5", n.name, inputs, {}, outputs);
  ctx.b.layer(refs.at(0).layer).bodies = {std::move(body)};
  for (size_t j = 0; j < refs.size(); ++j) ctx.bind_output(n, refs[j], j);
}

}  // namespace mlexport::emit::openvino
