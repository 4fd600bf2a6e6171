// If-8 and Loop-5: each body network becomes an IR subgraph. IR subgraphs are closed: the values
// a body reads from outside are its inputs, matched with the node's trailing inputs ("captures").
#include <set>

#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

const BodyDesc& body_of(Reader& r, const LayerDesc& l, const std::string& tag) {
  auto it = l.bodies.find(tag);
  if (it == l.bodies.end()) throw r.malformed(l, "it has no <" + tag + ">");
  return it->second;
}

const LayerDesc& body_layer(Reader& r, const LayerDesc& l, const BodyDesc& body, int id,
                            const char* type) {
  auto it = body.net->layers.find(id);
  if (it == body.net->layers.end() || it->second.type != type)
    throw r.malformed(l, "its port map names body layer " + std::to_string(id) + ", not a " + type);
  return it->second;
}

ir::Value* body_input(ir::Graph& g, const std::string& name, const ir::Value* like) {
  return g.add_input(name, like->dtype, like->shape.value_or(ir::Shape{}));
}

// The index among the layer's outputs of output port `port_id`.
size_t output_index(Reader& r, const LayerDesc& l, int port_id) {
  for (size_t k = 0; k < l.outputs.size(); ++k)
    if (l.outputs[k].id == port_id) return k;
  throw r.malformed(
      l, "its port map names output port " + std::to_string(port_id) + ", which it does not have");
}

// If's port maps count outputs from 0 (the opset specification's example); accept port ids too.
size_t if_output_index(Reader& r, const LayerDesc& l, int external) {
  if (external >= 0 && static_cast<size_t>(external) < l.outputs.size())
    return static_cast<size_t>(external);
  return output_index(r, l, external);
}

}  // namespace

// If(cond, inputs 1..n) -> IR If(cond, captures...): both branches take every capture as an input
// (a body Parameter reads the one its port map names) and return the outputs in order.
void rule_if(Reader& r, const LayerDesc& l) {
  ir::Value* cond = r.input(l, 0);
  if (cond->dtype != ir::DType::Bool) throw r.malformed(l, "its condition is not boolean");
  std::vector<ir::Value*> inputs = {cond};
  for (size_t k = 1; k < r.input_count(l); ++k) inputs.push_back(r.input(l, k));
  std::map<std::string, ir::Attribute> attrs = {
      {"captures", static_cast<int64_t>(inputs.size() - 1)}};
  for (const char* tag : {"then_body", "else_body"}) {
    const BodyDesc& body = body_of(r, l, tag);
    auto g = std::make_shared<ir::Graph>();
    std::vector<ir::Value*> captured;
    for (size_t k = 1; k < inputs.size(); ++k)
      captured.push_back(body_input(*g, "input_" + std::to_string(k), inputs[k]));
    std::map<int, ir::Value*> parameters;
    for (const PortMapEntry& e : body.port_map) {
      if (e.output) continue;
      if (e.external < 1 || static_cast<size_t>(e.external) >= inputs.size())
        throw r.malformed(l, std::string(tag) + " maps input port " + std::to_string(e.external) +
                                 ", not a data input");
      body_layer(r, l, body, e.internal, "Parameter");
      parameters[e.internal] = captured[static_cast<size_t>(e.external) - 1];
    }
    std::map<int, ir::Value*> results = read_body(*body.net, *g, parameters);
    std::vector<ir::Value*> outputs(l.outputs.size(), nullptr);
    for (const PortMapEntry& e : body.port_map) {
      if (!e.output) continue;
      body_layer(r, l, body, e.internal, "Result");
      const size_t j = if_output_index(r, l, e.external);
      if (outputs[j]) throw r.malformed(l, std::string(tag) + " maps an output twice");
      outputs[j] = results.at(e.internal);
    }
    for (ir::Value* v : outputs) {
      if (!v) throw r.malformed(l, std::string(tag) + " leaves an output unmapped");
      g->mark_output(v);
    }
    attrs[tag == std::string("then_body") ? "then_branch" : "else_branch"] = g;
  }
  ir::Node* n = r.node(l, "If", inputs, std::move(attrs), l.outputs.size());
  for (size_t j = 0; j < l.outputs.size(); ++j) r.set_output(l, j, n->outputs[j]);
}

// Loop(trip count, condition, inputs...) -> IR Loop(M, cond, carried..., captures...).
// A body Parameter with a back edge is carried (its initial value the outer input, its next
// the Result the edge comes from); the Parameter fed by the condition with a back edge from the
// execution_condition Result is ONNX's cond input; the others are captures. An output with an
// axis concatenates a Result over the iterations: with a slice of 1 along the axis, that is
// ONNX's stacked scan output squeezed (and moved to the axis).
void rule_loop(Reader& r, const LayerDesc& l) {
  const BodyDesc& body = body_of(r, l, "body");
  const size_t n_inputs = r.input_count(l);
  if (n_inputs < 2) throw r.malformed(l, "it needs a trip count and a condition");
  ir::Value* trip = r.input(l, 0);
  ir::Value* cond = r.input(l, 1);
  if (cond->dtype != ir::DType::Bool) throw r.malformed(l, "its condition is not boolean");
  if (trip->dtype != ir::DType::Int64 && trip->dtype != ir::DType::Int32)
    throw r.malformed(l, "its trip count is not an integer");

  int iteration_param = -1, condition_result = -1;
  std::map<int, int> param_external;  // Parameter layer -> outer input index
  for (const PortMapEntry& e : body.port_map) {
    if (!e.output && e.purpose == "current_iteration") {
      body_layer(r, l, body, e.internal, "Parameter");
      iteration_param = e.internal;
    } else if (e.output && e.purpose == "execution_condition") {
      body_layer(r, l, body, e.internal, "Result");
      condition_result = e.internal;
    } else if (!e.output) {
      body_layer(r, l, body, e.internal, "Parameter");
      if (e.external < 1 || static_cast<size_t>(e.external) >= n_inputs)
        throw r.malformed(
            l, "its port map feeds a body Parameter from input port " + std::to_string(e.external));
      param_external[e.internal] = e.external;
    }
  }
  if (condition_result < 0)
    throw r.malformed(l, "no body Result is marked purpose=\"execution_condition\"");
  std::map<int, int> back_edge_into;  // Parameter -> Result
  for (const auto& [from, to] : body.back_edges) {
    body_layer(r, l, body, from, "Result");
    body_layer(r, l, body, to, "Parameter");
    back_edge_into[to] = from;
  }

  auto g = std::make_shared<ir::Graph>();
  ir::Value* iter = g->add_input("iteration", ir::DType::Int64, {});
  ir::Value* cond_in = g->add_input("condition", ir::DType::Bool, {});
  std::map<int, ir::Value*> parameters;
  if (iteration_param >= 0) {
    const LayerDesc& p = body.net->layers.at(iteration_param);
    if (p.outputs.size() != 1) throw r.malformed(l, "its current-iteration Parameter has no port");
    const ir::DType want = r.port_dtype(p.outputs.at(0));
    ir::Value* v = iter;
    if (want != ir::DType::Int64) {
      ir::Node* cast = g->add_node("Cast", {v}, 1, {{"to", static_cast<int64_t>(want)}});
      cast->outputs[0]->dtype = want;
      cast->outputs[0]->shape = ir::Shape{};
      v = cast->outputs[0];
    }
    if (!p.outputs.at(0).dims.empty()) {
      ir::Node* unsq = g->add_node("Unsqueeze", {v}, 1, {{"axes", std::vector<int64_t>{0}}});
      unsq->outputs[0]->dtype = want;
      unsq->outputs[0]->shape = ir::fixed_shape({1});
      v = unsq->outputs[0];
    }
    parameters[iteration_param] = v;
  }
  std::vector<ir::Value*> carried_init, carried_body, capture_outer, capture_body;
  std::vector<int> carried_params;
  for (const auto& [param, external] : param_external) {
    ir::Value* outer = r.input(l, static_cast<size_t>(external));
    auto back = back_edge_into.find(param);
    if (external == 1 && back != back_edge_into.end() && back->second == condition_result &&
        outer->shape && outer->shape->empty()) {
      parameters[param] = cond_in;
    } else if (back != back_edge_into.end()) {
      carried_init.push_back(outer);
      carried_body.push_back(
          body_input(*g, "carried_" + std::to_string(carried_init.size()), outer));
      carried_params.push_back(param);
      parameters[param] = carried_body.back();
    } else {
      capture_outer.push_back(outer);
      capture_body.push_back(
          body_input(*g, "captured_" + std::to_string(capture_outer.size()), outer));
      parameters[param] = capture_body.back();
    }
  }
  std::vector<ir::Value*> body_inputs = {iter, cond_in};
  body_inputs.insert(body_inputs.end(), carried_body.begin(), carried_body.end());
  body_inputs.insert(body_inputs.end(), capture_body.begin(), capture_body.end());
  g->set_inputs(body_inputs);

  std::map<int, ir::Value*> results = read_body(*body.net, *g, parameters);
  ir::Value* cond_out = results.at(condition_result);
  if (cond_out->shape && !cond_out->shape->empty()) {
    ir::Node* sq = g->add_node(
        "Reshape", {cond_out, g->add_constant(ir::Tensor::vector_int64({}), "scalar")}, 1);
    sq->outputs[0]->dtype = ir::DType::Bool;
    sq->outputs[0]->shape = ir::Shape{};
    cond_out = sq->outputs[0];
  }
  g->mark_output(cond_out);
  for (int param : carried_params) g->mark_output(results.at(back_edge_into.at(param)));
  // Scan outputs, in the order of the layer's output ports.
  struct Scan {
    size_t port;
    int64_t axis;
  };
  std::vector<Scan> scans;
  std::map<size_t, size_t> carried_output;  // layer output index -> carried index
  for (const PortMapEntry& e : body.port_map) {
    if (!e.output || e.purpose == "execution_condition") continue;
    const size_t j = output_index(r, l, e.external);
    if (e.axis) {
      ir::Value* slice = results.at(e.internal);
      const size_t rank = slice->shape ? slice->shape->size() : 0;
      const int64_t axis = *e.axis < 0 ? *e.axis + static_cast<int64_t>(rank) : *e.axis;
      if (!slice->shape || axis < 0 || axis >= static_cast<int64_t>(rank) ||
          (*slice->shape)[static_cast<size_t>(axis)].size != 1)
        throw r.unsupported(l, "an output concatenated along an axis where the slice is not 1");
      g->mark_output(slice);
      scans.push_back({j, axis});
      continue;
    }
    size_t k = 0;
    while (k < carried_params.size() && back_edge_into.at(carried_params[k]) != e.internal) ++k;
    if (k == carried_params.size())
      throw r.unsupported(l, "an output that is neither a back-edge value nor concatenated");
    carried_output[j] = k;
  }

  ir::Value* m = trip;
  if (trip->is_constant() && trip->constant->numel() == 1 && trip->constant->value_as_double(0) < 0)
    m = nullptr;  // -1: no trip count
  else if (trip->dtype != ir::DType::Int64)
    m = r.helper(l, "Cast", {trip}, ir::DType::Int64, trip->shape,
                 {{"to", static_cast<int64_t>(ir::DType::Int64)}});
  std::vector<ir::Value*> inputs = {m, cond};
  inputs.insert(inputs.end(), carried_init.begin(), carried_init.end());
  inputs.insert(inputs.end(), capture_outer.begin(), capture_outer.end());
  ir::Node* n =
      r.g.add_node("Loop", inputs, carried_params.size() + scans.size(),
                   {{"body", g}, {"captures", static_cast<int64_t>(capture_outer.size())}});
  n->source = l.name;
  for (size_t k = 0; k < carried_params.size(); ++k) {
    n->outputs[k]->dtype = carried_init[k]->dtype;
    n->outputs[k]->shape = carried_init[k]->shape;
  }
  for (const auto& [j, k] : carried_output) {
    n->outputs[k]->shape = r.port_shape(l.outputs[j]);
    r.set_output(l, j, n->outputs[k]);
  }
  for (size_t s = 0; s < scans.size(); ++s) {
    ir::Value* stacked = n->outputs[carried_params.size() + s];
    const ir::Value* slice = g->outputs()[1 + carried_params.size() + s];
    const PortDesc& port = l.outputs[scans[s].port];
    ir::Shape with_iterations = {ir::Dim{}};
    with_iterations.insert(with_iterations.end(), slice->shape->begin(), slice->shape->end());
    stacked->dtype = slice->dtype;
    stacked->shape = with_iterations;
    const int64_t axis = scans[s].axis;
    ir::Shape squeezed = with_iterations;
    squeezed.erase(squeezed.begin() + axis + 1);
    ir::Value* v = r.helper(l, "Squeeze", {stacked}, slice->dtype, squeezed,
                            {{"axes", std::vector<int64_t>{axis + 1}}});
    if (axis != 0) {
      std::vector<int64_t> perm;
      for (int64_t d = 1; d <= axis; ++d) perm.push_back(d);
      perm.push_back(0);
      for (int64_t d = axis + 1; d < static_cast<int64_t>(squeezed.size()); ++d) perm.push_back(d);
      v = r.helper(l, "Transpose", {v}, slice->dtype, r.port_shape(port), {{"perm", perm}});
    }
    r.set_output(l, scans[s].port, v);
  }
}

}  // namespace mlexport::frontend::openvino_ir
