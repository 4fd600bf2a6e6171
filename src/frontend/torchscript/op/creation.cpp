// Tensor factories (arange, zeros/ones/full and their *_like / new_* forms) and embedding.
//
// Factories with constant arguments are folded before they get here: these translators only see
// shapes or fill values computed from the input (torch.zeros(x.size(0), 4), zeros_like(x)).
#include <set>
#include <string_view>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

ir::Value* shape_of(TranslateContext& ctx, const JitValue* x) {
  ir::Value* s = typed(ctx.op("Shape", {ctx.tensor(x)}), DType::Int64);
  s->shape = ir::fixed_shape({ctx.rank(x)});
  return s;
}

// A tensor of `shape` (1-D int64 value) filled with `fill` (a Scalar argument; nullptr means
// `value`), of `dtype`: ConstantOfShape, or Expand when the fill value is computed.
ir::Value* filled(TranslateContext& ctx, ir::Value* shape, const JitValue* fill, double value,
                  DType dtype) {
  if (fill && !ctx.is_static(fill)) return ctx.op("Expand", {ctx.tensor_as(fill, dtype), shape});
  if (fill) value = ctx.const_double(fill);
  ir::Tensor v = ir::Tensor::scalar_of(dtype, value);
  v.shape = {1};
  return ctx.op("ConstantOfShape", {shape}, {{"value", v}});
}

double default_fill(std::string_view kind) {
  return kind.find("ones") != std::string_view::npos ? 1.0 : 0.0;
}

// aten::zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None,
//             bool? pin_memory=None) ; aten::ones(...) ; aten::empty.memory_format(...)
// aten::full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, ...)
// aten::new_zeros/new_ones/new_empty(Tensor self, SymInt[] size, *, ScalarType? dtype=None, ...)
// aten::new_full(Tensor self, SymInt[] size, Scalar fill_value, *, ...)
// (empty is filled with zeros: any content is valid.)
void translate_full(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const JitValue* size = arg(node, "size");
  const JitValue* fill = arg(node, "fill_value");
  const bool empty = kind.find("empty") != std::string_view::npos;
  if (!empty && ctx.is_static(size) && (!fill || ctx.is_static(fill))) {
    // new_zeros(x, [2, 3]) does not depend on x's values: the record is the answer. (Not for
    // empty: its record is whatever memory held.)
    return ctx.bind_static(node->output());
  }
  const DType out = ctx.dtype(node->output());
  ctx.bind(node->output(), filled(ctx, ctx.int_list_tensor(size), fill, default_fill(kind), out));
}

// aten::zeros_like/ones_like/empty_like(Tensor self, *, ScalarType? dtype=None, ...,
//                                       MemoryFormat? memory_format=None)
// aten::full_like(Tensor self, Scalar fill_value, *, ScalarType? dtype=None, ...)
// aten::fill_.Scalar(Tensor(a!) self, Scalar value) ; fill_.Tensor(Tensor(a!) self, Tensor value)
// aten::zero_(Tensor(a!) self) ; aten::fill / aten::zero: their functional forms (what removing
// tensor mutation leaves). A fill of a view (x[a:b] = v) reaches the viewed tensor through
// write_back_through_views.
void translate_like(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const JitValue* fill = arg(node, kind.starts_with("aten::fill") ? "value" : "fill_value");
  const DType out = ctx.dtype(node->output());
  ctx.bind(node->output(),
           filled(ctx, shape_of(ctx, node->input(0)), fill, default_fill(kind), out));
}

// aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False): src broadcast to self's
// shape in self's dtype (x[a:b] = y; the walker writes it into the viewed tensor).
void translate_copy(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  ctx.bind(node->output(),
           ctx.op("Expand", {ctx.tensor_as(node->input(1), out), shape_of(ctx, node->input(0))}));
}

// aten::rand_like/randn_like(Tensor self, *, ScalarType? dtype=None, ...)
// aten::rand/randn(SymInt[] size, *, ScalarType? dtype=None, ...)
// Random draws cannot match eager numbers; the shape and distribution are kept.
void translate_random(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const DType out = ctx.dtype(node->output());
  const bool normal = kind.starts_with("aten::randn");
  ir::Value* like = kind.ends_with("_like")
                        ? ctx.tensor_as(node->input(0), out)
                        : filled(ctx, ctx.int_list_tensor(arg(node, "size")), nullptr, 0.0, out);
  like->dtype = out;
  ctx.bind(node->output(), ctx.op(normal ? "RandomNormalLike" : "RandomUniformLike", {like}));
}

// aten::arange(Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None,
//              bool? pin_memory=None)
// aten::arange.start(Scalar start, Scalar end, *, ScalarType? dtype=None, ...)
// aten::arange.start_step(Scalar start, Scalar end, Scalar step=1, *, ScalarType? dtype=None, ...)
void translate_arange(TranslateContext& ctx, const JitNode* node) {
  const DType out = ctx.dtype(node->output());
  const JitValue* start = arg(node, "start");
  const JitValue* end = arg(node, "end");
  const JitValue* step = arg(node, "step");
  // Range covers int16/32/64, float and double: integer results count in int64 unless a bound is
  // fractional, half types count in float.
  bool fractional = false;
  for (const JitValue* v : {start, end, step})
    if (v && ctx.recorded(v).isDouble()) fractional = true;
  DType compute = out;
  if (!ir::is_floating(out)) compute = fractional ? DType::Float64 : DType::Int64;
  if (out == DType::Float16 || out == DType::BFloat16) compute = DType::Float32;
  auto scalar = [&](const JitValue* v, double fallback) {
    if (!v) return ctx.scalar(fallback, compute);
    ir::Value* s = ctx.tensor_as(v, compute);
    if (s->shape && !s->shape->empty())  // a 1-element tensor argument
      s = typed(ctx.op("Reshape", {s, ctx.int64_vector({})}), compute);
    return s;
  };
  ir::Value* r = ctx.op("Range", {scalar(start, 0.0), scalar(end, 0.0), scalar(step, 1.0)});
  ctx.bind(node->output(), ctx.cast(typed(r, compute), out));
}

// aten::embedding(Tensor weight, Tensor indices, int padding_idx=-1,
//                 bool scale_grad_by_freq=False, bool sparse=False) -> Tensor
void translate_embedding(TranslateContext& ctx, const JitNode* node) {
  ir::Value* weight = ctx.tensor(node->input(0));
  ir::Value* indices = ctx.tensor(node->input(1));
  if (indices->dtype != DType::Int32) indices = ctx.cast(indices, DType::Int64);
  ctx.bind(node->output(), ctx.op("Gather", {weight, indices}, {{"axis", int64_t{0}}}));
}

// aten::scalar_tensor(Scalar s, *, ScalarType? dtype=None, ...) -> Tensor
void translate_scalar_tensor(TranslateContext& ctx, const JitNode* node) {
  ctx.bind(node->output(), ctx.tensor_as(node->input(0), ctx.dtype(node->output())));
}

}  // namespace

std::vector<OpRule> creation_rules() {
  return {
      {"aten::arange", translate_arange, "Range (+ Cast)"},
      {"aten::zeros", translate_full, "ConstantOfShape"},
      {"aten::ones", translate_full, "ConstantOfShape"},
      {"aten::full", translate_full, "ConstantOfShape / Expand"},
      {"aten::empty", translate_full, "ConstantOfShape (zeros)"},
      {"aten::new_zeros", translate_full, "ConstantOfShape"},
      {"aten::new_ones", translate_full, "ConstantOfShape"},
      {"aten::new_full", translate_full, "ConstantOfShape / Expand"},
      {"aten::new_empty", translate_full, "ConstantOfShape (zeros)"},
      {"aten::zeros_like", translate_like, "ConstantOfShape(Shape)"},
      {"aten::ones_like", translate_like, "ConstantOfShape(Shape)"},
      {"aten::full_like", translate_like, "ConstantOfShape(Shape) / Expand"},
      {"aten::empty_like", translate_like, "ConstantOfShape(Shape) (zeros)"},
      {"aten::fill_", translate_like, "ConstantOfShape(Shape) / Expand"},
      {"aten::fill", translate_like, "ConstantOfShape(Shape) / Expand"},
      {"aten::zero", translate_like, "ConstantOfShape(Shape)"},
      {"aten::zero_", translate_like, "ConstantOfShape(Shape)"},
      {"aten::copy_", translate_copy, "Expand(Cast)"},
      {"aten::rand_like", translate_random, "RandomUniformLike"},
      {"aten::randn_like", translate_random, "RandomNormalLike"},
      {"aten::rand", translate_random, "RandomUniformLike(ConstantOfShape)"},
      {"aten::randn", translate_random, "RandomNormalLike(ConstantOfShape)"},
      {"aten::embedding", translate_embedding, "Gather(axis=0)"},
      {"aten::scalar_tensor", translate_scalar_tensor, "Cast"},
  };
}

}  // namespace mlexport::frontend::torchscript
