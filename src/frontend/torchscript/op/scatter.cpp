// Writes at indices: scatter, scatter_add, scatter_reduce (ScatterElements), index_put
// (ScatterND). Reductions need ScatterElements/ScatterND's `reduction`, ONNX opset 16; max/min
// reductions only exist from opset 18.
#include <algorithm>
#include <limits>
#include <set>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

std::string base_kind(const JitNode* node) {
  std::string kind = node->kind().toQualString();
  if (kind.back() == '_') kind.pop_back();
  return kind;
}

ir::Value* shape_of(TranslateContext& ctx, ir::Value* x) {
  return typed(ctx.op("Shape", {x}), DType::Int64);
}

// Dims [from, to) of x's shape (to may be kToEnd), as a 1-D int64 value.
ir::Value* shape_part(TranslateContext& ctx, ir::Value* x, int64_t from, int64_t to) {
  return typed(ctx.op("Slice", {shape_of(ctx, x), ctx.int64_vector({from}), ctx.int64_vector({to}),
                                ctx.int64_vector({0})}),
               DType::Int64);
}

// A tensor of x's shape filled with `value`.
ir::Value* filled_like(TranslateContext& ctx, ir::Value* x, double value) {
  return typed(ctx.op("Expand", {ctx.scalar(value, x->dtype), shape_of(ctx, x)}), x->dtype);
}

ir::Value* scatter_elements(TranslateContext& ctx, ir::Value* data, ir::Value* index,
                            ir::Value* updates, int64_t axis, const std::string& reduction) {
  std::map<std::string, ir::Attribute> attrs = {{"axis", axis}};
  if (reduction != "none") attrs["reduction"] = reduction;
  return typed(ctx.op("ScatterElements", {data, index, updates}, std::move(attrs)), data->dtype);
}

// The src of a scatter, cut to the index's shape where it is larger (PyTorch reads only the
// part of src that index covers; ScatterElements wants equal shapes).
ir::Value* src_for_index(TranslateContext& ctx, const JitValue* src, const JitValue* index,
                         DType dt) {
  ir::Value* s = ctx.tensor_as(src, dt);
  const std::vector<int64_t> src_sizes = ctx.sizes(src);
  const std::vector<int64_t> index_sizes = ctx.sizes(index);
  std::vector<int64_t> axes, ends;
  for (size_t d = 0; d < index_sizes.size(); ++d) {
    if (src_sizes[d] == index_sizes[d]) continue;
    axes.push_back(static_cast<int64_t>(d));
    ends.push_back(index_sizes[d]);
  }
  if (axes.empty()) return s;
  return typed(ctx.op("Slice", {s, ctx.int64_vector(std::vector<int64_t>(axes.size(), 0)),
                                ctx.int64_vector(ends), ctx.int64_vector(axes)}),
               dt);
}

// aten::scatter.src(Tensor self, int dim, Tensor index, Tensor src)
// aten::scatter.value(Tensor self, int dim, Tensor index, Scalar value)
// aten::scatter.reduce(Tensor self, int dim, Tensor index, Tensor src, *, str reduce)
// aten::scatter.value_reduce(Tensor self, int dim, Tensor index, Scalar value, *, str reduce)
// aten::scatter_add(Tensor self, int dim, Tensor index, Tensor src) and in-place forms
void translate_scatter(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  ir::Value* self = ctx.tensor_as(node->input(0), dt);
  ir::Value* index = ctx.tensor_as(node->input(2), DType::Int64);
  const JitValue* src = node->input(3);
  ir::Value* updates =
      ctx.recorded(src).isTensor() && ctx.rank(src) > 0
          ? src_for_index(ctx, src, node->input(2), dt)
          : typed(ctx.op("Expand", {ctx.tensor_as(src, dt), shape_of(ctx, index)}), dt);
  std::string reduction = "none";
  if (base_kind(node) == "aten::scatter_add") reduction = "add";
  if (node->inputs().size() > 4) {
    const std::string reduce = ctx.const_string(node->input(4));
    reduction = reduce == "add" ? "add" : reduce == "multiply" ? "mul" : reduce;
  }
  bind_output(ctx, node, scatter_elements(ctx, self, index, updates, axis, reduction));
}

// aten::scatter_reduce.two(Tensor self, int dim, Tensor index, Tensor src, str reduce, *,
//                          bool include_self=True)
// sum and prod: ScatterElements add/mul, on self with the written places reset to the
// identity when include_self=False. mean: a sum and a count, each by ScatterElements add.
// amax/amin need ScatterElements max/min (ONNX opset 18), which this exporter cannot write.
void translate_scatter_reduce(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t axis = ctx.dim_arg(node->input(1), ctx.rank(node->input(0)));
  const std::string reduce = ctx.const_string(node->input(4));
  const bool include_self = node->inputs().size() > 5 ? ctx.const_bool(node->input(5)) : true;
  if (reduce == "amax" || reduce == "amin")
    throw Error(ExitCode::kUnsupportedOps,
                "aten::scatter_reduce with reduce='" + reduce +
                    "' needs ONNX ScatterElements with reduction='" +
                    (reduce == "amax" ? "max" : "min") +
                    "' (opset 18); this exporter writes opsets up to 17");
  if (reduce == "mean" && !ir::is_floating(dt))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::scatter_reduce with reduce='mean' on integers (PyTorch rounds the mean "
                "with floor division) is not supported");
  ir::Value* self = ctx.tensor_as(node->input(0), dt);
  ir::Value* index = ctx.tensor_as(node->input(2), DType::Int64);
  ir::Value* src = src_for_index(ctx, node->input(3), node->input(2), dt);
  auto reset = [&](ir::Value* data, double value) {
    return scatter_elements(ctx, data, index, filled_like(ctx, src, value), axis, "none");
  };
  if (reduce == "sum" || reduce == "prod") {
    const bool sum = reduce == "sum";
    ir::Value* base = include_self ? self : reset(self, sum ? 0.0 : 1.0);
    return bind_output(ctx, node,
                       scatter_elements(ctx, base, index, src, axis, sum ? "add" : "mul"));
  }
  if (reduce != "mean")
    throw Error(ExitCode::kUnsupportedOps, "aten::scatter_reduce with reduce='" + reduce + "'");
  ir::Value* total =
      scatter_elements(ctx, include_self ? self : reset(self, 0.0), index, src, axis, "add");
  ir::Value* count = scatter_elements(ctx, filled_like(ctx, self, include_self ? 1.0 : 0.0), index,
                                      filled_like(ctx, src, 1.0), axis, "add");
  // Places no index reaches keep self (their count is 0 without self).
  ir::Value* untouched = typed(ctx.op("Equal", {count, ctx.scalar(0.0, dt)}), DType::Bool);
  bind_output(ctx, node, ctx.op("Where", {untouched, self, ctx.op("Div", {total, count})}));
}

// aten::index_put(Tensor self, Tensor?[] indices, Tensor values, bool accumulate=False)
// and aten::index_put_: x[i0, i1, ...] = values (+= with accumulate), as ScatterND. The indexed
// dims must be adjacent (leading Nones are moved behind them and back): index tensors broadcast
// together into coordinate rows; a bool mask gives the coordinates of its true places.
void translate_index_put(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const int64_t rank = ctx.rank(node->input(0));
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  ir::Value* values = ctx.tensor_as(node->input(2), dt);
  const bool accumulate = ctx.const_bool(node->input(3));

  // The Tensor?[] entries: an IR value (nullptr for None) and its recorded tensor. A list of
  // constants only is folded into one constant list.
  struct Entry {
    ir::Value* value = nullptr;
    at::Tensor recorded;
  };
  std::vector<Entry> entries;
  const JitValue* list = node->input(1);
  if (list->node()->kind() == c10::prim::ListConstruct) {
    for (const JitValue* item : list->node()->inputs()) {
      if (ctx.is_none(item))
        entries.push_back({});
      else
        entries.push_back({ctx.tensor(item), ctx.recorded(item).toTensor()});
    }
  } else if (ctx.is_static(list)) {
    for (const c10::IValue& e : ctx.recorded(list).toListRef()) {
      if (e.isNone())
        entries.push_back({});
      else
        entries.push_back(
            {ctx.constant(torchmodel::to_ir_tensor(e.toTensor()), "index"), e.toTensor()});
    }
  } else {
    throw Error(ExitCode::kUnsupportedOps, "aten::index_put with a computed list of indices");
  }
  size_t first = 0;
  while (first < entries.size() && !entries[first].value) ++first;
  size_t last = entries.size();
  while (last > first && !entries[last - 1].value) --last;
  if (first == last) throw Error(ExitCode::kUnsupportedOps, "aten::index_put without indices");
  for (size_t k = first; k < last; ++k)
    if (!entries[k].value)
      throw Error(ExitCode::kUnsupportedOps,
                  "aten::index_put with indexed dims that are not adjacent");
  const int64_t lead = static_cast<int64_t>(first);

  // Coordinates [B..., m] over the dims [lead, lead + m).
  ir::Value* coords = nullptr;
  int64_t m = 0;
  int64_t nb = 1;                        // rank of B
  ir::Value* broadcast_index = nullptr;  // a tensor of shape B, for the shape of the updates
  const at::Tensor& first_recorded = entries[first].recorded;
  if (first_recorded.scalar_type() == at::kBool || first_recorded.scalar_type() == at::kByte) {
    if (last - first != 1)
      throw Error(ExitCode::kUnsupportedOps, "aten::index_put mixing a bool mask with indices");
    ir::Value* mask = ctx.cast(entries[first].value, DType::Bool);
    m = first_recorded.dim();
    ir::Value* nz = typed(ctx.op("NonZero", {mask}), DType::Int64);  // [m, K]
    coords = typed(ctx.op("Transpose", {nz}, {{"perm", std::vector<int64_t>{1, 0}}}), DType::Int64);
    broadcast_index = typed(ctx.op("Gather", {coords, ctx.constant(ir::Tensor::scalar_int64(0))},
                                   {{"axis", int64_t{1}}}),
                            DType::Int64);
  } else {
    m = static_cast<int64_t>(last - first);
    nb = 0;
    for (size_t k = first; k < last; ++k) nb = std::max<int64_t>(nb, entries[k].recorded.dim());
    ir::Value* shape = shape_of(ctx, x);
    std::vector<ir::Value*> parts;
    for (size_t k = first; k < last; ++k) {
      ir::Value* i = ctx.cast(entries[k].value, DType::Int64);
      // Negative indices count from the end: i mod size (Python modulo) is the same place.
      ir::Value* size = typed(ctx.op("Gather", {shape, ctx.int64_vector({static_cast<int64_t>(k)})},
                                     {{"axis", int64_t{0}}}),
                              DType::Int64);
      parts.push_back(typed(ctx.op("Mod", {i, size}, {{"fmod", int64_t{0}}}), DType::Int64));
    }
    broadcast_index = parts[0];
    for (size_t k = 1; k < parts.size(); ++k)
      broadcast_index = typed(ctx.op("Add", {broadcast_index, parts[k]}), DType::Int64);
    ir::Value* b_shape = shape_of(ctx, broadcast_index);
    std::vector<ir::Value*> rows;
    for (ir::Value* p : parts) {
      ir::Value* full = typed(ctx.op("Expand", {p, b_shape}), DType::Int64);
      rows.push_back(
          typed(ctx.op("Unsqueeze", {full}, {{"axes", std::vector<int64_t>{-1}}}), DType::Int64));
    }
    coords = rows.size() == 1
                 ? rows[0]
                 : typed(ctx.op("Concat", rows, {{"axis", int64_t{-1}}}), DType::Int64);
  }

  // x with the indexed dims first.
  std::vector<int64_t> perm;
  for (int64_t d = lead; d < lead + m; ++d) perm.push_back(d);
  for (int64_t d = 0; d < lead; ++d) perm.push_back(d);
  for (int64_t d = lead + m; d < rank; ++d) perm.push_back(d);
  ir::Value* data = lead == 0 ? x : typed(ctx.op("Transpose", {x}, {{"perm", perm}}), dt);

  // PyTorch broadcasts values to x.shape[:lead] + B + x.shape[lead+m:]; ScatterND wants
  // B + (the other dims in data's order).
  std::vector<ir::Value*> target;
  if (lead > 0) target.push_back(shape_part(ctx, x, 0, lead));
  target.push_back(shape_of(ctx, broadcast_index));
  target.push_back(shape_part(ctx, x, lead + m, kToEnd));
  ir::Value* updates =
      typed(ctx.op("Expand",
                   {values, typed(ctx.op("Concat", target, {{"axis", int64_t{0}}}), DType::Int64)}),
            dt);
  if (lead > 0) {
    // The B dims sit at [lead, lead + |B|) of the updates: move them first.
    const int64_t total = lead + nb + (rank - lead - m);
    std::vector<int64_t> up;
    for (int64_t d = lead; d < lead + nb; ++d) up.push_back(d);
    for (int64_t d = 0; d < lead; ++d) up.push_back(d);
    for (int64_t d = lead + nb; d < total; ++d) up.push_back(d);
    updates = typed(ctx.op("Transpose", {updates}, {{"perm", up}}), dt);
  }
  std::map<std::string, ir::Attribute> attrs;
  if (accumulate) attrs["reduction"] = std::string("add");
  ir::Value* written = typed(ctx.op("ScatterND", {data, coords, updates}, std::move(attrs)), dt);
  if (lead > 0) {
    std::vector<int64_t> back(perm.size());
    for (size_t k = 0; k < perm.size(); ++k)
      back[static_cast<size_t>(perm[k])] = static_cast<int64_t>(k);
    written = ctx.op("Transpose", {written}, {{"perm", back}});
  }
  bind_output(ctx, node, written);
}

}  // namespace

std::vector<OpRule> scatter_rules() {
  std::vector<OpRule> rows;
  add_with_inplace(rows, "aten::scatter", "aten::scatter_", translate_scatter,
                   "ScatterElements (reduce=: reduction add/mul, opset 16+); OpenVINO "
                   "ScatterElementsUpdate-3/-12");
  add_with_inplace(rows, "aten::scatter_add", "aten::scatter_add_", translate_scatter,
                   "ScatterElements reduction=add (opset 16+); OpenVINO ScatterElementsUpdate-12");
  add_with_inplace(rows, "aten::scatter_reduce", "aten::scatter_reduce_", translate_scatter_reduce,
                   "ScatterElements add/mul (opset 16+); mean: sum/count; amax/amin refused "
                   "(need opset 18); OpenVINO ScatterElementsUpdate-12");
  add_with_inplace(rows, "aten::index_put", "aten::index_put_", translate_index_put,
                   "ScatterND (accumulate: reduction=add, opset 16+); Transpose for leading :; "
                   "OpenVINO ScatterNDUpdate-3/-15");
  return rows;
}

}  // namespace mlexport::frontend::torchscript
