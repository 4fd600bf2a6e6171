// Internal to the ONNX emitter: IR nodes -> NodeProtos for one target opset.
#pragma once

#include <onnx/onnx_pb.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::emit::onnx {

int onnx_elem_type(ir::DType dtype);
// Copies dtype, dims and bytes (raw_data, little-endian) into `out`.
void fill_tensor(::onnx::TensorProto* out, const ir::Tensor& tensor, const std::string& name);

// Appends nodes and helper initializers to a GraphProto, with names that never clash.
class GraphWriter {
 public:
  GraphWriter(::onnx::GraphProto* graph, int opset, std::set<std::string> used_value_names)
      : graph_(graph),
        opset_(opset),
        used_values_(std::make_shared<std::set<std::string>>(std::move(used_value_names))) {}
  // A writer for a subgraph of `parent`'s graph: value names stay unique across both.
  GraphWriter(::onnx::GraphProto* graph, const GraphWriter& parent)
      : graph_(graph), opset_(parent.opset_), used_values_(parent.used_values_) {}

  int opset() const { return opset_; }
  // A value name not used so far (`hint` itself when free).
  std::string fresh(const std::string& hint);
  // The ONNX name of an IR value ("" for an omitted optional input).
  std::string name_of(const ir::Value* v) const;
  void rename(const ir::Value* v, std::string name) { renamed_[v] = std::move(name); }
  // A new initializer holding `tensor`; returns its name.
  std::string add_initializer(const ir::Tensor& tensor, const std::string& hint);
  ::onnx::NodeProto* add_node(const std::string& op, const std::string& name_hint);

 private:
  ::onnx::GraphProto* graph_;
  int opset_;
  std::shared_ptr<std::set<std::string>> used_values_;  // shared with subgraph writers
  std::set<std::string> used_nodes_;
  std::map<const ir::Value*, std::string> renamed_;
};

void set_value_info(::onnx::ValueInfoProto* out, const ir::Value& v, const std::string& name);

// Writes the subgraph of an If or Loop node into `out`: its first `formal` inputs become the
// GraphProto's inputs, the others are the enclosing scope's values named in `outer_names`.
void write_subgraph(const ir::Graph& graph, size_t formal,
                    const std::vector<std::string>& outer_names, const GraphWriter& parent,
                    ::onnx::GraphProto* out, const std::string& name);

// Emits one IR node as one or more NodeProtos (inputs for attributes the opset wants as
// inputs, transposes around old-style Softmax, ...). Throws mlexport::Error.
void emit_node(const ir::Node& node, GraphWriter& writer);

// Smallest opset that has `op` in the default domain, or 0 when that does not depend on the
// opset (known since opset <= 11, or not an ONNX op at all: the checker reports those).
int min_opset_for(const std::string& op);

// "LayerNormalization needs opset 17 (requested 13)" for every node the opset cannot express,
// gathered into one message; empty when all ops are available.
std::string unavailable_ops_report(const ir::Graph& graph, int opset);

}  // namespace mlexport::emit::onnx
