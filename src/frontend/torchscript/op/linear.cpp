// Matrix products: matmul, mm, bmm, linear, addmm.
#include "frontend/torchscript/op/helpers.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

// The transpose of a 2-D weight; a constant weight is transposed once at export time.
ir::Value* transposed_weight(TranslateContext& ctx, const JitValue* w, ir::DType dt) {
  if (ctx.is_static(w)) {
    at::Tensor t = ctx.recorded(w).toTensor().t().contiguous();
    return ctx.constant(torchmodel::to_ir_tensor(t).cast(dt), "weight_t");
  }
  return ctx.op("Transpose", {ctx.tensor_as(w, dt)}, {{"perm", std::vector<int64_t>{1, 0}}});
}

// aten::matmul(Tensor self, Tensor other) ; aten::mm ; aten::bmm
void translate_matmul(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  bind_output(
      ctx, node,
      ctx.op("MatMul", {ctx.tensor_as(node->input(0), dt), ctx.tensor_as(node->input(1), dt)}));
}

// aten::linear(Tensor input, Tensor weight, Tensor? bias=None)
void translate_linear(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  const bool has_bias = !ctx.is_none(node->input(2));
  if (ctx.rank(node->input(0)) == 2 && ctx.rank(node->input(1)) == 2) {
    std::vector<ir::Value*> inputs = {x, ctx.tensor_as(node->input(1), dt)};
    if (has_bias) inputs.push_back(ctx.tensor_as(node->input(2), dt));
    return bind_output(ctx, node, ctx.op("Gemm", inputs, {{"transB", int64_t{1}}}));
  }
  ir::Value* y = ctx.op("MatMul", {x, transposed_weight(ctx, node->input(1), dt)});
  if (has_bias) y = ctx.op("Add", {y, ctx.tensor_as(node->input(2), dt)});
  bind_output(ctx, node, y);
}

// aten::addmm(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1)
void translate_addmm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const double beta = ctx.const_double(node->input(3));
  const double alpha = ctx.const_double(node->input(4));
  bind_output(ctx, node,
              ctx.op("Gemm",
                     {ctx.tensor_as(node->input(1), dt), ctx.tensor_as(node->input(2), dt),
                      ctx.tensor_as(node->input(0), dt)},
                     {{"alpha", alpha}, {"beta", beta}}));
}

// aten::baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1)
void translate_baddbmm(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  const double beta = ctx.const_double(node->input(3));
  const double alpha = ctx.const_double(node->input(4));
  ir::Value* prod =
      ctx.op("MatMul", {ctx.tensor_as(node->input(1), dt), ctx.tensor_as(node->input(2), dt)});
  if (alpha != 1.0) prod = ctx.op("Mul", {prod, ctx.scalar(alpha, dt)});
  ir::Value* self = ctx.tensor_as(node->input(0), dt);
  if (beta != 1.0) self = ctx.op("Mul", {self, ctx.scalar(beta, dt)});
  bind_output(ctx, node, ctx.op("Add", {self, prod}));
}

// aten::einsum(str equation, Tensor[] tensors, *, int[]? path=None)
void translate_einsum(TranslateContext& ctx, const JitNode* node) {
  const ir::DType dt = ctx.dtype(node->output());
  std::string equation;
  for (char c : ctx.const_string(node->input(0)))
    if (c != ' ') equation += c;
  std::vector<ir::Value*> operands;
  for (ir::Value* v : ctx.tensor_list(node->input(1))) operands.push_back(ctx.cast(v, dt));
  bind_output(ctx, node, ctx.op("Einsum", operands, {{"equation", equation}}));
}

}  // namespace

std::vector<OpRule> linear_rules() {
  return {
      {"aten::matmul", translate_matmul, "MatMul"},
      {"aten::mm", translate_matmul, "MatMul"},
      {"aten::bmm", translate_matmul, "MatMul"},
      {"aten::linear", translate_linear, "Gemm (rank 2) / MatMul + Add"},
      {"aten::addmm", translate_addmm, "Gemm"},
      {"aten::baddbmm", translate_baddbmm, "MatMul + Add (Mul for alpha/beta)"},
      {"aten::einsum", translate_einsum, "Einsum"},
  };
}

}  // namespace mlexport::frontend::torchscript
