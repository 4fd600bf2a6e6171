// Builds replacement nodes in place of an existing one (keeps topological order).
#pragma once

#include <string>

#include "passes/pass.h"

namespace mlexport::passes {

class Rewriter {
 public:
  Rewriter(ir::Graph& graph, const ir::Node* anchor)
      : graph_(graph),
        index_(graph.index_of(anchor)),
        source_(anchor->source),
        source_op_(anchor->source_op) {}

  // Inserts a node before the anchor and returns its first output.
  ir::Value* op(const std::string& type, std::vector<ir::Value*> inputs,
                std::map<std::string, ir::Attribute> attrs = {}) {
    auto node = graph_.make_detached_node(type, std::move(inputs), 1);
    node->attrs = std::move(attrs);
    node->source = source_;
    node->source_op = source_op_;
    ir::Node* n = graph_.insert_node(index_++, std::move(node));
    return n->outputs[0];
  }
  ir::Value* scalar(double v, ir::DType dtype) {
    return graph_.add_constant(ir::Tensor::scalar_of(dtype, v));
  }
  ir::Value* constant(ir::Tensor t) { return graph_.add_constant(std::move(t)); }

 private:
  ir::Graph& graph_;
  size_t index_;
  std::string source_;
  std::string source_op_;
};

// Integer BitwiseAnd/Or/Xor as arithmetic every opset has (lower_bitwise.cpp); nullptr for other
// element types.
ir::Value* lower_integer_bitwise(Rewriter& r, ir::Node* n);

// Makes `replacement` stand for the node's output (it keeps the output's name when the output is
// a graph output) and drops the node.
void replace_node_output(ir::Graph& graph, ir::Node* node, ir::Value* replacement);

}  // namespace mlexport::passes
