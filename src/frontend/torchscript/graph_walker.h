// The walk over a frozen TorchScript graph: each node runs on the recorded inputs and goes to its
// translator; control flow whose condition or trip count comes from the input becomes IR If/Loop
// (control_flow.cpp).
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "frontend/torchscript/translate_context.h"
#include "ir/control_flow_coverage.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

std::string describe_source(const JitNode* node);

class GraphWalker {
 public:
  GraphWalker(ir::Graph& graph, bool dynamic_batch);

  TranslateContext& ctx() { return ctx_; }
  // Every value keeps its data and no op runs on shapes alone: set for graphs with control flow,
  // whose conditions need the real values.
  void keep_exact_values() { exact_values_ = true; }

  void walk(const torch::jit::Block* block);
  // walk() for the graph's own block, dropping each recorded tensor after its last use: the
  // recorded run would otherwise keep every activation of the model alive at once.
  void walk_releasing(const torch::jit::Block* block);

  std::vector<UnsupportedOp> unsupported() const;

  // Runs `block` on the recorded inputs without translating it (coverage of a validation run).
  void run_only(const torch::jit::Block* block) {
    note_every_site_ = true;
    execute(block);
  }

 private:
  void report(const JitNode* node, const std::string& kind, const std::string& source,
              const std::string& reason = "");
  void poison_outputs(const JitNode* node);
  bool has_poisoned_input(const JitNode* node) const;
  // Whether a recorded input or output is complex (or a list holding one).
  bool touches_complex(const JitNode* node) const;
  void visit(const JitNode* node);
  bool run_node(const JitNode* node, bool all_static, std::vector<c10::IValue>& outputs,
                const std::string& source);
  static void run_operation(const JitNode* node, torch::jit::Stack& stack);

  // --- control flow (control_flow.cpp) ---
  void visit_if(const JitNode* node, const std::string& source);
  void visit_loop(const JitNode* node, const std::string& source);
  void translate_if(const JitNode* node, const std::string& source);
  void translate_loop(const JitNode* node, const std::string& source);
  // Translates `block` into the open subgraph and returns its outputs as the subgraph sees them.
  std::vector<ir::Value*> translate_block(const torch::jit::Block* block);
  // Runs a block without translating it (the loop iterations after the first).
  void execute(const torch::jit::Block* block);
  void execute_node(const JitNode* node);
  // Runs iterations first.. of a loop from the carried values given; returns the iteration
  // count reached and leaves the final carried values in `carried`.
  int64_t run_loop_iterations(const JitNode* node, int64_t first, int64_t trips, bool cond,
                              std::vector<c10::IValue>& carried);
  bool loop_condition_is_static(const JitNode* loop);
  // aten::append inside a loop body, and the uses of a list a loop built (loop_lists.cpp).
  bool translate_list_use(const JitNode* node);
  void translate_stacked_use(const JitNode* node, ir::Value* stacked);

  TranslateContext ctx_;
  std::map<std::string, UnsupportedOp> unsupported_;
  std::set<const JitValue*> poisoned_;
  bool exact_values_ = false;
  // The If/Loop nodes translated as IR If/Loop; only those count in coverage_ (all of them when
  // note_every_site_, for a run that translates nothing).
  std::set<const JitNode*> dynamic_sites_;
  bool note_every_site_ = false;

  // Lists appended to inside a Loop body being translated: each becomes a scan output.
  struct Append {
    const JitValue* list;
    ir::Value* item;
  };
  struct LoopFrame {
    const torch::jit::Block* body;
    size_t scope_depth;
    std::vector<Append>* appends;
  };
  std::vector<LoopFrame> loop_frames_;
  // While a Loop body is translated: its frame on loop_frames_ and the context's loop depth,
  // both undone when the body ends or throws.
  class EnterLoop {
   public:
    EnterLoop(GraphWalker& walker, LoopFrame frame) : walker_(walker) {
      walker_.loop_frames_.push_back(frame);
      ++walker_.ctx_.loop_depth;
    }
    ~EnterLoop() {
      --walker_.ctx_.loop_depth;
      walker_.loop_frames_.pop_back();
    }
    EnterLoop(const EnterLoop&) = delete;
    EnterLoop& operator=(const EnterLoop&) = delete;

   private:
    GraphWalker& walker_;
  };
  // Lists whose items a Loop stacked along a new axis 0 (its scan output).
  std::unordered_map<const JitValue*, ir::Value*> stacked_lists_;

 public:
  ir::ControlFlowCoverage coverage_;
};

}  // namespace mlexport::frontend::torchscript
