// The mlexport graph IR: values, nodes and a graph in topological order.
//
// Op types and attributes follow ONNX operator semantics (opset 17), with one simplification:
// axes of Squeeze/Unsqueeze/Reduce*, the split sizes of Split and the pads of Pad... are
// attributes when they are known at export time; emitters turn them into inputs where a target
// opset wants inputs. The IR itself knows nothing of LibTorch, protobuf or any emitter.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ir/tensor.h"

namespace mlexport::ir {

// One dimension of a value's shape: a size, a named symbol ("batch_size"), or unknown.
struct Dim {
  int64_t size = -1;
  std::string symbol;

  static Dim fixed(int64_t n) { return Dim{n, {}}; }
  static Dim named(std::string s) { return Dim{-1, std::move(s)}; }
  bool is_fixed() const { return size >= 0; }
  bool operator==(const Dim&) const = default;
};

using Shape = std::vector<Dim>;
Shape fixed_shape(const std::vector<int64_t>& dims);
std::string shape_to_string(const Shape& shape);

class Node;

struct Value {
  std::string name;
  DType dtype = DType::Float32;
  std::optional<Shape> shape;      // nullopt when even the rank is unknown
  std::optional<Tensor> constant;  // set for initializers / constants
  Node* producer = nullptr;        // null for graph inputs and constants
  // The source model's value this one equals (a TorchScript value's name), so validation can
  // compare it with the reference's; empty when none. Passes that keep the Value keep it.
  std::string reference;

  bool is_constant() const { return constant.has_value(); }
};

class Graph;
// A subgraph (the branches of If, the body of Loop). It is closed: every value it reads from the
// enclosing graph enters as one of its inputs, matched with an input of the node that owns it
// (see "Control flow" below), so every pass runs on it as on any graph.
using Subgraph = std::shared_ptr<Graph>;

using Attribute = std::variant<int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>, Tensor, Subgraph>;

class Node {
 public:
  std::string op;              // "Conv", "Relu", ...
  std::string name;            // unique node name
  std::vector<Value*> inputs;  // nullptr marks an omitted optional input
  std::vector<Value*> outputs;
  std::map<std::string, Attribute> attrs;
  std::string source;     // module scope / source line it came from
  std::string source_op;  // the source op it was translated from ("aten::conv2d"), if known

  bool has(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t i(const std::string& key, int64_t fallback) const;
  double f(const std::string& key, double fallback) const;
  std::string s(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  Graph* subgraph(const std::string& key) const;  // null when absent
  std::vector<Graph*> subgraphs() const;          // every subgraph attribute, by key order
  Value* input(size_t k) const { return k < inputs.size() ? inputs[k] : nullptr; }
};

class Graph {
 public:
  Graph() = default;
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  Value* add_input(const std::string& name, DType dtype, Shape shape);
  Value* add_constant(Tensor tensor, const std::string& name_hint = "const");
  // Appends a node producing `num_outputs` fresh values.
  Node* add_node(const std::string& op, std::vector<Value*> inputs, size_t num_outputs = 1,
                 std::map<std::string, Attribute> attrs = {});
  // Creates a value with no producer yet (for frontends that build outputs before nodes).
  Value* new_value(const std::string& name_hint, DType dtype, std::optional<Shape> shape = {});
  void mark_output(Value* value) { outputs_.push_back(value); }
  // Replaces the input list (a subgraph's inputs, aligned with its node's captures).
  void set_inputs(std::vector<Value*> inputs) { inputs_ = std::move(inputs); }

  const std::vector<Value*>& inputs() const { return inputs_; }
  std::vector<Value*>& outputs() { return outputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  std::vector<Value*> constants() const;  // constants used by some node or output

  // Rewrites every use of `from` (node inputs and graph outputs) to `to`.
  void replace_all_uses(Value* from, Value* to);
  // Drops nodes for which `remove` returns true (their outputs must be unused by then).
  template <typename Pred>
  size_t remove_nodes_if(Pred remove) {
    size_t before = nodes_.size();
    std::erase_if(nodes_, [&](const std::unique_ptr<Node>& n) { return remove(*n); });
    return before - nodes_.size();
  }
  // Inserts `node` (created with make_detached_node) before position `index`.
  Node* insert_node(size_t index, std::unique_ptr<Node> node);
  std::unique_ptr<Node> make_detached_node(const std::string& op, std::vector<Value*> inputs,
                                           size_t num_outputs);
  size_t index_of(const Node* node) const;
  // Drops values no node or output refers to.
  void collect_garbage();
  // Renames values so names are unique and stable ("%0", "%1"... keep given names).
  std::string unique_name(const std::string& hint);

  std::map<std::string, std::string> metadata;  // key/values copied into the artifact

 private:
  std::vector<std::unique_ptr<Value>> values_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::map<std::string, int> name_counts_;
  int next_node_id_ = 0;
};

// A node's source split into its module's path and its "file:line" (either may be empty):
// "__module.layer1/__module.layer1.0.conv1 model.py:12" -> {"layer1.0.conv1", "model.py:12"}.
std::pair<std::string, std::string> split_source(const std::string& source);

// Number of nodes using each value (graph outputs count as uses).
std::map<const Value*, int> count_uses(const Graph& graph);

// Control flow. The outer values a subgraph reads are explicit ("captures"):
//   If(cond, captures...)                 then_branch, else_branch: inputs = captures
//   Loop(M, cond, carried..., captures...) body: inputs = (iter, cond, carried..., captures...)
//                                          outputs = (cond, carried..., scan outputs...)
// The attribute "captures" gives how many trailing inputs are captures; ONNX emission turns them
// back into references to the enclosing scope.
bool has_control_flow(const Graph& graph);

}  // namespace mlexport::ir
