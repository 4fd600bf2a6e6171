// prim::If and prim::Loop. A condition or trip count known at export time selects the branch or
// unrolls the loop; one computed from the input becomes IR If/Loop with the blocks as subgraphs.
//
// The recorded run knows only what the example inputs did: the branch not taken is run on the
// same inputs to learn its dtypes and shapes, and a loop body is translated from its first
// iteration, then run for the remaining ones so values after the loop are what the model gives.
#include <functional>

#include "frontend/torchscript/graph_walker.h"

namespace mlexport::frontend::torchscript {
namespace {

using torch::jit::Block;

constexpr int64_t kMaxUnrolledIterations = 4096;

std::string at(const std::string& source) {
  return source.empty() ? std::string() : " at " + source;
}

// Dims that differ become unknown; a rank that differs leaves the shape unknown.
std::optional<ir::Shape> merge_shapes(const std::optional<ir::Shape>& a,
                                      const std::optional<ir::Shape>& b) {
  if (!a || !b || a->size() != b->size()) return std::nullopt;
  ir::Shape out = *a;
  for (size_t d = 0; d < out.size(); ++d)
    if (!(out[d] == (*b)[d])) out[d] = ir::Dim{};
  return out;
}

std::optional<ir::Shape> shape_of(const c10::IValue& v) {
  if (v.isTensor()) return ir::fixed_shape(v.toTensor().sizes().vec());
  if (v.isInt() || v.isDouble() || v.isBool()) return ir::Shape{};
  return std::nullopt;
}

bool inside(const Block* block, const JitNode* node) {
  for (const Block* b = node->owningBlock(); b;
       b = b->owningNode() ? b->owningNode()->owningBlock() : nullptr)
    if (b == block) return true;
  return false;
}

// Opens a subgraph and closes it when the scope ends, also when a translation throws.
class OpenSubgraph {
 public:
  OpenSubgraph(TranslateContext& ctx, ir::Subgraph graph) : ctx_(ctx) {
    ctx_.open_subgraph(std::move(graph));
  }
  ~OpenSubgraph() {
    if (open_) ctx_.close_subgraph();
  }
  std::vector<TranslateContext::Capture> close() {
    open_ = false;
    return ctx_.close_subgraph();
  }

 private:
  TranslateContext& ctx_;
  bool open_ = true;
};

}  // namespace

void GraphWalker::visit_if(const JitNode* node, const std::string& source) {
  const JitValue* cond = node->input(0);
  if (!ctx_.is_static(cond)) return translate_if(node, source);
  const Block* taken = ctx_.recorded(cond).toBool() ? node->blocks()[0] : node->blocks()[1];
  walk(taken);
  for (size_t k = 0; k < node->outputs().size(); ++k)
    ctx_.alias(node->output(k), taken->outputs()[k]);
}

std::vector<ir::Value*> GraphWalker::translate_block(const Block* block) {
  walk(block);
  std::vector<ir::Value*> outs;
  for (const JitValue* out : block->outputs()) {
    const c10::IValue& r = ctx_.recorded(out);
    if (r.isTensorList() || (r.isList() && !r.isIntList() && !r.isDoubleList()) || r.isTuple())
      throw Error(ExitCode::kUnsupportedOps, std::string("a branch or loop body that gives a ") +
                                                 r.tagKind() +
                                                 " (only tensors and numbers cross control flow)");
    outs.push_back(ctx_.local(ctx_.tensor(out)));
  }
  return outs;
}

void GraphWalker::translate_if(const JitNode* node, const std::string& source) {
  ir::Value* cond = ctx_.tensor_as(node->input(0), ir::DType::Bool);
  const size_t taken = ctx_.recorded(node->input(0)).toBool() ? 0 : 1;
  ir::Subgraph branches[2];
  std::vector<TranslateContext::Capture> captures[2];
  std::vector<ir::Value*> outputs[2];
  for (size_t b = 0; b < 2; ++b) {
    branches[b] = std::make_shared<ir::Graph>();
    OpenSubgraph open(ctx_, branches[b]);
    try {
      outputs[b] = translate_block(node->blocks()[b]);
    } catch (const PoisonedValue&) {
      return poison_outputs(node);  // the op inside is already in the report
    } catch (const Error& e) {
      if (b == taken || e.code() != ExitCode::kBadInput) throw;
      throw Error(ExitCode::kUnsupportedOps,
                  "the branch of prim::If" + at(source) +
                      " that the example inputs do not take fails on them (" + e.what() +
                      "); its shapes cannot be learned");
    }
    captures[b] = open.close();
  }

  // Both branches read the same outer values, in the order of the If node's inputs.
  std::vector<ir::Value*> outer;
  for (const auto& list : captures)
    for (const auto& c : list)
      if (std::find(outer.begin(), outer.end(), c.outer) == outer.end()) outer.push_back(c.outer);
  for (size_t b = 0; b < 2; ++b) {
    std::vector<ir::Value*> inputs;
    for (ir::Value* o : outer) {
      auto it = std::find_if(captures[b].begin(), captures[b].end(),
                             [&](const auto& c) { return c.outer == o; });
      if (it != captures[b].end()) {
        inputs.push_back(it->inner);
      } else {
        inputs.push_back(branches[b]->new_value(o->name, o->dtype, o->shape));
      }
    }
    branches[b]->set_inputs(std::move(inputs));
    for (ir::Value* v : outputs[b]) branches[b]->mark_output(v);
  }
  for (size_t k = 0; k < node->outputs().size(); ++k)
    if (outputs[0][k]->dtype != outputs[1][k]->dtype)
      throw Error(ExitCode::kUnsupportedOps, "the branches of prim::If" + at(source) +
                                                 " give output " + std::to_string(k) +
                                                 " in different dtypes");

  std::vector<ir::Value*> inputs = {cond};
  inputs.insert(inputs.end(), outer.begin(), outer.end());
  ir::Node* n = ctx_.emit("If", inputs,
                          {{"then_branch", branches[0]},
                           {"else_branch", branches[1]},
                           {"captures", static_cast<int64_t>(outer.size())}},
                          node->outputs().size());
  for (size_t k = 0; k < node->outputs().size(); ++k) {
    ctx_.record(node->output(k), ctx_.recorded(node->blocks()[taken]->outputs()[k]), false);
    ctx_.bind(node->output(k), n->outputs[k]);
    n->outputs[k]->shape = merge_shapes(outputs[0][k]->shape, outputs[1][k]->shape);
    ctx_.track_data_dependent_sizes(node->output(k), false);
  }
  dynamic_sites_.insert(node);
  coverage_.note_if(source, taken == 0);
}

void GraphWalker::visit_loop(const JitNode* node, const std::string& source) {
  const JitValue* max_trips = node->input(0);
  const JitValue* start_cond = node->input(1);
  if (!ctx_.is_static(max_trips) || !ctx_.is_static(start_cond) ||
      !loop_condition_is_static(node) || ctx_.recorded(max_trips).toInt() > kMaxUnrolledIterations)
    return translate_loop(node, source);

  // Unrolled: body inputs are (iteration, carried...); body outputs are (cond, carried...).
  const Block* body = node->blocks()[0];
  const int64_t trips = ctx_.recorded(max_trips).toInt();
  bool cond = ctx_.recorded(start_cond).toBool();
  std::vector<const JitValue*> carried(node->inputs().begin() + 2, node->inputs().end());
  int64_t iteration = 0;
  for (; cond && iteration < trips; ++iteration) {
    if (iteration >= kMaxUnrolledIterations)
      throw Error(ExitCode::kUnsupportedOps, "prim::Loop" + at(source) + " runs more than " +
                                                 std::to_string(kMaxUnrolledIterations) +
                                                 " times; too long to unroll");
    ctx_.record(body->inputs()[0], c10::IValue(iteration), true);
    for (size_t k = 0; k < carried.size(); ++k) ctx_.alias(body->inputs()[k + 1], carried[k]);
    walk(body);
    const JitValue* next_cond = body->outputs()[0];
    if (!ctx_.is_static(next_cond))
      throw Error(ExitCode::kInternal,
                  "prim::Loop" + at(source) + ": the condition became data-dependent");
    cond = ctx_.recorded(next_cond).toBool();
    carried.assign(body->outputs().begin() + 1, body->outputs().end());
  }
  for (size_t k = 0; k < node->outputs().size(); ++k) ctx_.alias(node->output(k), carried[k]);
}

// Whether the loop's continue-condition is computed from constants only (then it is unrolled):
// carried values start static or not, and become dynamic when the body makes them so.
bool GraphWalker::loop_condition_is_static(const JitNode* loop) {
  const Block* body = loop->blocks()[0];
  const size_t n_carried = loop->inputs().size() - 2;
  std::vector<bool> carried_dynamic(n_carried);
  for (size_t k = 0; k < n_carried; ++k) carried_dynamic[k] = !ctx_.is_static(loop->input(2 + k));
  std::unordered_map<const JitValue*, bool> memo;
  std::function<bool(const JitValue*)> dynamic = [&](const JitValue* v) -> bool {
    if (auto it = memo.find(v); it != memo.end()) return it->second;
    memo[v] = false;  // cycles cannot occur in SSA; this guards re-entry only
    bool result = false;
    const JitNode* producer = v->node();
    if (producer == body->param_node()) {
      result = v->offset() > 0 && carried_dynamic[v->offset() - 1];
    } else if (!inside(body, producer) && producer->owningBlock() != body &&
               producer != body->param_node()) {
      result = producer->kind() != c10::prim::Param && !ctx_.is_static(v);
    } else if (producer->kind() == c10::prim::Param) {
      result = true;  // the input of a nested loop body: treated as dynamic
    } else {
      for (const JitValue* in : producer->inputs()) result = result || dynamic(in);
      for (const Block* nested : producer->blocks())
        for (const JitNode* n : nested->nodes())
          for (const JitValue* in : n->inputs()) result = result || dynamic(in);
    }
    memo[v] = result;
    return result;
  };
  for (bool changed = true; changed;) {
    changed = false;
    memo.clear();
    for (size_t k = 0; k < n_carried; ++k)
      if (!carried_dynamic[k] && dynamic(body->outputs()[k + 1])) {
        carried_dynamic[k] = true;
        changed = true;
      }
  }
  memo.clear();
  return !dynamic(body->outputs()[0]);
}

void GraphWalker::translate_loop(const JitNode* node, const std::string& source) {
  const Block* body = node->blocks()[0];
  const size_t n_carried = node->inputs().size() - 2;
  const int64_t max_trips = ctx_.recorded(node->input(0)).toInt();
  if (!ctx_.recorded(node->input(1)).toBool() || max_trips <= 0)
    throw Error(ExitCode::kUnsupportedOps,
                "prim::Loop" + at(source) +
                    " runs no iteration at the example inputs, so its body cannot be learned; give "
                    "inputs for which it runs at least once");
  ir::Value* trips = ctx_.tensor_as(node->input(0), ir::DType::Int64);
  ir::Value* cond = ctx_.tensor_as(node->input(1), ir::DType::Bool);
  std::vector<ir::Value*> inits;
  std::vector<c10::IValue> init_recorded;
  for (size_t k = 0; k < n_carried; ++k) {
    const JitValue* in = node->input(2 + k);
    init_recorded.push_back(ctx_.recorded(in));
    if (!shape_of(init_recorded.back()))
      throw Error(ExitCode::kUnsupportedOps, "prim::Loop" + at(source) + " carries a " +
                                                 init_recorded.back().tagKind() +
                                                 " (only tensors and numbers can be carried)");
    inits.push_back(ctx_.tensor(in));
  }

  auto body_graph = std::make_shared<ir::Graph>();
  std::vector<Append> appends;
  std::vector<ir::Value*> carried_in;
  std::vector<ir::Value*> outs;
  std::vector<TranslateContext::Capture> captures;
  {
    OpenSubgraph open(ctx_, body_graph);
    ir::Value* iter = ctx_.add_subgraph_input("iteration", ir::DType::Int64, ir::Shape{});
    ctx_.add_subgraph_input("cond_in", ir::DType::Bool, ir::Shape{});
    ctx_.record(body->inputs()[0], c10::IValue(int64_t{0}), false);
    ctx_.bind(body->inputs()[0], iter);
    for (size_t k = 0; k < n_carried; ++k) {
      ir::Value* v =
          ctx_.add_subgraph_input("carried", inits[k]->dtype, *shape_of(init_recorded[k]));
      carried_in.push_back(v);
      ctx_.record(body->inputs()[k + 1], init_recorded[k], false);
      ctx_.bind(body->inputs()[k + 1], v);
    }
    {
      EnterLoop inside(*this, LoopFrame{body, ctx_.scope_depth(), &appends});
      outs = translate_block(body);
    }
    outs[0] = ctx_.local(ctx_.cast(outs[0], ir::DType::Bool));
    for (ir::Value* v : outs) body_graph->mark_output(v);
    for (const Append& a : appends) body_graph->mark_output(a.item);
    captures = open.close();
  }

  // The remaining iterations, run without translating, give the values after the loop.
  std::vector<c10::IValue> first(body->outputs().size());
  for (size_t k = 0; k < first.size(); ++k) first[k] = ctx_.recorded(body->outputs()[k]);
  std::vector<c10::IValue> carried(first.begin() + 1, first.end());
  const int64_t iterations = run_loop_iterations(node, 1, max_trips, first[0].toBool(), carried);

  std::vector<ir::Value*> inputs = {trips, cond};
  inputs.insert(inputs.end(), inits.begin(), inits.end());
  for (const auto& c : captures) inputs.push_back(c.outer);
  ir::Node* n = ctx_.emit(
      "Loop", inputs, {{"body", body_graph}, {"captures", static_cast<int64_t>(captures.size())}},
      n_carried + appends.size());
  for (size_t k = 0; k < n_carried; ++k) {
    const c10::IValue& last = carried[k];
    // A dim that changes from one iteration to the next is unknown in the body and after it.
    std::optional<ir::Shape> shape = merge_shapes(
        merge_shapes(shape_of(init_recorded[k]), shape_of(first[k + 1])), shape_of(last));
    carried_in[k]->shape = shape;
    ctx_.record(node->output(k), last, false);
    ctx_.bind(node->output(k), n->outputs[k]);
    n->outputs[k]->shape = shape;
    ctx_.track_data_dependent_sizes(node->output(k), false);
  }
  for (size_t j = 0; j < appends.size(); ++j) {
    ir::Value* stacked = n->outputs[n_carried + j];
    stacked->dtype = appends[j].item->dtype;
    if (appends[j].item->shape) {
      stacked->shape = ir::Shape{ir::Dim{}};
      stacked->shape->insert(stacked->shape->end(), appends[j].item->shape->begin(),
                             appends[j].item->shape->end());
    }
    ctx_.record(appends[j].list, ctx_.recorded(appends[j].list), false);
    ctx_.mark_data_dependent(appends[j].list);
    stacked_lists_[appends[j].list] = stacked;
  }
  dynamic_sites_.insert(node);
  coverage_.note_loop(source, iterations);
}

int64_t GraphWalker::run_loop_iterations(const JitNode* node, int64_t first, int64_t trips,
                                         bool cond, std::vector<c10::IValue>& carried) {
  const Block* body = node->blocks()[0];
  int64_t iteration = first;
  for (; cond && iteration < trips; ++iteration) {
    ctx_.record(body->inputs()[0], c10::IValue(iteration), false);
    for (size_t k = 0; k < carried.size(); ++k)
      ctx_.record(body->inputs()[k + 1], carried[k], false);
    execute(body);
    cond = ctx_.recorded(body->outputs()[0]).toBool();
    for (size_t k = 0; k < carried.size(); ++k) carried[k] = ctx_.recorded(body->outputs()[k + 1]);
  }
  return iteration;
}

void GraphWalker::execute(const Block* block) {
  for (const JitNode* node : block->nodes()) execute_node(node);
}

void GraphWalker::execute_node(const JitNode* node) {
  if (node->kind() == c10::prim::Constant) return visit(node);
  if (node->kind() == c10::prim::If) {
    const bool then = ctx_.recorded(node->input(0)).toBool();
    const Block* taken = node->blocks()[then ? 0 : 1];
    execute(taken);
    for (size_t k = 0; k < node->outputs().size(); ++k)
      ctx_.record(node->output(k), ctx_.recorded(taken->outputs()[k]), false);
    if (note_every_site_ || dynamic_sites_.count(node))
      coverage_.note_if(describe_source(node), then);
    return;
  }
  if (node->kind() == c10::prim::Loop) {
    std::vector<c10::IValue> carried;
    for (size_t k = 2; k < node->inputs().size(); ++k)
      carried.push_back(ctx_.recorded(node->input(k)));
    const int64_t n = run_loop_iterations(node, 0, ctx_.recorded(node->input(0)).toInt(),
                                          ctx_.recorded(node->input(1)).toBool(), carried);
    for (size_t k = 0; k < node->outputs().size(); ++k)
      ctx_.record(node->output(k), carried[k], false);
    if (note_every_site_ || dynamic_sites_.count(node))
      coverage_.note_loop(describe_source(node), n);
    return;
  }
  torch::jit::Stack stack;
  for (const JitValue* in : node->inputs()) stack.push_back(ctx_.recorded(in));
  try {
    run_operation(node, stack);
  } catch (const std::exception& e) {
    throw bad_input(std::string("the model fails on the given inputs at ") +
                    node->kind().toQualString() + at(describe_source(node)) + ": " +
                    first_line(e.what()));
  }
  const size_t n_out = node->outputs().size();
  for (size_t k = 0; k < n_out; ++k)
    ctx_.record(node->output(k), stack[stack.size() - n_out + k], false);
}

}  // namespace mlexport::frontend::torchscript
