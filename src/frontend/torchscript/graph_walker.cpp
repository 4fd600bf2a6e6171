#include "frontend/torchscript/graph_walker.h"

#include <optional>
#include <unordered_set>

#include "frontend/torchscript/op_table.h"
#include "frontend/torchscript/shape_only.h"
#include "frontend/torchscript/view_writes.h"

namespace mlexport::frontend::torchscript {
namespace {

using torch::jit::Block;
using torch::jit::SourceRange;

// Ops whose result differs from run to run: never folded even with constant inputs.
const std::set<std::string> kNondeterministic = {
    "aten::rand",        "aten::randn",     "aten::rand_like", "aten::randn_like",
    "aten::randint",     "aten::bernoulli", "aten::normal",    "aten::uniform_",
    "aten::multinomial", "aten::randperm",  "aten::empty",     "aten::empty_like"};

bool holds_complex(const c10::IValue& v) {
  if (v.isComplexDouble()) return true;
  if (v.isTensor()) return v.toTensor().defined() && v.toTensor().is_complex();
  if (v.isTuple()) {
    for (const c10::IValue& e : v.toTupleRef().elements())
      if (holds_complex(e)) return true;
  } else if (v.isList()) {
    for (const c10::IValue& e : v.toListRef())
      if (holds_complex(e)) return true;
  }
  return false;
}

}  // namespace

namespace {

// A loaded archive's inlined graph has no scopes; the modules a node was called through are on
// its inlined call stack, outermost first ("layer1", "0", "conv1").
std::string module_path_of(const JitNode* node) {
  auto stack = node->callstack();
  if (!stack) return "";
  std::string path;
  for (const auto& entry : (*stack)->vec()) {
    const auto& module = std::get<2>(entry);
    if (!module || module->instance_name().empty()) continue;
    path += (path.empty() ? "" : ".") + module->instance_name();
  }
  return path;
}

}  // namespace

std::string describe_source(const JitNode* const_node) {
  auto* node = const_cast<JitNode*>(const_node);  // scope() is not const in LibTorch
  std::string where;
  if (node->scope() && !node->scope()->isBlank()) {
    where = node->scope()->namesFromRoot();
  } else {
    where = module_path_of(node);
  }
  // A loaded archive's ranges point into its serialized code; the range that generated it (the
  // model's own source file) is kept in the archive's debug information.
  SourceRange range = node->sourceRange();
  if (auto original = range.findSourceRangeThatGenerated()) range = *original;
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

namespace {

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

}  // namespace

GraphWalker::GraphWalker(ir::Graph& graph, bool dynamic_batch) : ctx_(graph) {
  ctx_.dynamic_batch = dynamic_batch;
}

void GraphWalker::walk(const Block* block) {
  for (const JitNode* node : block->nodes()) visit(node);
}

void GraphWalker::walk_releasing(const Block* block) {
  if (exact_values_) return walk(block);
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

std::vector<UnsupportedOp> GraphWalker::unsupported() const {
  std::vector<UnsupportedOp> out;
  for (const auto& [kind, op] : unsupported_) out.push_back(op);
  return out;
}

// Lists `node` in the report (once per kind and reason) and poisons its outputs.
void GraphWalker::report(const JitNode* node, const std::string& kind, const std::string& source,
                         const std::string& reason) {
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
void GraphWalker::poison_outputs(const JitNode* node) {
  for (const JitValue* out : node->outputs()) {
    ctx_.record(out, c10::IValue(), false);
    poisoned_.insert(out);
  }
}

bool GraphWalker::has_poisoned_input(const JitNode* node) const {
  for (const JitValue* in : node->inputs())
    if (poisoned_.count(in)) return true;
  return false;
}

void GraphWalker::visit(const JitNode* node) {
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
    if (node->kind() == c10::prim::If || node->kind() == c10::prim::Loop) {
      if (has_poisoned_input(node)) return poison_outputs(node);
      if (node->kind() == c10::prim::If) return visit_if(node, source);
      return visit_loop(node, source);
    }
  } catch (const PoisonedValue&) {
    return poison_outputs(node);
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

  try {
    if (translate_list_use(node)) return;
    const OpRule* rule = find_rule(kind);
    if (touches_complex(node)) {
      const bool has_real_rule = rule != nullptr;
      rule = find_complex_rule(kind);
      if (!rule && has_real_rule)
        return report(node, kind, source,
                      "on complex tensors: only spectral ops, complex/polar/real/imag, "
                      "abs/angle/conj/exp/mul/div/add/sub/neg, matmul/einsum, copy_ and shape "
                      "ops that name their axes (slice, select, cat ...) take them");
    }
    if (!rule) {
      const KnownGap* gap = find_known_gap(kind);
      return report(node, gap ? kind + " (" + gap->reason + ")" : kind, source);
    }
    rule->translate(ctx_, node);
    if (writes_into_first_input(node)) write_back_through_views(ctx_, node);
    // Sizes decided by the data stay computed downstream (see translate_size).
    bool data_dependent = false;
    for (const JitValue* in : node->inputs())
      data_dependent = data_dependent || ctx_.is_data_dependent(in);
    for (const JitValue* out : node->outputs())
      ctx_.track_data_dependent_sizes(out, data_dependent);
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

bool GraphWalker::touches_complex(const JitNode* node) const {
  for (const JitValue* v : node->inputs())
    if (holds_complex(ctx_.recorded(v))) return true;
  for (const JitValue* v : node->outputs())
    if (holds_complex(ctx_.recorded(v))) return true;
  return false;
}

// Runs the node with LibTorch on the recorded inputs; false when it cannot run.
bool GraphWalker::run_node(const JitNode* node, bool all_static, std::vector<c10::IValue>& outputs,
                           const std::string& src) {
  torch::jit::Stack stack;
  for (const JitValue* in : node->inputs()) stack.push_back(ctx_.recorded(in));
  if (!all_static && !exact_values_) {
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
    throw Error(ExitCode::kInternal,
                std::string("running ") + node->kind().toQualString() + " produced too few values");
  outputs.assign(stack.end() - static_cast<std::ptrdiff_t>(node->outputs().size()), stack.end());
  return true;
}

// List and tuple plumbing has no operator schema in LibTorch; it is run directly.
void GraphWalker::run_operation(const JitNode* node, torch::jit::Stack& stack) {
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

}  // namespace mlexport::frontend::torchscript
