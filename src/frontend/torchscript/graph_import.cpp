#include "frontend/torchscript/graph_import.h"

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "frontend/torchscript/op_table.h"
#include "frontend/torchscript/shape_only.h"
#include "frontend/torchscript/tensor_convert.h"
#include "mlexport/diagnostics.h"

namespace mlexport::torchscript {
namespace {

using torch::jit::Block;

// Ops whose result differs from run to run: never folded even with constant inputs.
const std::set<std::string> kNondeterministic = {
    "aten::rand",        "aten::randn",     "aten::rand_like", "aten::randn_like",
    "aten::randint",     "aten::bernoulli", "aten::normal",    "aten::uniform_",
    "aten::multinomial", "aten::randperm",  "aten::empty",     "aten::empty_like"};

constexpr int64_t kMaxUnrolledIterations = 4096;

std::string describe_source(const JitNode* const_node) {
  auto* node = const_cast<JitNode*>(const_node);  // scope() is not const in LibTorch
  std::string where;
  if (node->scope() && !node->scope()->isBlank()) {
    where = node->scope()->namesFromRoot();
  }
  const auto& range = node->sourceRange();
  if (range.source()) {
    if (auto loc = range.file_line_col()) {
      auto [file, line, col] = *loc;
      (void)col;
      if (!file.empty()) {
        if (!where.empty()) where += " ";
        where += file + ":" + std::to_string(line);
      }
    }
  }
  return where;
}

// For each value used in `block`, the index of the last top-level node that needs it. A use in a
// nested block counts at the node owning that block; a value put in a list or tuple lives as
// long as the list does (translators read the items through the list's producer).
std::unordered_map<const JitValue*, size_t> last_uses(const Block* block) {
  std::unordered_map<const JitNode*, size_t> index;
  std::vector<const JitNode*> order;
  for (const JitNode* node : block->nodes()) {
    index[node] = order.size();
    order.push_back(node);
  }
  auto top_level = [&](const JitNode* user) -> std::optional<size_t> {
    while (user && !index.count(user)) {
      const Block* owner = user->owningBlock();
      user = owner ? owner->owningNode() : nullptr;
    }
    if (!user) return std::nullopt;
    return index.at(user);
  };
  std::unordered_map<const JitValue*, size_t> last;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const JitValue* out : (*it)->outputs()) {
      size_t end = 0;
      bool used = false;
      for (const auto& use : out->uses()) {
        auto at = top_level(use.user);
        if (!at) continue;  // the graph's return: never released
        size_t until = *at;
        const auto kind = use.user->kind();
        if (kind == c10::prim::ListConstruct || kind == c10::prim::TupleConstruct) {
          auto list = last.find(use.user->output());
          if (list != last.end()) until = std::max(until, list->second);
        }
        end = used ? std::max(end, until) : until;
        used = true;
      }
      if (used) last[out] = end;
    }
  }
  return last;
}

class GraphWalker {
 public:
  GraphWalker(ir::Graph& graph, bool dynamic_batch) : ctx_(graph) {
    ctx_.dynamic_batch = dynamic_batch;
  }

  TranslateContext& ctx() { return ctx_; }

  void walk(const Block* block) {
    for (const JitNode* node : block->nodes()) visit(node);
  }

  // walk() for the graph's own block, dropping each recorded tensor after its last use: the
  // recorded run would otherwise keep every activation of the model alive at once.
  void walk_releasing(const Block* block) {
    const auto last_use = last_uses(block);
    std::unordered_set<const JitValue*> outputs(block->outputs().begin(), block->outputs().end());
    size_t index = 0;
    for (const JitNode* node : block->nodes()) {
      visit(node);
      for (const JitValue* in : node->inputs()) {
        auto it = last_use.find(in);
        if (it != last_use.end() && it->second == index && !outputs.count(in)) ctx_.release(in);
      }
      ++index;
    }
  }

  std::vector<UnsupportedOp> unsupported() const {
    std::vector<UnsupportedOp> out;
    for (const auto& [kind, op] : unsupported_) out.push_back(op);
    return out;
  }

 private:
  // Lists `node` in the report (once per kind and reason) and poisons its outputs.
  void report(const JitNode* node, const std::string& kind, const std::string& source,
              const std::string& reason = "") {
    // The reason rides in the kind ("aten::pad (circular padding ...)") so each refused variant
    // is its own line of the report.
    const std::string entry = reason.empty() ? kind : kind + " (" + reason + ")";
    UnsupportedOp& op = unsupported_[entry];
    op.kind = entry;
    ++op.count;
    if (op.where.size() < 3 && !source.empty()) op.where.push_back(source);
    poison_outputs(node);
  }

  // Outputs of an op that could not be converted: nodes that depend on them are skipped, not
  // reported again.
  void poison_outputs(const JitNode* node) {
    for (const JitValue* out : node->outputs()) {
      ctx_.record(out, c10::IValue(), false);
      poisoned_.insert(out);
    }
  }

  bool has_poisoned_input(const JitNode* node) const {
    for (const JitValue* in : node->inputs())
      if (poisoned_.count(in)) return true;
    return false;
  }

  void visit(const JitNode* node) {
    const std::string kind = node->kind().toQualString();
    const std::string source = describe_source(node);
    ctx_.set_current(node, source);
    if (node->kind() == c10::prim::Constant) {
      c10::IValue value = torch::jit::toIValue(node->output()).value();
      // A Python number traced into the graph is a 0-d double/long tensor; eager PyTorch treats
      // it as a wrapped number in type promotion (int64 * 0.5 is float32, not float64).
      if (value.isTensor() && value.toTensor().dim() == 0 &&
          (value.toTensor().scalar_type() == c10::kDouble ||
           value.toTensor().scalar_type() == c10::kLong)) {
        at::Tensor number = value.toTensor().clone();
        number.unsafeGetTensorImpl()->set_wrapped_number(true);
        value = number;
      }
      ctx_.record(node->output(), value, true);
      return;
    }
    // Control flow on a value that is not a constant (computed, or poisoned by a missing op) is
    // refused with its reason; the walk goes on.
    try {
      if (node->kind() == c10::prim::If) return visit_if(node, source);
      if (node->kind() == c10::prim::Loop) return visit_loop(node, source);
    } catch (const UnsupportedOpsError&) {
      throw;
    } catch (const Error& e) {
      if (e.code() != ExitCode::kUnsupportedOps) throw;
      return report(node, kind, source, e.what());
    }
    if (has_poisoned_input(node)) {
      // Downstream of an op that could not be converted: nothing to translate from, but an op
      // that has no rule either is listed too, so one report names every missing op.
      if (!find_rule(kind)) return report(node, kind, source);
      return poison_outputs(node);
    }

    bool all_static = true;
    for (const JitValue* in : node->inputs()) all_static = all_static && ctx_.is_static(in);

    std::vector<c10::IValue> outputs;
    if (!run_node(node, all_static, outputs, source)) return;
    const bool fold = all_static && !kNondeterministic.count(kind) && node->blocks().empty();
    for (size_t k = 0; k < node->outputs().size(); ++k)
      ctx_.record(node->output(k), outputs[k], fold);
    if (fold) return;

    const OpRule* rule = find_rule(kind);
    if (!rule) {
      const KnownGap* gap = find_known_gap(kind);
      return report(node, gap ? kind + " (" + gap->reason + ")" : kind, source);
    }
    try {
      rule->translate(ctx_, node);
    } catch (const PoisonedValue&) {
      // Inputs from reported ops are skipped before this point, so an input without a value
      // here is one its producer's rule does not provide (e.g. max-pool indices).
      report(node, kind, source, "an input is not provided by its producer's rule");
    } catch (const UnsupportedOpsError&) {
      throw;
    } catch (const Error& e) {
      // The rule refused this variant (a mode, or an argument it cannot take): listed with its
      // reason, and the walk goes on so the report names everything else too.
      if (e.code() != ExitCode::kUnsupportedOps) throw;
      report(node, kind, source, e.what());
    }
  }

  // Runs the node with LibTorch on the recorded inputs; false when it cannot run.
  bool run_node(const JitNode* node, bool all_static, std::vector<c10::IValue>& outputs,
                const std::string& src) {
    torch::jit::Stack stack;
    for (const JitValue* in : node->inputs()) stack.push_back(ctx_.recorded(in));
    if (!all_static) {
      if (auto shaped = run_shape_only(node, stack)) {
        outputs = std::move(*shaped);
        return true;
      }
    }
    try {
      run_operation(node, stack);
    } catch (const std::exception& e) {
      // An op we can translate that fails on the example inputs means the inputs do not fit
      // the model (wrong rank, dtype...); an op without a rule is reported as unsupported.
      if (find_rule(node->kind().toQualString()))
        throw bad_input(std::string("the model fails on the given inputs at ") +
                        node->kind().toQualString() + (src.empty() ? "" : " (" + src + ")") + ": " +
                        first_line(e.what()));
      report(node, node->kind().toQualString(), src);
      return false;
    }
    if (stack.size() < node->outputs().size())
      throw Error(ExitCode::kInternal, std::string("running ") + node->kind().toQualString() +
                                           " produced too few values");
    outputs.assign(stack.end() - static_cast<std::ptrdiff_t>(node->outputs().size()), stack.end());
    return true;
  }

  // List and tuple plumbing has no operator schema in LibTorch; it is run directly.
  static void run_operation(const JitNode* node, torch::jit::Stack& stack) {
    const size_t n_in = node->inputs().size();
    auto take_inputs = [&]() {
      std::vector<c10::IValue> values(stack.end() - static_cast<std::ptrdiff_t>(n_in), stack.end());
      stack.resize(stack.size() - n_in);
      return values;
    };
    switch (node->kind()) {
      case c10::prim::ListConstruct: {
        c10::impl::GenericList list(
            node->output()->type()->expectRef<c10::ListType>().getElementType());
        for (c10::IValue& v : take_inputs()) list.push_back(std::move(v));
        stack.emplace_back(std::move(list));
        return;
      }
      case c10::prim::TupleConstruct:
        stack.emplace_back(c10::ivalue::Tuple::create(take_inputs()));
        return;
      case c10::prim::ListUnpack:
      case c10::prim::TupleUnpack: {
        c10::IValue packed = stack.back();
        stack.pop_back();
        std::vector<c10::IValue> items;
        if (packed.isTuple())
          items = packed.toTupleRef().elements().vec();
        else
          for (const c10::IValue& v : packed.toListRef()) items.push_back(v);
        if (items.size() != node->outputs().size())
          throw std::runtime_error("unpacking " + std::to_string(items.size()) + " values into " +
                                   std::to_string(node->outputs().size()));
        for (c10::IValue& v : items) stack.push_back(std::move(v));
        return;
      }
      default: {
        torch::jit::Operation op = node->getOperation();
        op(stack);
      }
    }
  }

  void visit_if(const JitNode* node, const std::string& source) {
    const JitValue* cond = node->input(0);
    if (!ctx_.is_static(cond)) {
      throw Error(ExitCode::kUnsupportedOps,
                  "data-dependent control flow: prim::If" +
                      (source.empty() ? std::string() : " at " + source) +
                      " branches on a value computed from the input; trace the model instead, or "
                      "make the condition a constant");
    }
    const Block* taken = ctx_.recorded(cond).toBool() ? node->blocks()[0] : node->blocks()[1];
    walk(taken);
    for (size_t k = 0; k < node->outputs().size(); ++k)
      ctx_.alias(node->output(k), taken->outputs()[k]);
  }

  // Loops with a trip count and condition known at export time are unrolled.
  void visit_loop(const JitNode* node, const std::string& source) {
    const JitValue* max_trips = node->input(0);
    const JitValue* start_cond = node->input(1);
    auto dynamic_loop = [&]() {
      return Error(ExitCode::kUnsupportedOps,
                   "data-dependent control flow: prim::Loop" +
                       (source.empty() ? std::string() : " at " + source) +
                       " runs a number of times that depends on the input");
    };
    if (!ctx_.is_static(max_trips) || !ctx_.is_static(start_cond)) throw dynamic_loop();
    const Block* body = node->blocks()[0];
    const int64_t trips = ctx_.recorded(max_trips).toInt();
    bool cond = ctx_.recorded(start_cond).toBool();
    // Carried values: body inputs are (iteration, carried...); body outputs are (cond, carried...).
    std::vector<const JitValue*> carried(node->inputs().begin() + 2, node->inputs().end());
    int64_t iteration = 0;
    for (; cond && iteration < trips; ++iteration) {
      if (iteration >= kMaxUnrolledIterations)
        throw Error(ExitCode::kUnsupportedOps,
                    "prim::Loop" + (source.empty() ? std::string() : " at " + source) +
                        " runs more than " + std::to_string(kMaxUnrolledIterations) +
                        " times; too long to unroll");
      ctx_.record(body->inputs()[0], c10::IValue(iteration), true);
      for (size_t k = 0; k < carried.size(); ++k) ctx_.alias(body->inputs()[k + 1], carried[k]);
      walk(body);
      const JitValue* next_cond = body->outputs()[0];
      if (!ctx_.is_static(next_cond)) throw dynamic_loop();
      cond = ctx_.recorded(next_cond).toBool();
      carried.assign(body->outputs().begin() + 1, body->outputs().end());
    }
    for (size_t k = 0; k < node->outputs().size(); ++k) ctx_.alias(node->output(k), carried[k]);
  }

  TranslateContext ctx_;
  std::map<std::string, UnsupportedOp> unsupported_;
  std::set<const JitValue*> poisoned_;
};

std::string io_name(const std::vector<std::string>& names, size_t k, size_t count,
                    const std::string& base) {
  if (k < names.size() && !names[k].empty()) return names[k];
  return count == 1 ? base : base + "_" + std::to_string(k);
}

// Names dim 0 of inputs and outputs under --dynamic_axes: inputs whose dim 0 has the same size
// share a symbol ("batch_size" for the first input's), so inputs whose leading sizes differ
// (sequence-first attention: 5 queries, 7 keys) never claim to be equal.
class BatchSymbols {
 public:
  explicit BatchSymbols(bool enabled) : enabled_(enabled) {}

  ir::Shape input(const std::vector<int64_t>& sizes, size_t k) {
    ir::Shape shape = ir::fixed_shape(sizes);
    if (!enabled_ || shape.empty()) return shape;
    auto it = by_size_.find(sizes[0]);
    if (it == by_size_.end())
      it = by_size_
               .emplace(sizes[0],
                        by_size_.empty() ? "batch_size" : "input_" + std::to_string(k) + "_dim0")
               .first;
    shape[0] = ir::Dim::named(it->second);
    return shape;
  }

  ir::Shape output(const std::vector<int64_t>& sizes, size_t k) {
    ir::Shape shape = ir::fixed_shape(sizes);
    if (!enabled_ || shape.empty()) return shape;
    auto it = by_size_.find(sizes[0]);
    shape[0] = ir::Dim::named(it != by_size_.end() ? it->second
                              : by_size_.empty()   ? "batch_size"
                                                   : "output_" + std::to_string(k) + "_dim0");
    return shape;
  }

 private:
  bool enabled_;
  std::map<int64_t, std::string> by_size_;
};

}  // namespace

std::unique_ptr<ir::Graph> import_graph(const std::shared_ptr<torch::jit::Graph>& jit_graph,
                                        const std::vector<at::Tensor>& example_inputs,
                                        const ImportOptions& options) {
  auto graph = std::make_unique<ir::Graph>();
  GraphWalker walker(*graph, options.dynamic_batch);
  TranslateContext& ctx = walker.ctx();

  std::vector<const JitValue*> tensor_inputs;
  for (const JitValue* in : jit_graph->inputs()) {
    if (in->type()->kind() == c10::TypeKind::ClassType) {  // self
      ctx.record(in, c10::IValue(), true);
      continue;
    }
    tensor_inputs.push_back(in);
  }
  if (tensor_inputs.size() != example_inputs.size())
    throw bad_input("the model takes " + std::to_string(tensor_inputs.size()) + " input(s) but " +
                    std::to_string(example_inputs.size()) + " were given");
  BatchSymbols symbols(options.dynamic_batch);
  for (size_t k = 0; k < tensor_inputs.size(); ++k) {
    const at::Tensor& t = example_inputs[k];
    ir::Value* v =
        graph->add_input(io_name(options.input_names, k, tensor_inputs.size(), "input"),
                         to_ir_dtype(t.scalar_type()), symbols.input(t.sizes().vec(), k));
    ctx.record(tensor_inputs[k], t, false);
    ctx.bind(tensor_inputs[k], v);
  }

  walker.walk_releasing(jit_graph->block());
  if (auto missing = walker.unsupported(); !missing.empty()) throw UnsupportedOpsError(missing);

  // Flatten tuple/list outputs into a list of tensors.
  std::vector<ir::Value*> outputs;
  std::vector<c10::IValue> recorded;
  for (const JitValue* out : jit_graph->outputs()) try {
      const c10::IValue& r = ctx.recorded(out);
      if (r.isTuple() || r.isList()) {
        auto items = ctx.tensor_list(out);
        outputs.insert(outputs.end(), items.begin(), items.end());
        if (r.isTuple()) {
          for (const auto& e : r.toTupleRef().elements()) recorded.push_back(e);
        } else {
          for (const auto& e : r.toListRef()) recorded.push_back(e);
        }
      } else {
        if (!r.isTensor())
          throw Error(ExitCode::kUnsupportedOps,
                      std::string("the model returns a ") + r.tagKind() +
                          "; only tensors (and tuples or lists of tensors) can be exported");
        outputs.push_back(ctx.tensor(out));
        recorded.push_back(r);
      }
    } catch (const PoisonedValue&) {
      throw Error(ExitCode::kUnsupportedOps,
                  "an output of the model could not be expressed (%" + out->debugName() + ")");
    }
  if (options.output_names.size() > outputs.size())
    throw bad_input(std::to_string(options.output_names.size()) +
                    " output names given but the model has " + std::to_string(outputs.size()) +
                    " output(s)");
  std::set<ir::Value*> used;
  for (size_t k = 0; k < outputs.size(); ++k) {
    ir::Value* v = outputs[k];
    // Graph inputs, constants and repeated values get their own Identity so names stay unique.
    if (!v->producer || used.count(v)) {
      ir::Value* copy = graph->add_node("Identity", {v})->outputs[0];
      copy->dtype = v->dtype;
      copy->shape = v->shape;
      v = copy;
    }
    used.insert(v);
    v->name = io_name(options.output_names, k, outputs.size(), "output");
    if (recorded[k].isTensor()) {
      const std::optional<ir::Shape> translated = v->shape;
      v->shape = symbols.output(recorded[k].toTensor().sizes().vec(), k);
      // A dim the translator marked unknown (NMS, NonZero...) has its length decided by the data:
      // the recorded run's length must not become part of the file.
      if (translated && translated->size() == v->shape->size())
        for (size_t d = 0; d < translated->size(); ++d)
          if (!(*translated)[d].is_fixed() && (*v->shape)[d].is_fixed())
            (*v->shape)[d] = ir::Dim::named((*translated)[d].symbol.empty()
                                                ? v->name + "_dim" + std::to_string(d)
                                                : (*translated)[d].symbol);
    }
    graph->mark_output(v);
  }
  return graph;
}

}  // namespace mlexport::torchscript
