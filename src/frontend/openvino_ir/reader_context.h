// The state of one read: the parsed document, the IR graph being built, and which IR value each
// OpenVINO output port carries. Rules (layer_rules.cpp) use it to translate one layer each.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "frontend/openvino_ir/ov_document.h"
#include "ir/graph.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::openvino_ir {

std::optional<ir::DType> dtype_of_precision(const std::string& precision);
std::optional<ir::DType> dtype_of_element_type(const std::string& element_type);

class Reader {
 public:
  Reader(const Document& doc, ir::Graph& graph) : doc_(doc), g(graph) {}

  ir::Graph& g;
  // When set, every tensor name of an output port -> the value it became (set_output).
  std::map<std::string, ir::Value*>* port_values = nullptr;

  // The IR value flowing into input port k (k-th input in port order) of `l`.
  ir::Value* input(const LayerDesc& l, size_t k) const;
  size_t input_count(const LayerDesc& l) const { return l.inputs.size(); }
  // The tensor of a Const layer feeding input k, if it is one.
  const ir::Tensor* const_input(const LayerDesc& l, size_t k) const;
  std::vector<int64_t> const_ints(const LayerDesc& l, size_t k, const std::string& what) const;
  double const_scalar(const LayerDesc& l, size_t k, const std::string& what) const;
  bool output_used(const LayerDesc& l, size_t k) const;

  // A new IR node; its outputs take dtype and shape from the layer's output ports when
  // `port_outputs` is true (the node stands for the whole layer).
  ir::Node* node(const LayerDesc& l, const std::string& op, std::vector<ir::Value*> inputs,
                 std::map<std::string, ir::Attribute> attrs = {}, size_t outputs = 1);
  // A helper node whose single output has the given dtype and (optional) shape.
  ir::Value* helper(const LayerDesc& l, const std::string& op, std::vector<ir::Value*> inputs,
                    ir::DType dtype, std::optional<ir::Shape> shape,
                    std::map<std::string, ir::Attribute> attrs = {});
  ir::Value* constant(ir::Tensor t, const std::string& hint);
  ir::Value* scalar(ir::DType dtype, double v, const std::string& hint);

  // Binds output port k of `l` to `v`, naming it after the port's tensor names.
  void set_output(const LayerDesc& l, size_t k, ir::Value* v);
  ir::Value* output_of(int layer, int port) const;

  std::string attr(const LayerDesc& l, const std::string& key, const std::string& fallback) const;
  std::string required(const LayerDesc& l, const std::string& key) const;
  std::vector<int64_t> ints_attr(const LayerDesc& l, const std::string& key) const;
  int64_t int_attr(const LayerDesc& l, const std::string& key, int64_t fallback) const;
  double float_attr(const LayerDesc& l, const std::string& key, double fallback) const;
  // Like required(), parsed; text that is not a number is malformed, not std::invalid_argument.
  int64_t required_int(const LayerDesc& l, const std::string& key) const;
  double required_float(const LayerDesc& l, const std::string& key) const;
  bool bool_attr(const LayerDesc& l, const std::string& key, bool fallback) const;

  ir::DType port_dtype(const PortDesc& p) const;
  ir::Shape port_shape(const PortDesc& p) const;
  const std::vector<int64_t>& in_dims(const LayerDesc& l, size_t k) const {
    if (k >= l.inputs.size()) throw malformed(l, "input " + std::to_string(k) + " is missing");
    return l.inputs[k].dims;
  }

  Error unsupported(const LayerDesc& l, const std::string& what) const;
  Error malformed(const LayerDesc& l, const std::string& what) const;

 private:
  const Document& doc_;
  std::map<std::pair<int, int>, ir::Value*> values_;  // (layer, port id) -> value
};

using Rule = void (*)(Reader& r, const LayerDesc& l);

// Reads a body network of If or Loop into `graph`: every Parameter takes the value that
// `parameters` gives for its layer id (a Parameter without one is malformed). Returns the value
// each Result returns, by the Result's layer id.
std::map<int, ir::Value*> read_body(const Document& body, ir::Graph& graph,
                                    const std::map<int, ir::Value*>& parameters);

// The explicit table: OpenVINO layer type -> rule.
const std::map<std::string, Rule>& layer_rules();

}  // namespace mlexport::frontend::openvino_ir
