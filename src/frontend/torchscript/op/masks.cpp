// Triangular masks (causal attention): triu / tril on sizes computed from the input.
//
// There is no Trilu before opset 14 and none in OpenVINO, so the band is built from the input's
// shape: keep[r, c] = (c - r) compared with the diagonal, then Where(keep, x, 0) (And for bool
// tensors). The matrix size is read with Shape at run time, so a mask made from x.size(1)
// follows the sequence length.
#include <string_view>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

ir::Value* int64_scalar(TranslateContext& ctx, int64_t value) {
  return ctx.constant(ir::Tensor::scalar_of(DType::Int64, static_cast<double>(value)), "index");
}

// 0, 1, ..., n - 1 for dim `axis` of x (negative from the end), as a 1-D int64 value.
ir::Value* positions_along(TranslateContext& ctx, ir::Value* shape, int64_t axis) {
  ir::Value* n = typed(ctx.op("Gather", {shape, int64_scalar(ctx, axis)}, {{"axis", int64_t{0}}}),
                       DType::Int64);
  n->shape = ir::Shape{};
  ir::Value* r =
      typed(ctx.op("Range", {int64_scalar(ctx, 0), n, int64_scalar(ctx, 1)}), DType::Int64);
  return r;
}

// aten::triu(Tensor self, int diagonal=0) -> Tensor
// aten::tril(Tensor self, int diagonal=0) -> Tensor
// (and the in-place triu_ / tril_): elements with col - row >= diagonal (triu) or
// col - row <= diagonal (tril) are kept, the others become 0.
void translate_triangle(TranslateContext& ctx, const JitNode* node) {
  const std::string_view kind = node->kind().toQualString();
  const bool upper = kind.find("triu") != std::string_view::npos;
  const JitValue* self = node->input(0);
  const int64_t rank = ctx.rank(self);
  if (rank < 2)
    throw bad_input(std::string(kind) + " needs a tensor of at least 2 dims, got " +
                    std::to_string(rank));
  const int64_t diagonal = node->inputs().size() > 1 ? ctx.const_int(node->input(1)) : 0;
  ir::Value* x = ctx.tensor(self);
  const DType t = ctx.dtype(self);

  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  shape->shape = ir::fixed_shape({rank});
  ir::Value* rows = positions_along(ctx, shape, -2);
  ir::Value* cols = positions_along(ctx, shape, -1);
  ir::Value* rows_col =
      typed(ctx.op("Unsqueeze", {rows}, {{"axes", std::vector<int64_t>{1}}}), DType::Int64);
  ir::Value* offset = typed(ctx.op("Sub", {cols, rows_col}), DType::Int64);  // [R, C]: c - r
  // Integers: c - r >= d  <=>  c - r > d - 1;  c - r <= d  <=>  c - r < d + 1.
  ir::Value* keep = upper ? ctx.op("Greater", {offset, int64_scalar(ctx, diagonal - 1)})
                          : ctx.op("Less", {offset, int64_scalar(ctx, diagonal + 1)});
  typed(keep, DType::Bool);
  // ONNX Runtime has no bool Where: a bool band is x AND keep.
  ir::Value* out =
      t == DType::Bool ? ctx.op("And", {x, keep}) : ctx.op("Where", {keep, x, ctx.scalar(0.0, t)});
  ctx.bind(node->output(), typed(out, t));
}

}  // namespace

std::vector<OpRule> mask_rules() {
  std::vector<OpRule> rows;
  add_with_inplace(rows, "aten::triu", "aten::triu_", translate_triangle,
                   "Where(Greater(Range(cols) - Range(rows), diagonal - 1), x, 0)");
  add_with_inplace(rows, "aten::tril", "aten::tril_", translate_triangle,
                   "Where(Less(Range(cols) - Range(rows), diagonal + 1), x, 0)");
  return rows;
}

}  // namespace mlexport::frontend::torchscript
