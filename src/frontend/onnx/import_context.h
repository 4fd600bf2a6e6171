// State shared by the ONNX importer and its op rules: the graph being built, the opset, the
// unsupported-op report and helpers that add the extra nodes some rewrites need. Internal.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::onnx {

// One ONNX node on its way into the IR: op rules rewrite it, then it becomes one ir::Node.
struct NodeDraft {
  std::string op;
  std::string name;                 // unique IR node name
  std::string source;               // the node's doc_string
  std::vector<ir::Value*> inputs;   // nullptr: an omitted optional input
  std::vector<ir::Value*> outputs;  // nullptr: an omitted optional output
  std::map<std::string, ir::Attribute> attrs;

  ir::Value* input(size_t k) const { return k < inputs.size() ? inputs[k] : nullptr; }
  // The constant at input k, or nullptr when it is omitted or computed at run time.
  const ir::Tensor* constant_input(size_t k) const;
  // Input k becomes omitted (trailing omitted inputs are dropped when the node is added).
  void drop_input(size_t k);
  int64_t int_attr(const std::string& key, int64_t fallback) const;
  double double_attr(const std::string& key, double fallback) const;
  std::string string_attr(const std::string& key, const std::string& fallback) const;
  std::optional<std::vector<int64_t>> ints_attr(const std::string& key) const;
};

class ImportContext {
 public:
  ImportContext(ir::Graph& graph, int opset) : graph_(graph), opset_(opset) {}

  ir::Graph& graph() { return graph_; }
  int opset() const { return opset_; }

  // Records one node the IR cannot represent; every such node ends up in one report.
  void unsupported(const std::string& kind, const std::string& where, const std::string& reason);
  void unsupported(const NodeDraft& node, const std::string& reason) {
    unsupported(node.op, node.name, reason);
  }
  bool has_unsupported() const { return !unsupported_.empty(); }
  const std::vector<UnsupportedOp>& unsupported_ops() const { return unsupported_; }

  // Whether a node or graph output of the model reads `v`.
  void mark_used(const ir::Value* v) { used_.insert(v); }
  bool is_used(const ir::Value* v) const { return v && used_.count(v) != 0; }

  // A node name not used so far (`hint`, else `hint_k`; the op's name when `hint` is empty).
  std::string node_name(const std::string& hint, const std::string& op);

  // A helper node of a rewrite of `origin`: `op` on `inputs` with one fresh output.
  ir::Value* add(const NodeDraft& origin, const std::string& suffix, const std::string& op,
                 std::vector<ir::Value*> inputs, std::map<std::string, ir::Attribute> attrs,
                 ir::DType dtype, std::optional<ir::Shape> shape);
  ir::Value* constant(const NodeDraft& origin, const std::string& suffix, ir::Tensor tensor);
  // Adds `draft` as an ir::Node that produces the draft's outputs.
  ir::Node* finish(NodeDraft& draft);

 private:
  ir::Graph& graph_;
  int opset_;
  std::vector<UnsupportedOp> unsupported_;
  std::set<const ir::Value*> used_;
  std::set<std::string> node_names_;
};

}  // namespace mlexport::frontend::onnx
