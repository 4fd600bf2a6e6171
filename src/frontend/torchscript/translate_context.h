// State shared by the aten translators while one TorchScript graph becomes IR.
//
// Every TorchScript value has a recorded IValue (the value it took when the graph ran on the
// example inputs) and is either static (computed from constants only: folded, becomes an IR
// constant when used) or dynamic (depends on an input: has IR values).
#pragma once

#include <torch/script.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace mlexport::frontend::torchscript {

using JitValue = torch::jit::Value;
using JitNode = torch::jit::Node;

// Thrown when a translator reaches a value whose producer had no rule; the walker has already
// reported that op, so the dependent node is skipped.
struct PoisonedValue {};

class TranslateContext {
 public:
  explicit TranslateContext(ir::Graph& graph) {
    scopes_.push_back(Scope{0, &graph, nullptr, {}, {}});
  }

  // The graph nodes go to: the model's graph, or the innermost open subgraph.
  ir::Graph& graph() { return *scopes_.back().graph; }

  // --- what the graph computed at the example inputs ---
  const c10::IValue& recorded(const JitValue* v) const;
  bool is_static(const JitValue* v) const;
  // A value whose sizes depend on the data (NonZero, NMS, masked_select... and what follows
  // from them): its sizes are computed in the graph even without dynamic axes.
  bool is_data_dependent(const JitValue* v) const { return data_dependent_.count(v) != 0; }
  void mark_data_dependent(const JitValue* v) { data_dependent_.insert(v); }
  // Whether the IR value(s) bound to `v` have a dim a translator left unknown.
  bool has_unknown_dim(const JitValue* v) const;
  // After a translation: an output with a dim its translator left unknown records that dim's
  // size at the example as decided by the data; an output downstream of one (data-dependent) has
  // its dims of such sizes made unknown, so no pass folds them into constants.
  void track_data_dependent_sizes(const JitValue* out, bool from_data_dependent_input);
  bool is_none(const JitValue* v) const { return recorded(v).isNone(); }
  int64_t rank(const JitValue* v) const { return recorded(v).toTensor().dim(); }
  std::vector<int64_t> sizes(const JitValue* v) const {
    return recorded(v).toTensor().sizes().vec();
  }
  // A complex tensor's IR value holds (real, imag) pairs in a trailing dim of 2, the layout of
  // ONNX DFT; dtype() is then the dtype of each part and rank()/sizes() are the complex ones.
  ir::DType dtype(const JitValue* v) const;
  bool is_complex(const JitValue* v) const;
  // A dim argument normalised to [0, rank).
  int64_t dim_arg(const JitValue* dim, int64_t rank) const;

  // --- static arguments (throw when the argument depends on the input) ---
  int64_t const_int(const JitValue* v) const;
  double const_double(const JitValue* v) const;
  bool const_bool(const JitValue* v) const;
  std::vector<int64_t> const_ints(const JitValue* v) const;
  std::string const_string(const JitValue* v) const;

  // --- IR values ---
  // The IR value of a tensor (or scalar, as a 0-d tensor); static values become constants.
  ir::Value* tensor(const JitValue* v);
  // A tensor argument converted to `dtype` (a Cast when needed; constants are cast in place).
  ir::Value* tensor_as(const JitValue* v, ir::DType dtype);
  // The items of a list/tuple value.
  std::vector<ir::Value*> tensor_list(const JitValue* v);
  // An int list (static or built from dynamic sizes) as a 1-D int64 IR tensor.
  ir::Value* int_list_tensor(const JitValue* v);
  ir::Value* constant(ir::Tensor t, const std::string& hint = "const");
  ir::Value* int64_vector(const std::vector<int64_t>& values) {
    return constant(ir::Tensor::vector_int64(values), "shape");
  }
  ir::Value* scalar(double value, ir::DType dtype) {
    return constant(ir::Tensor::scalar_of(dtype, value));
  }

  // Appends an IR node (tagged with the current node's source) and returns it.
  ir::Node* emit(const std::string& op, std::vector<ir::Value*> inputs,
                 std::map<std::string, ir::Attribute> attrs = {}, size_t num_outputs = 1);
  // Shorthand for single-output nodes.
  ir::Value* op(const std::string& op, std::vector<ir::Value*> inputs,
                std::map<std::string, ir::Attribute> attrs = {}) {
    return emit(op, std::move(inputs), std::move(attrs))->outputs[0];
  }
  ir::Value* cast(ir::Value* v, ir::DType to);

  // Binds a TorchScript output to an IR value, copying dtype and shape from the record.
  void bind(const JitValue* out, ir::Value* v);
  void bind_list(const JitValue* out, std::vector<ir::Value*> items);
  // Marks an output static: its recorded value is the answer (constant folding at import).
  void bind_static(const JitValue* out);
  // Makes `dst` the same value as `src` (block outputs of an inlined branch or loop).
  void alias(const JitValue* dst, const JitValue* src) { slots_[dst] = slot(src); }

  // --- bookkeeping used by the graph walker ---
  void record(const JitValue* v, c10::IValue value, bool is_static);
  // Swaps a recorded tensor for a data-free (meta) one of the same dtype and shape, once no node
  // will read its data again.
  void release(const JitValue* v);
  void set_current(const JitNode* node, std::string source) {
    current_ = node;
    current_source_ = std::move(source);
  }
  const JitNode* current() const { return current_; }
  bool dynamic_batch = false;
  // How many computed loops' bodies are being translated. A body is learned from its first
  // iteration, and the sizes it reads may change from one iteration to the next (a keypoint
  // heatmap resized to each box), so inside one no size is folded to its recorded value.
  int loop_depth = 0;

  // --- control flow: subgraphs (If branches, Loop bodies) ---
  // While a subgraph is open, nodes go into it. A value of an enclosing scope used inside becomes
  // one of its inputs (a capture); a constant is copied in instead.
  void open_subgraph(ir::Subgraph graph);
  struct Capture {
    ir::Value* outer;  // in the enclosing scope
    ir::Value* inner;  // the subgraph's input
  };
  // Closes the innermost subgraph and returns its captures, in the order of its inputs.
  std::vector<Capture> close_subgraph();
  bool in_subgraph() const { return scopes_.size() > 1; }
  size_t scope_depth() const { return scopes_.size() - 1; }
  // A formal input of the open subgraph (a Loop body's iteration number, condition, carried).
  ir::Value* add_subgraph_input(const std::string& name, ir::DType dtype, ir::Shape shape);
  // `v` as the current scope sees it: itself, a capture, or a copy of a constant.
  ir::Value* local(ir::Value* v);

 private:
  struct Slot {
    c10::IValue recorded;
    bool is_static = true;
    ir::Value* ir = nullptr;
    std::vector<ir::Value*> items;  // lists and tuples of dynamic values
    bool has_items = false;
  };
  Slot& slot(const JitValue* v);
  const Slot& slot(const JitValue* v) const;
  ir::Value* from_ivalue(const c10::IValue& value, const JitValue* v);

  struct Scope {
    int id;
    ir::Graph* graph;
    ir::Subgraph owned;  // null for the model's graph
    std::vector<Capture> captures;
    std::unordered_map<ir::Value*, ir::Value*> imported;  // outer value -> its input or copy
  };
  int owner(const ir::Value* v) const;  // id of the scope that made `v` (0: the model's graph)
  ir::Value* local_at(ir::Value* v, size_t depth);
  void own(ir::Value* v);

  std::unordered_map<const JitValue*, Slot> slots_;
  std::unordered_set<const JitValue*> data_dependent_;
  std::unordered_set<int64_t> data_dependent_sizes_;  // recorded sizes the data decided
  std::vector<Scope> scopes_;                         // open scopes, outermost first
  std::unordered_map<const ir::Value*, int> owner_;
  int next_scope_id_ = 1;
  const JitNode* current_ = nullptr;
  std::string current_source_;
};

// A translator turns one TorchScript node into IR nodes via the context.
using Translator = void (*)(TranslateContext& ctx, const JitNode* node);

}  // namespace mlexport::frontend::torchscript
