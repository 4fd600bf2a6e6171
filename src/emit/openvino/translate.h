// What a translator sees: the IR node, the OpenVINO graph under construction, resolved shapes,
// and helpers for the layers most translations need.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "emit/openvino/openvino_emitter.h"
#include "emit/openvino/ov_builder.h"
#include "ir/graph.h"
#include "mlexport/diagnostics.h"

namespace mlexport::emit::openvino {

using ShapeMap = std::map<const ir::Value*, Dims>;

// Dims of every value whose rank the IR knows or its op registry infers (-1: dynamic), since
// every port of an OpenVINO IR needs them.
ShapeMap resolve_shapes(const ir::Graph& graph);
// Numpy broadcasting of two shapes (-1 stays dynamic unless the other side decides it).
Dims broadcast_dims(const Dims& a, const Dims& b);
// Axis in [0, rank) from a possibly negative one.
int64_t normalize_axis(int64_t axis, size_t rank);

class Context {
 public:
  Context(Builder& builder, ShapeMap shapes, const OpenVinoOptions& options)
      : b(builder), shapes_(std::move(shapes)), options_(options) {}

  Builder& b;

  // The OpenVINO output that carries IR value `v` (a Const is made on first use).
  OutRef value(const ir::Value* v);
  OutRef in(const ir::Node& n, size_t k);
  bool bound(const ir::Value* v) const { return map_.count(v) != 0; }
  // Records that IR value `v` is carried by `ref`: names the port and takes the IR's dims.
  void bind(const ir::Value* v, OutRef ref);
  void bind_output(const ir::Node& n, OutRef ref, size_t k = 0) { bind(n.outputs.at(k), ref); }

  bool has_dims(const ir::Value* v) const { return v && shapes_.count(v); }
  const Dims& dims(const ir::Value* v) const;
  size_t rank(const ir::Value* v) const { return dims(v).size(); }
  ir::DType dtype(OutRef ref) const { return b.info(ref).dtype; }
  const Dims& dims(OutRef ref) const { return b.info(ref).dims; }

  // Constants made by translators (never fp16-compressed: they are not weights).
  OutRef i64s(const std::vector<int64_t>& values, const std::string& name);
  OutRef i64_scalar(int64_t value, const std::string& name);
  OutRef scalar(ir::DType dtype, double value, const std::string& name, bool as_1d = false);
  // A weight tensor: fp16-compressed when the options ask for it.
  OutRef weight(const ir::Tensor& tensor, const std::string& name);

  // Common layers; dims follow the op's rule.
  OutRef unary(const std::string& type, const std::string& version, const std::string& name,
               OutRef x, Attrs attrs = {});
  OutRef binary(const std::string& type, const std::string& name, OutRef a, OutRef b_,
                Attrs extra = {});
  OutRef compare(const std::string& type, const std::string& name, OutRef a, OutRef b_);
  OutRef convert(OutRef x, ir::DType to, const std::string& name);
  OutRef reshape(OutRef x, const std::vector<int64_t>& target, const std::string& name,
                 bool special_zero = false);
  OutRef unsqueeze(OutRef x, const std::vector<int64_t>& axes, const std::string& name);

  const OpenVinoOptions& options() const { return options_; }

 private:
  ShapeMap shapes_;
  const OpenVinoOptions& options_;
  std::map<const ir::Value*, OutRef> map_;
};

using Translator = void (*)(const ir::Node& node, Context& ctx);

// Where a network's inputs and outputs went: Parameter and Result layer ids, in the graph's order.
struct NetworkPorts {
  std::vector<int> parameters;
  std::vector<int> results;
};
// Translates `graph` into `b`: one Parameter per input (with `input_dims[k]` when given, else the
// IR's dims), every node through op_table(), one Result per output.
NetworkPorts translate_network(const ir::Graph& graph, Builder& b, const OpenVinoOptions& options,
                               const std::vector<Dims>* input_dims = nullptr);

// The explicit table: IR op -> translator.
const std::map<std::string, Translator>& op_table();

// Errors a translator raises for a variant it cannot express (kUnsupportedOps).
Error unsupported_variant(const ir::Node& n, const std::string& what);
// A constant input's values as ints; throws unsupported_variant when it is computed at run time.
std::vector<int64_t> constant_ints(const ir::Node& n, size_t k, const std::string& what);
// An int list attribute, or the same list from constant input k when given that way.
std::vector<int64_t> ints_from(const ir::Node& n, const std::string& key, size_t k);

}  // namespace mlexport::emit::openvino
