#include "frontend/torchscript/view_writes.h"

#include <limits>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "frontend/torchscript/graph_walker.h"
#include "frontend/torchscript/op_table.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;
using torch::jit::Block;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

// Views whose result may also be a copy (reshape of a non-contiguous tensor).
const std::set<std::string_view> kMaybeCopies = {"aten::reshape", "aten::flatten"};

std::string_view kind_of(const JitNode* node) {
  return node->kind().toQualString();
}

[[noreturn]] void refuse(const std::string& reason) {
  throw Error(ExitCode::kUnsupportedOps, reason);
}

// --- where uses are, relative to the node being translated ---

// Whether `user` runs after `node` (a use inside the node's own construct does not count; a use in
// an enclosing block counts by the enclosing node that holds `node`).
bool runs_after(const JitNode* user, const JitNode* node) {
  std::unordered_map<const Block*, const JitNode*> ancestors;
  for (const JitNode* n = node; n; n = n->owningBlock()->owningNode())
    ancestors[n->owningBlock()] = n;
  for (const JitNode* u = user; u;
       u = u->owningBlock() ? u->owningBlock()->owningNode() : nullptr) {
    auto it = ancestors.find(u->owningBlock());
    if (it == ancestors.end()) continue;
    if (u == node) return false;
    if (u->kind() == c10::prim::Return) return true;
    // A use inside the loop or branch that also holds `node`: read again on the next iteration.
    if (u == it->second) return u != node;
    return u->isAfter(it->second);
  }
  return false;
}

bool read_after(const JitValue* v, const JitNode* node) {
  for (const auto& use : v->uses())
    if (runs_after(use.user, node)) return true;
  return false;
}

// `v` or a view taken from it (directly or through other views) is read after `node`.
bool read_after_through_views(const JitValue* v, const JitNode* node,
                              std::unordered_set<const JitValue*>& seen) {
  if (!seen.insert(v).second) return false;
  if (read_after(v, node)) return true;
  for (const auto& use : v->uses()) {
    if (use.offset != 0 || !is_view_op(use.user) || use.user == node) continue;
    for (const JitValue* out : use.user->outputs())
      if (read_after_through_views(out, node, seen)) return true;
  }
  return false;
}

// --- undoing one view: the source's new value from the view's new value ---

ir::Value* typed(ir::Value* v, DType dtype) {
  v->dtype = dtype;
  return v;
}

ir::Value* slice_along(TranslateContext& ctx, ir::Value* x, int64_t axis, ir::Value* start,
                       ir::Value* end) {
  return typed(ctx.op("Slice", {x, start, end, ctx.int64_vector({axis}), ctx.int64_vector({1})}),
               x->dtype);
}

// `src` with its part [start, end) along `axis` replaced by `part` (a null bound: from the first
// element, or to the last).
ir::Value* replace_range(TranslateContext& ctx, ir::Value* src, int64_t axis, ir::Value* start,
                         ir::Value* end, ir::Value* part) {
  std::vector<ir::Value*> pieces;
  if (start) pieces.push_back(slice_along(ctx, src, axis, ctx.int64_vector({0}), start));
  pieces.push_back(part);
  if (end) pieces.push_back(slice_along(ctx, src, axis, end, ctx.int64_vector({kToEnd})));
  if (pieces.size() == 1) return part;
  return typed(ctx.op("Concat", pieces, {{"axis", axis}}), src->dtype);
}

// A bound argument: nullptr for None, a 1-element int64 vector otherwise.
ir::Value* bound_vector(TranslateContext& ctx, const JitValue* v) {
  if (ctx.is_none(v)) return nullptr;
  if (ctx.is_static(v)) return ctx.int64_vector({ctx.const_int(v)});
  ir::Value* s = ctx.tensor_as(v, DType::Int64);
  return typed(ctx.op("Unsqueeze", {s}, {{"axes", std::vector<int64_t>{0}}}), DType::Int64);
}

// Whether a static slice [start, end) of a dim of `size` elements is empty.
bool empty_range(int64_t start, int64_t end, int64_t size) {
  auto clamp = [&](int64_t b) { return std::clamp<int64_t>(b < 0 ? b + size : b, 0, size); };
  return clamp(end) <= clamp(start);
}

// aten::slice.Tensor(Tensor(a) self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt
// step=1)
ir::Value* unslice(TranslateContext& ctx, const JitNode* view, ir::Value* src, ir::Value* part) {
  const JitValue* self = view->input(0);
  const int64_t axis = ctx.dim_arg(view->input(1), ctx.rank(self));
  if (!ctx.is_static(view->input(4)) || ctx.const_int(view->input(4)) != 1)
    refuse("an in-place write into a strided slice (x[::2] = v)");
  const JitValue* start = view->input(2);
  const JitValue* end = view->input(3);
  const bool static_start = ctx.is_none(start) || ctx.is_static(start);
  const bool static_end = ctx.is_none(end) || ctx.is_static(end);
  const int64_t s = static_start && !ctx.is_none(start) ? ctx.const_int(start) : 0;
  const int64_t e = static_end && !ctx.is_none(end) ? ctx.const_int(end) : kToEnd;
  if (static_start && static_end && empty_range(s, e, ctx.sizes(self)[axis])) return src;
  ir::Value* from = static_start && s == 0 ? nullptr : bound_vector(ctx, start);
  ir::Value* to = static_end && e == kToEnd ? nullptr : bound_vector(ctx, end);
  return replace_range(ctx, src, axis, from, to, part);
}

// aten::select.int(Tensor(a) self, int dim, SymInt index)
ir::Value* unselect(TranslateContext& ctx, const JitNode* view, ir::Value* src, ir::Value* part) {
  const JitValue* self = view->input(0);
  const int64_t axis = ctx.dim_arg(view->input(1), ctx.rank(self));
  if (!ctx.is_static(view->input(2))) refuse("an in-place write into x[i] with a computed index");
  const int64_t index = ctx.const_int(view->input(2));
  ir::Value* row =
      typed(ctx.op("Unsqueeze", {part}, {{"axes", std::vector<int64_t>{axis}}}), part->dtype);
  ir::Value* from = index == 0 ? nullptr : ctx.int64_vector({index});
  ir::Value* to = index == -1 ? nullptr : ctx.int64_vector({index + 1});
  return replace_range(ctx, src, axis, from, to, row);
}

// aten::narrow(Tensor(a) self, int dim, SymInt start, SymInt length)
ir::Value* unnarrow(TranslateContext& ctx, const JitNode* view, ir::Value* src, ir::Value* part) {
  const JitValue* self = view->input(0);
  const int64_t axis = ctx.dim_arg(view->input(1), ctx.rank(self));
  if (!ctx.is_static(view->input(2)) || !ctx.is_static(view->input(3)))
    refuse("an in-place write into aten::narrow with a computed start or length");
  int64_t start = ctx.const_int(view->input(2));
  if (start < 0) start += ctx.sizes(self)[axis];
  const int64_t end = start + ctx.const_int(view->input(3));
  return replace_range(ctx, src, axis, start == 0 ? nullptr : ctx.int64_vector({start}),
                       ctx.int64_vector({end}), part);
}

ir::Value* unpermute(TranslateContext& ctx, std::vector<int64_t> perm, ir::Value* part,
                     bool complex) {
  if (complex) perm.push_back(static_cast<int64_t>(perm.size()));  // the pair axis stays last
  std::vector<int64_t> inverse(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) inverse[static_cast<size_t>(perm[k])] = int64_t(k);
  return typed(ctx.op("Transpose", {part}, {{"perm", inverse}}), part->dtype);
}

std::vector<int64_t> identity(int64_t rank) {
  std::vector<int64_t> perm(static_cast<size_t>(rank));
  for (int64_t k = 0; k < rank; ++k) perm[static_cast<size_t>(k)] = k;
  return perm;
}

// The new value of `view`'s source, given the view's new value `part`.
ir::Value* unview(TranslateContext& ctx, const JitNode* view, ir::Value* part) {
  const std::string_view kind = kind_of(view);
  const JitValue* self = view->input(0);
  ir::Value* src = ctx.tensor(self);
  const int64_t rank = ctx.rank(self);
  if (kind == "aten::slice") return unslice(ctx, view, src, part);
  if (kind == "aten::select") return unselect(ctx, view, src, part);
  if (kind == "aten::narrow") return unnarrow(ctx, view, src, part);
  if (kind == "aten::alias" || kind == "aten::detach") return part;
  if (kind == "aten::view" || kind == "aten::reshape" || kind == "aten::flatten" ||
      kind == "aten::unflatten" || kind == "aten::unsqueeze" || kind == "aten::squeeze" ||
      kind == "aten::view_as") {
    ir::Value* shape = typed(ctx.op("Shape", {src}), DType::Int64);
    return typed(ctx.op("Reshape", {part, shape}), src->dtype);
  }
  if (kind == "aten::permute") {
    std::vector<int64_t> perm = ctx.const_ints(view->input(1));
    for (int64_t& p : perm)
      if (p < 0) p += rank;
    return unpermute(ctx, perm, part, ctx.is_complex(self));
  }
  if (kind == "aten::transpose" || kind == "aten::t") {
    std::vector<int64_t> perm = identity(rank);
    if (rank >= 2) {
      const int64_t a = kind == "aten::t" ? 0 : ctx.dim_arg(view->input(1), rank);
      const int64_t b = kind == "aten::t" ? 1 : ctx.dim_arg(view->input(2), rank);
      std::swap(perm[static_cast<size_t>(a)], perm[static_cast<size_t>(b)]);
    }
    return unpermute(ctx, perm, part, ctx.is_complex(self));
  }
  refuse("an in-place write through " + std::string(kind) +
         ", a view the exporter cannot write back through");
}

// Re-translates the views taken from `source` before `node` that are read after it, so they see
// the write; then their own views, and so on.
void refresh_views(TranslateContext& ctx, const JitValue* source, const JitNode* node,
                   const std::unordered_set<const JitValue*>& written) {
  for (const auto& use : source->uses()) {
    const JitNode* view = use.user;
    if (use.offset != 0 || view == node || !is_view_op(view) || !runs_after(node, view)) continue;
    if (view->outputs().size() != 1 || written.count(view->output())) continue;
    std::unordered_set<const JitValue*> seen;
    if (!read_after_through_views(view->output(), node, seen)) continue;
    const OpRule* rule = ctx.is_complex(view->output()) ? find_complex_rule(kind_of(view))
                                                        : find_rule(kind_of(view));
    if (!rule || !ctx.recorded(view->output()).isTensor())
      refuse("a view (" + std::string(kind_of(view)) +
             ") read after an in-place write into the tensor it views");
    const JitNode* current = ctx.current();
    ctx.set_current(view, describe_source(view));
    rule->translate(ctx, view);
    ctx.set_current(current, describe_source(current));
    refresh_views(ctx, view->output(), node, written);
  }
}

}  // namespace

bool is_view_op(const JitNode* node) {
  static const std::set<std::string_view> views = {
      "aten::slice",   "aten::select",    "aten::view",      "aten::narrow",  "aten::as_strided",
      "aten::expand",  "aten::permute",   "aten::transpose", "aten::squeeze", "aten::unsqueeze",
      "aten::reshape", "aten::unflatten", "aten::flatten",   "aten::t",       "aten::diagonal",
      "aten::unfold",  "aten::view_as",   "aten::alias",     "aten::detach",  "aten::chunk",
      "aten::split",   "aten::unbind",    "aten::expand_as", "aten::movedim", "prim::ListUnpack"};
  return views.count(kind_of(node)) != 0;
}

bool writes_into_first_input(const JitNode* node) {
  const c10::FunctionSchema* schema = node->maybeSchema();
  if (!schema || schema->arguments().empty()) return false;
  const c10::AliasInfo* alias = schema->arguments()[0].alias_info();
  return alias && alias->isWrite();
}

void write_back_through_views(TranslateContext& ctx, const JitNode* node) {
  const JitValue* target = node->input(0);
  if (!ctx.recorded(target).isTensor() || node->outputs().empty()) return;
  // The chain from the written tensor up to the tensor that owns the memory.
  std::vector<const JitValue*> chain = {target};
  while (is_view_op(chain.back()->node())) {
    const JitNode* view = chain.back()->node();
    if (view->kind() == c10::prim::ListUnpack) {
      // A piece of chunk/split/unbind: the other pieces do not overlap it, but the tensor they
      // were cut from would have to see the write.
      const JitValue* list = view->input(0);
      std::unordered_set<const JitValue*> seen = {list};
      if (is_view_op(list->node()) && read_after_through_views(list->node()->input(0), node, seen))
        refuse("an in-place write into a piece of " + std::string(kind_of(list->node())) +
               " whose whole tensor is read again");
      break;
    }
    chain.push_back(view->input(0));
  }
  // A reshape that copied cuts the chain: the write does not reach past it.
  const at::Tensor& written_tensor = ctx.recorded(target).toTensor();
  for (size_t k = 0; k + 1 < chain.size(); ++k) {
    if (!kMaybeCopies.count(kind_of(chain[k]->node()))) continue;
    const c10::IValue& top = ctx.recorded(chain.back());
    if (!top.isTensor() || !written_tensor.is_alias_of(top.toTensor())) {
      chain.resize(k + 1);
      break;
    }
  }
  bool needed = false;
  for (const JitValue* v : chain) {
    std::unordered_set<const JitValue*> seen;
    needed = needed || read_after_through_views(v, node, seen);
  }
  if (!needed) return;  // nothing reads the written memory again: the op's result is enough
  if (ctx.in_subgraph())
    refuse("an in-place write into a tensor from outside a computed branch or loop body");

  ir::Value* value = ctx.tensor(node->output());
  ctx.bind(target, value);
  for (size_t k = 0; k + 1 < chain.size(); ++k) {
    value = unview(ctx, chain[k]->node(), value);
    ctx.bind(chain[k + 1], value);
  }
  const std::unordered_set<const JitValue*> written(chain.begin(), chain.end());
  for (const JitValue* v : chain) refresh_views(ctx, v, node, written);
}

}  // namespace mlexport::frontend::torchscript
