// Matrix products. Gemm = MatMul with transposes, then alpha, then beta * C.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

void translate_matmul(const ir::Node& n, Context& ctx) {
  OutRef a = ctx.in(n, 0), b = ctx.in(n, 1);
  ctx.bind_output(n,
                  ctx.b.add1("MatMul", "opset1", n.name, {a, b},
                             {{"transpose_a", bool_attr(false)}, {"transpose_b", bool_attr(false)}},
                             ctx.dtype(a), ctx.dims(n.outputs[0])));
}

// Einsum-7 takes ONNX's equation as it is (same letters, "->", "...").
void translate_einsum(const ir::Node& n, Context& ctx) {
  std::vector<OutRef> operands;
  for (size_t k = 0; k < n.inputs.size(); ++k) operands.push_back(ctx.in(n, k));
  ctx.bind_output(
      n, ctx.b.add1("Einsum", "opset7", n.name, operands, {{"equation", n.s("equation", "")}},
                    ctx.dtype(operands.at(0)), ctx.dims(n.outputs[0])));
}

void translate_gemm(const ir::Node& n, Context& ctx) {
  OutRef a = ctx.in(n, 0), b = ctx.in(n, 1);
  double alpha = n.f("alpha", 1.0), beta = n.f("beta", 1.0);
  const ir::Value* c = n.input(2);
  bool has_c = c && beta != 0.0;
  bool last_is_matmul = !has_c && alpha == 1.0;
  const Dims& out = ctx.dims(n.outputs[0]);
  OutRef y = ctx.b.add1("MatMul", "opset1", last_is_matmul ? n.name : n.name + "/matmul", {a, b},
                        {{"transpose_a", bool_attr(n.i("transA", 0) != 0)},
                         {"transpose_b", bool_attr(n.i("transB", 0) != 0)}},
                        ctx.dtype(a), out);
  if (alpha != 1.0) {
    OutRef s = ctx.scalar(ctx.dtype(a), alpha, n.name + "/alpha");
    y = ctx.binary("Multiply", has_c ? n.name + "/scaled" : n.name, y, s);
  }
  if (has_c) {
    OutRef cref;
    if (beta == 1.0) {
      cref = ctx.value(c);
    } else if (c->is_constant() && c->dtype == ir::DType::Float32) {
      ir::Tensor t = c->constant->cast(ir::DType::Float32);
      ir::Tensor scaled(ir::DType::Float32, t.shape);
      for (int64_t k = 0; k < t.numel(); ++k)
        scaled.data<float>()[k] = static_cast<float>(beta * t.data<float>()[k]);
      cref = ctx.weight(scaled, c->name + "/times_beta");
    } else {
      OutRef s = ctx.scalar(ctx.dtype(a), beta, n.name + "/beta");
      cref = ctx.binary("Multiply", n.name + "/beta_c", ctx.value(c), s);
    }
    y = ctx.binary("Add", n.name, y, cref);
  }
  ctx.bind_output(n, y);
}

}  // namespace mlexport::emit::openvino
