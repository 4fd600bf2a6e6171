// Lists built in a loop: `out.append(t)` in a Loop body makes t a scan output of the Loop (the
// items stacked along a new axis 0), and the list's uses after the loop read that stack.
#include "frontend/torchscript/graph_walker.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {

bool GraphWalker::translate_list_use(const JitNode* node) {
  if (node->kind() == c10::aten::append &&
      (loop_frames_.empty() || node->input(0)->node()->owningBlock() == loop_frames_.back().body)) {
    // A list outside any Loop (straight code, unrolled loops): its items are known one by one.
    // The run already appended the new item to the recorded list.
    const JitValue* list = node->input(0);
    std::vector<ir::Value*> items;
    if (ctx_.is_static(list)) {
      const auto& recorded = ctx_.recorded(list).toListRef();
      for (size_t k = 0; k + 1 < recorded.size(); ++k) {
        if (!recorded[k].isTensor()) return false;
        items.push_back(ctx_.constant(torchmodel::to_ir_tensor(recorded[k].toTensor())));
      }
    } else {
      items = ctx_.tensor_list(list);
    }
    items.push_back(ctx_.tensor(node->input(1)));
    ctx_.bind_list(list, items);
    ctx_.bind_list(node->output(), items);
    return true;
  }
  if (node->kind() == c10::aten::append) {
    const LoopFrame& frame = loop_frames_.back();
    const JitValue* list = node->input(0);
    if (ctx_.scope_depth() != frame.scope_depth)
      throw Error(ExitCode::kUnsupportedOps,
                  "appending to a list inside a branch of a loop body is not supported");
    for (const Append& a : *frame.appends)
      if (a.list == list)
        throw Error(ExitCode::kUnsupportedOps,
                    "a list appended to twice in one loop iteration is not supported");
    if (ctx_.recorded(list).toListRef().size() != 1 || stacked_lists_.count(list))
      throw Error(ExitCode::kUnsupportedOps,
                  "a loop can append only to a list that is empty before it");
    frame.appends->push_back({list, ctx_.local(ctx_.tensor(node->input(1)))});
    return true;
  }
  for (const JitValue* in : node->inputs()) {
    auto it = stacked_lists_.find(in);
    if (it == stacked_lists_.end()) continue;
    translate_stacked_use(node, it->second);
    return true;
  }
  return false;
}

// `stacked` holds the items along axis 0: [n, item dims...].
void GraphWalker::translate_stacked_use(const JitNode* node, ir::Value* stacked) {
  const std::string kind = node->kind().toQualString();
  const int64_t item_rank = stacked->shape ? static_cast<int64_t>(stacked->shape->size()) - 1 : -1;
  auto axis = [&](int64_t rank) {
    int64_t d = ctx_.const_int(node->input(1));
    if (d < 0) d += rank;
    if (d < 0 || d >= rank) throw Error(ExitCode::kInternal, "dimension out of range in " + kind);
    return d;
  };
  // Moves axis 0 of the stack to position d.
  auto move_stack_axis = [&](int64_t d) {
    std::vector<int64_t> perm;
    for (int64_t k = 1; k <= d; ++k) perm.push_back(k);
    perm.push_back(0);
    for (int64_t k = d + 1; k <= item_rank; ++k) perm.push_back(k);
    if (d == 0) return stacked;
    return ctx_.op("Transpose", {stacked}, {{"perm", perm}});
  };
  if (item_rank < 0)
    throw Error(ExitCode::kUnsupportedOps, "a list built in a loop whose items have no known rank");
  if (kind == "aten::stack") {
    ctx_.bind(node->output(), move_stack_axis(axis(item_rank + 1)));
  } else if (kind == "aten::cat") {
    // Stack, move the new axis next to the concatenated one, and merge the two.
    const int64_t d = axis(item_rank);
    ir::Value* moved = move_stack_axis(d);
    ir::Value* shape = ctx_.op("Shape", {moved});
    std::vector<ir::Value*> parts;
    if (d > 0)
      parts.push_back(ctx_.op("Slice", {shape, ctx_.int64_vector({0}), ctx_.int64_vector({d})}));
    parts.push_back(ctx_.int64_vector({-1}));
    if (d + 2 <= item_rank)
      parts.push_back(ctx_.op(
          "Slice", {shape, ctx_.int64_vector({d + 2}), ctx_.int64_vector({item_rank + 1})}));
    ir::Value* target =
        parts.size() == 1 ? parts[0] : ctx_.op("Concat", parts, {{"axis", int64_t{0}}});
    ctx_.bind(node->output(), ctx_.op("Reshape", {moved, target}));
  } else if (kind == "aten::len") {
    ir::Value* shape = ctx_.op("Shape", {stacked});
    ctx_.bind(node->output(), ctx_.op("Gather", {shape, ctx_.constant(ir::Tensor::scalar_int64(0))},
                                      {{"axis", int64_t{0}}}));
  } else if (kind == "aten::__getitem__") {
    ir::Value* index = ctx_.tensor_as(node->input(1), ir::DType::Int64);
    ctx_.bind(node->output(), ctx_.op("Gather", {stacked, index}, {{"axis", int64_t{0}}}));
  } else {
    throw Error(ExitCode::kUnsupportedOps,
                "a list built in a loop is used by " + kind +
                    " (supported: torch.cat, torch.stack, len and indexing)");
  }
}

}  // namespace mlexport::frontend::torchscript
