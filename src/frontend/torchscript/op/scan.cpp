// Running products and log-sum-exps (ONNX has CumSum only): cumprod, logcumsumexp.
//
// Both are inclusive scans with an associative combine, done as a log-step scan: after step s
// every element has combined the 2^s elements before it, so ceil(log2 n) steps of
// "combine with the copy shifted by 2^s" (the shift pads with the combine's identity) cover
// the axis. This is exact for integers and keeps each product or log-sum-exp stable, unlike
// exp(cumsum(log x)).
#include <cmath>
#include <limits>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

// x shifted by `shift` along `axis`: the first `shift` elements are `identity`, the rest the
// original ones without its last `shift`.
ir::Value* shifted(TranslateContext& ctx, ir::Value* x, int64_t rank, int64_t axis, int64_t shift,
                   double identity) {
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  pads[static_cast<size_t>(axis)] = shift;
  ir::Value* padded = typed(
      ctx.op("Pad", {x}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", identity}}),
      x->dtype);
  return typed(ctx.op("Slice", {padded, ctx.int64_vector({0}), ctx.int64_vector({-shift}),
                                ctx.int64_vector({axis})}),
               x->dtype);
}

// logaddexp(a, b) = max(a, b) + log(1 + exp(-|a - b|))
ir::Value* log_add_exp(TranslateContext& ctx, ir::Value* a, ir::Value* b) {
  ir::Value* gap = ctx.op("Neg", {ctx.op("Abs", {ctx.op("Sub", {a, b})})});
  ir::Value* one = ctx.scalar(1.0, a->dtype);
  ir::Value* log1p = ctx.op("Log", {ctx.op("Add", {ctx.op("Exp", {gap}), one})});
  return typed(ctx.op("Add", {ctx.op("Max", {a, b}), log1p}), a->dtype);
}

// aten::cumprod(Tensor self, int dim, *, ScalarType? dtype=None) -> Tensor
// aten::logcumsumexp(Tensor self, int dim) -> Tensor
void translate_scan(TranslateContext& ctx, const JitNode* node) {
  const bool product = node->kind().toQualString() == std::string("aten::cumprod");
  const DType dt = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  int64_t rank = ctx.rank(node->input(0));
  if (rank == 0) {
    // A 0-d input is its own scan.
    return bind_output(ctx, node, ctx.op("Identity", {x}));
  }
  const int64_t axis = ctx.dim_arg(node->input(1), rank);
  if (axis == 0 && ctx.dynamic_batch)
    throw Error(ExitCode::kUnsupportedOps,
                std::string(node->kind().toQualString()) +
                    " along the dynamic batch axis: the number of scan steps depends on its "
                    "length; export with a fixed batch");
  const int64_t n = ctx.sizes(node->input(0))[static_cast<size_t>(axis)];
  const double identity = product ? 1.0 : -std::numeric_limits<double>::infinity();
  ir::Value* y = x;
  for (int64_t shift = 1; shift < n; shift *= 2) {
    ir::Value* before = shifted(ctx, y, rank, axis, shift, identity);
    y = product ? typed(ctx.op("Mul", {y, before}), dt) : log_add_exp(ctx, y, before);
  }
  if (y == x) y = ctx.op("Identity", {x});
  bind_output(ctx, node, y);
}

}  // namespace

std::vector<OpRule> scan_rules() {
  std::vector<OpRule> rows;
  add_with_inplace(rows, "aten::cumprod", "aten::cumprod_", translate_scan,
                   "log-step scan: Pad + Slice + Mul");
  rows.push_back({"aten::logcumsumexp", translate_scan,
                  "log-step scan: Pad + Slice + Max/Log/Exp (stable logaddexp)"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
