#include "frontend/openvino_ir/openvino_reader.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "frontend/openvino_ir/reader_context.h"
#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

std::string first_name(const LayerDesc& l) {
  if (!l.outputs.empty() && !l.outputs[0].names.empty()) return l.outputs[0].names.front();
  return l.name;
}

void collect_unsupported(const Document& doc, std::vector<UnsupportedOp>& missing) {
  for (const auto& [id, l] : doc.layers) {
    for (const auto& [tag, body] : l.bodies) collect_unsupported(*body.net, missing);
    if (l.type == "Parameter" || l.type == "Const" || l.type == "Result") continue;
    if (layer_rules().count(l.type)) continue;
    std::string kind = l.type + "-" + l.version;
    auto it = std::find_if(missing.begin(), missing.end(),
                           [&](const UnsupportedOp& u) { return u.kind == kind; });
    if (it == missing.end()) {
      missing.push_back({kind, 0, {}});
      it = missing.end() - 1;
    }
    ++it->count;
    if (it->where.size() < 3) it->where.push_back(l.name);
  }
}

void reject_unsupported(const Document& doc) {
  std::vector<UnsupportedOp> missing;
  collect_unsupported(doc, missing);
  if (!missing.empty()) throw UnsupportedOpsError(std::move(missing));
}

ir::Value* read_parameter(Reader& r, const LayerDesc& l) {
  auto dtype = dtype_of_element_type(r.required(l, "element_type"));
  if (!dtype) throw r.unsupported(l, "element_type " + r.required(l, "element_type"));
  if (l.outputs.size() != 1) throw r.malformed(l, "a Parameter needs one output port");
  return r.g.add_input(first_name(l), *dtype, r.port_shape(l.outputs[0]));
}

ir::Value* read_const(Reader& r, const LayerDesc& l, const std::string& blob) {
  auto dtype = dtype_of_element_type(r.required(l, "element_type"));
  if (!dtype) throw r.unsupported(l, "element_type " + r.required(l, "element_type"));
  std::vector<int64_t> shape = r.ints_attr(l, "shape");
  int64_t offset = r.int_attr(l, "offset", -1), size = r.int_attr(l, "size", -1);
  // The weights must lie in the .bin before the tensor is allocated: a shape of 10^12 elements
  // in a small hostile file must not become a terabyte allocation.
  if (offset < 0 || size < 0 || static_cast<uint64_t>(offset) > blob.size() ||
      static_cast<uint64_t>(size) > blob.size() - static_cast<uint64_t>(offset))
    throw r.malformed(l, "data at offset " + std::to_string(offset) + " is outside the .bin (" +
                             std::to_string(blob.size()) + " bytes)");
  uint64_t elements = 1;
  for (int64_t d : shape) {
    if (d < 0) throw r.malformed(l, "shape has a negative dimension");
    if (d > 0 && elements > blob.size() / static_cast<uint64_t>(d))
      elements = blob.size() + 1;
    else
      elements *= static_cast<uint64_t>(d);
  }
  const uint64_t expected = elements * ir::dtype_size(*dtype);
  if (elements > blob.size() || static_cast<uint64_t>(size) != expected)
    throw r.malformed(l, "size " + std::to_string(size) + " does not match shape and type");
  ir::Tensor t(*dtype, shape);
  if (size > 0) std::memcpy(t.raw(), blob.data() + offset, static_cast<size_t>(size));
  return r.g.add_constant(std::move(t), first_name(l));
}

// Every layer of `doc` in order into `graph`; Parameters in `preset` take the given values.
// Returns the value each Result returns, by the Result's layer id.
std::map<int, ir::Value*> read_layers(const Document& doc, ir::Graph& graph,
                                      const std::map<int, ir::Value*>& preset,
                                      PortValues* port_values) {
  Reader r(doc, graph);
  r.port_values = port_values;
  std::map<int, ir::Value*> results;
  for (int id : doc.order) {
    const LayerDesc& l = doc.layers.at(id);
    // The rules read output port 0 of every layer that produces something.
    if (l.type != "Result" && l.outputs.empty()) throw r.malformed(l, "it has no output port");
    if (l.type == "Parameter") {
      auto it = preset.find(id);
      r.set_output(l, 0, it != preset.end() ? it->second : read_parameter(r, l));
    } else if (l.type == "Const") {
      r.set_output(l, 0, read_const(r, l, *doc.blob));
    } else if (l.type == "Result") {
      results[id] = r.input(l, 0);
    } else {
      layer_rules().at(l.type)(r, l);
    }
  }
  return results;
}

}  // namespace

std::map<int, ir::Value*> read_body(const Document& body, ir::Graph& graph,
                                    const std::map<int, ir::Value*>& parameters) {
  for (const auto& [id, l] : body.layers)
    if (l.type == "Parameter" && !parameters.count(id))
      throw bad_input("OpenVINO IR layer " + l.name +
                      " (Parameter): a body Parameter that no port map entry feeds");
  return read_layers(body, graph, parameters, nullptr);
}

std::unique_ptr<ir::Graph> read_openvino_ir(const std::string& xml_path, PortValues* port_values) {
  Document doc = load_document(xml_path);
  reject_unsupported(doc);
  auto graph = std::make_unique<ir::Graph>();
  std::map<int, ir::Value*> by_id = read_layers(doc, *graph, {}, port_values);
  std::vector<std::pair<int, ir::Value*>> results(by_id.begin(), by_id.end());
  if (results.empty()) throw bad_input("OpenVINO IR " + xml_path + " has no Result layer");
  std::set<const ir::Value*> seen;
  const auto& inputs = graph->inputs();
  for (auto& [id, v] : results) {
    // A graph input, or a value already returned, is returned through its own Identity.
    bool is_input = std::find(inputs.begin(), inputs.end(), v) != inputs.end();
    if (is_input || !seen.insert(v).second) {
      ir::Node* n = graph->add_node("Identity", {v});
      n->outputs[0]->dtype = v->dtype;
      n->outputs[0]->shape = v->shape;
      v = n->outputs[0];
    }
    graph->mark_output(v);
  }
  return graph;
}

}  // namespace mlexport::frontend::openvino_ir
