// Reductions: mean/sum/prod, max/min (with indices), arg-reductions, norms, variance, cumsum.
#include <cmath>
#include <string_view>

#include "frontend/torchscript/op/helpers.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

bool arg_bool(TranslateContext& ctx, const JitNode* node, std::string_view name, bool fallback) {
  const JitValue* v = arg(node, name);
  return v && !ctx.is_none(v) ? ctx.const_bool(v) : fallback;
}

// Reduced axes from an int / int[] / int[]? argument; empty means every axis.
std::vector<int64_t> axes_arg(TranslateContext& ctx, const JitValue* v, int64_t rank) {
  if (!v || ctx.is_none(v)) return {};
  std::vector<int64_t> axes = ctx.const_ints(v);
  for (int64_t& d : axes) d = d < 0 ? d + rank : d;
  return axes;
}

// Reduce* over `axes` (all when empty).
ir::Value* reduce(TranslateContext& ctx, const std::string& op, ir::Value* x,
                  const std::vector<int64_t>& axes, bool keepdims) {
  std::map<std::string, ir::Attribute> attrs = {{"keepdims", int64_t{keepdims ? 1 : 0}}};
  if (!axes.empty()) attrs["axes"] = axes;
  return typed(ctx.op(op, {x}, std::move(attrs)), x->dtype);
}

// Max/min reductions run on numbers: booleans go through int32 and back.
DType compute_type(DType t) {
  return t == DType::Bool ? DType::Int32 : t;
}

// Number of elements reduced over `axes` (all when empty), as a scalar of `dtype`. Read from
// the input's shape when the batch is dynamic, from the record otherwise.
ir::Value* reduced_count(TranslateContext& ctx, const JitValue* input, ir::Value* x,
                         const std::vector<int64_t>& axes, DType dtype) {
  const std::vector<int64_t> sizes = ctx.sizes(input);
  if (!ctx.dynamic_batch) {
    double n = 1;
    if (axes.empty())
      for (int64_t s : sizes) n *= static_cast<double>(s);
    for (int64_t d : axes) n *= static_cast<double>(sizes[static_cast<size_t>(d)]);
    return ctx.scalar(n, dtype);
  }
  ir::Value* count = nullptr;
  if (axes.empty()) {
    count = typed(ctx.op("Size", {x}), DType::Int64);
  } else {
    ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
    ir::Value* dims = typed(
        ctx.op("Gather", {shape, ctx.int64_vector(axes)}, {{"axis", int64_t{0}}}), DType::Int64);
    count = reduce(ctx, "ReduceProd", dims, {}, false);
  }
  return ctx.cast(count, dtype);
}

// aten::mean(Tensor self, *, ScalarType? dtype=None) -> Tensor
// aten::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)
// aten::sum(Tensor self, *, ScalarType? dtype=None) ; aten::sum.dim_IntList(same as mean.dim)
// aten::prod(Tensor self, *, ScalarType? dtype=None) ; prod.dim_int(Tensor self, int dim, ...)
// aten::logsumexp(Tensor self, int[1] dim, bool keepdim=False)
// aten::amax/amin(Tensor self, int[1] dim=[], bool keepdim=False)
void translate_reduce(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const char* op = kind == "aten::mean"        ? "ReduceMean"
                   : kind == "aten::sum"       ? "ReduceSum"
                   : kind == "aten::prod"      ? "ReduceProd"
                   : kind == "aten::logsumexp" ? "ReduceLogSumExp"
                   : kind == "aten::amax"      ? "ReduceMax"
                                               : "ReduceMin";
  const DType out = ctx.dtype(node->output());
  const bool minmax = kind == "aten::amax" || kind == "aten::amin";
  // The dtype argument (and sum's int promotion) casts before reducing, as torch does.
  ir::Value* x = ctx.tensor_as(node->input(0), minmax ? compute_type(out) : out);
  const int64_t rank = ctx.rank(node->input(0));
  if (rank == 0) return ctx.bind(node->output(), ctx.cast(x, out));
  const std::vector<int64_t> axes = axes_arg(ctx, arg(node, "dim"), rank);
  const bool keepdim = arg_bool(ctx, node, "keepdim", false);
  ctx.bind(node->output(), ctx.cast(reduce(ctx, op, x, axes, keepdim), out));
}

// aten::max(Tensor self) ; aten::max.dim(Tensor self, int dim, bool keepdim=False) ->
// (Tensor values, Tensor indices) ; aten::max.other(Tensor self, Tensor other) ; min likewise
// aten::maximum/minimum(Tensor self, Tensor other)
void translate_max_min(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const bool is_max = kind == "aten::max" || kind == "aten::maximum";
  const DType out = ctx.dtype(node->output(0));
  if (node->inputs().size() == 2 && ctx.recorded(node->input(1)).isTensor()) {  // elementwise
    const DType t = compute_type(out);
    ir::Value* r = ctx.op(is_max ? "Max" : "Min",
                          {ctx.tensor_as(node->input(0), t), ctx.tensor_as(node->input(1), t)});
    return ctx.bind(node->output(), ctx.cast(typed(r, t), out));
  }
  ir::Value* x = ctx.tensor_as(node->input(0), compute_type(out));
  const int64_t rank = ctx.rank(node->input(0));
  const char* op = is_max ? "ReduceMax" : "ReduceMin";
  if (node->inputs().size() == 1) {
    ir::Value* r = rank == 0 ? x : reduce(ctx, op, x, {}, false);
    return ctx.bind(node->output(), ctx.cast(r, out));
  }
  const bool keepdim = ctx.const_bool(node->input(2));
  if (rank == 0) {
    ctx.bind(node->output(0), ctx.cast(x, out));
    ctx.bind(node->output(1), ctx.constant(ir::Tensor::scalar_int64(0)));
    return;
  }
  const int64_t axis = ctx.dim_arg(node->input(1), rank);
  ctx.bind(node->output(0), ctx.cast(reduce(ctx, op, x, {axis}, keepdim), out));
  // ArgMax/ArgMin pick the first extreme, as torch does on CPU.
  ctx.bind(node->output(1), ctx.op(is_max ? "ArgMax" : "ArgMin", {x},
                                   {{"axis", axis}, {"keepdims", int64_t{keepdim ? 1 : 0}}}));
}

// aten::aminmax(Tensor self, *, int? dim=None, bool keepdim=False) -> (Tensor min, Tensor max)
void translate_aminmax(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output(0));
  ir::Value* x = ctx.tensor_as(node->input(0), compute_type(out));
  const int64_t rank = ctx.rank(node->input(0));
  const std::vector<int64_t> axes = axes_arg(ctx, node->input(1), rank);
  const bool keepdim = ctx.const_bool(node->input(2));
  if (rank == 0) {
    ctx.bind(node->output(0), ctx.cast(x, out));
    ctx.bind(node->output(1), ctx.cast(x, out));
    return;
  }
  ctx.bind(node->output(0), ctx.cast(reduce(ctx, "ReduceMin", x, axes, keepdim), out));
  ctx.bind(node->output(1), ctx.cast(reduce(ctx, "ReduceMax", x, axes, keepdim), out));
}

// aten::argmax(Tensor self, int? dim=None, bool keepdim=False) -> Tensor ; argmin likewise
void translate_argmax(TranslateContext& ctx, const JitNode* node) {
  const bool is_max = std::string_view(node->kind().toQualString()) == "aten::argmax";
  ir::Value* x = ctx.tensor_as(node->input(0), compute_type(ctx.dtype(node->input(0))));
  const int64_t rank = ctx.rank(node->input(0));
  const bool keepdim = ctx.const_bool(node->input(2));
  const char* op = is_max ? "ArgMax" : "ArgMin";
  if (ctx.is_none(node->input(1)) || rank == 0) {
    // No dim: the index into the flattened tensor.
    ir::Value* flat = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1})}), x->dtype);
    ir::Value* r = ctx.op(op, {flat}, {{"axis", int64_t{0}}, {"keepdims", int64_t{0}}});
    const int64_t out_rank = ctx.rank(node->output());
    if (out_rank > 0) {
      r->dtype = DType::Int64;
      r = ctx.op("Reshape", {r, ctx.int64_vector(std::vector<int64_t>(out_rank, 1))});
    }
    return ctx.bind(node->output(), r);
  }
  const int64_t axis = ctx.dim_arg(node->input(1), rank);
  ctx.bind(node->output(),
           ctx.op(op, {x}, {{"axis", axis}, {"keepdims", int64_t{keepdim ? 1 : 0}}}));
}

// |x|_p over `axes`: ReduceL1/ReduceL2 for p = 1/2, max/min of |x| for +-inf, a count of
// non-zeros for p = 0, and (sum |x|^p)^(1/p) otherwise.
ir::Value* vector_norm(TranslateContext& ctx, ir::Value* x, double p,
                       const std::vector<int64_t>& axes, bool keepdim) {
  const DType t = x->dtype;
  if (p == 2.0) return reduce(ctx, "ReduceL2", x, axes, keepdim);
  if (p == 1.0) return reduce(ctx, "ReduceL1", x, axes, keepdim);
  ir::Value* a = typed(ctx.op("Abs", {x}), t);
  if (std::isinf(p)) return reduce(ctx, p > 0 ? "ReduceMax" : "ReduceMin", a, axes, keepdim);
  if (p == 0.0) {
    ir::Value* nz = typed(
        ctx.op("Not", {typed(ctx.op("Equal", {x, ctx.scalar(0, t)}), DType::Bool)}), DType::Bool);
    return reduce(ctx, "ReduceSum", ctx.cast(nz, t), axes, keepdim);
  }
  ir::Value* powered = typed(ctx.op("Pow", {a, ctx.scalar(p, t)}), t);
  ir::Value* sum = reduce(ctx, "ReduceSum", powered, axes, keepdim);
  return typed(ctx.op("Pow", {sum, ctx.scalar(1.0 / p, t)}), t);
}

// aten::norm.Scalar(Tensor self, Scalar p=2) ; norm.ScalarOpt_dim(Tensor self, Scalar? p,
// int[1] dim, bool keepdim=False) ; norm.ScalarOpt_dim_dtype(..., *, ScalarType dtype) ;
// norm.ScalarOpt_dtype(Tensor self, Scalar? p, *, ScalarType dtype)
// aten::linalg_vector_norm(Tensor self, Scalar ord=2, int[1]? dim=None, bool keepdim=False, *,
// ScalarType? dtype=None) ; aten::frobenius_norm(Tensor self[, int[1] dim, bool keepdim])
void translate_norm(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const DType out = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  const int64_t rank = ctx.rank(node->input(0));
  double p = 2.0;
  if (kind != "aten::frobenius_norm") {
    const JitValue* pv = arg(node, kind == "aten::linalg_vector_norm" ? "ord" : "p");
    if (pv && !ctx.is_none(pv)) p = ctx.const_double(pv);
  }
  const std::vector<int64_t> axes = axes_arg(ctx, arg(node, "dim"), rank);
  const bool keepdim = arg_bool(ctx, node, "keepdim", false);
  if (rank == 0) x = typed(ctx.op("Reshape", {x, ctx.int64_vector({1})}), out);
  ir::Value* r =
      vector_norm(ctx, x, p, rank == 0 ? std::vector<int64_t>{} : axes, keepdim && rank > 0);
  ctx.bind(node->output(), r);
}

// aten::var(Tensor self, bool unbiased=True) ; var.dim(Tensor self, int[1]? dim,
// bool unbiased=True, bool keepdim=False) ; var.correction(Tensor self, int[1]? dim, *,
// int? correction, bool keepdim=False) ; std, var_mean, std_mean likewise
void translate_var(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const bool is_std = kind == "aten::std" || kind == "aten::std_mean";
  const bool with_mean = kind == "aten::var_mean" || kind == "aten::std_mean";
  const DType out = ctx.dtype(node->output(0));
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  const int64_t rank = ctx.rank(node->input(0));
  const std::vector<int64_t> axes = axes_arg(ctx, arg(node, "dim"), rank);
  const bool keepdim = arg_bool(ctx, node, "keepdim", false);
  double correction = 1.0;
  if (const JitValue* c = arg(node, "correction"); c && !ctx.is_none(c))
    correction = ctx.const_double(c);
  if (const JitValue* u = arg(node, "unbiased"); u && !ctx.is_none(u))
    correction = ctx.const_bool(u) ? 1.0 : 0.0;

  ir::Value* mean = reduce(ctx, "ReduceMean", x, axes, true);
  ir::Value* centered = typed(ctx.op("Sub", {x, mean}), out);
  ir::Value* squares = reduce(ctx, "ReduceSumSquare", centered, axes, keepdim);
  ir::Value* count = reduced_count(ctx, node->input(0), x, axes, out);
  ir::Value* denom = typed(ctx.op("Sub", {count, ctx.scalar(correction, out)}), out);
  ir::Value* r = typed(ctx.op("Div", {squares, denom}), out);
  if (is_std) r = typed(ctx.op("Sqrt", {r}), out);
  ctx.bind(node->output(0), r);
  if (with_mean)
    ctx.bind(node->output(1), keepdim ? mean : reduce(ctx, "ReduceMean", x, axes, false));
}

// aten::cumsum(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor
void translate_cumsum(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), out);
  const int64_t rank = ctx.rank(node->input(0));
  if (rank == 0) return ctx.bind(node->output(), x);
  const int64_t axis = ctx.dim_arg(node->input(1), rank);
  ir::Value* axis_v = ctx.constant(ir::Tensor::scalar_int64(axis), "axis");
  ctx.bind(node->output(), ctx.op("CumSum", {x, axis_v}));
}

// aten::all(Tensor self) ; all.dim(Tensor self, int dim, bool keepdim=False) ; any likewise
void translate_all_any(TranslateContext& ctx, const JitNode* node) {
  const bool all = std::string_view(node->kind().toQualString()) == "aten::all";
  const DType in = ctx.dtype(node->input(0));
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* truth =
      in == DType::Bool
          ? x
          : typed(ctx.op("Not", {typed(ctx.op("Equal", {x, ctx.scalar(0, in)}), DType::Bool)}),
                  DType::Bool);
  ir::Value* as_int = ctx.cast(truth, DType::Int32);
  const int64_t rank = ctx.rank(node->input(0));
  std::vector<int64_t> axes;
  bool keepdim = false;
  if (node->inputs().size() > 1) {
    axes = {ctx.dim_arg(node->input(1), rank)};
    keepdim = ctx.const_bool(node->input(2));
  }
  ir::Value* r =
      rank == 0 ? as_int : reduce(ctx, all ? "ReduceMin" : "ReduceMax", as_int, axes, keepdim);
  ctx.bind(node->output(), ctx.cast(r, ctx.dtype(node->output())));
}

}  // namespace

std::vector<OpRule> reduction_rules() {
  return {
      {"aten::mean", translate_reduce, "ReduceMean"},
      {"aten::sum", translate_reduce, "ReduceSum"},
      {"aten::prod", translate_reduce, "ReduceProd"},
      {"aten::logsumexp", translate_reduce, "ReduceLogSumExp"},
      {"aten::amax", translate_reduce, "ReduceMax"},
      {"aten::amin", translate_reduce, "ReduceMin"},
      {"aten::max", translate_max_min, "ReduceMax (+ ArgMax) / Max"},
      {"aten::min", translate_max_min, "ReduceMin (+ ArgMin) / Min"},
      {"aten::maximum", translate_max_min, "Max"},
      {"aten::minimum", translate_max_min, "Min"},
      {"aten::aminmax", translate_aminmax, "ReduceMin + ReduceMax"},
      {"aten::argmax", translate_argmax, "ArgMax (Reshape when dim=None)"},
      {"aten::argmin", translate_argmax, "ArgMin (Reshape when dim=None)"},
      {"aten::norm", translate_norm, "ReduceL2 / ReduceL1 / Abs+ReduceMax / Pow+ReduceSum"},
      {"aten::linalg_vector_norm", translate_norm, "ReduceL2 / ReduceL1 / ..."},
      {"aten::frobenius_norm", translate_norm, "ReduceL2"},
      {"aten::var", translate_var, "ReduceMean + Sub + ReduceSumSquare + Div"},
      {"aten::std", translate_var, "ReduceMean + Sub + ReduceSumSquare + Div + Sqrt"},
      {"aten::var_mean", translate_var, "(var, ReduceMean)"},
      {"aten::std_mean", translate_var, "(std, ReduceMean)"},
      {"aten::cumsum", translate_cumsum, "CumSum"},
      {"aten::all", translate_all_any, "ReduceMin of Cast"},
      {"aten::any", translate_all_any, "ReduceMax of Cast"},
  };
}

}  // namespace mlexport::frontend::torchscript
