// nn.TransformerEncoder's fast path with a padding mask (eval, no grad): the input becomes a
// nested tensor, every layer runs on the ragged sequences, and the result is padded again.
//
// Dense equivalent: each sequence keeps its first `length` positions (length = number of true
// values in its mask row, as _nested_tensor_from_mask counts them); the layers run on [B, S, E]
// with those positions as the key padding mask; padded positions are zeroed after every layer
// (so a fully padded sequence, whose attention row is all -inf, never feeds NaN onward); and
// to_padded_tensor cuts the result to the longest sequence, as eager does: the output has
// max(length) positions, not S, and padded positions hold the padding value (0 for the encoder).
#include "frontend/torchscript/op/nested.h"

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {

using ir::DType;

bool is_nested(TranslateContext& ctx, const JitValue* v) {
  const c10::IValue& r = ctx.recorded(v);
  return r.isTensor() && r.toTensor().defined() && r.toTensor().is_nested();
}

ir::Value* nested_keep(TranslateContext& ctx, const JitValue* v) {
  ir::Value* x = ctx.tensor(v);
  const ir::Node* producer = x->producer;
  if (!producer || producer->op != "Where" || producer->inputs.size() != 3)
    throw Error(ExitCode::kUnsupportedOps,
                "a nested tensor that aten::_nested_tensor_from_mask did not make (%" +
                    v->debugName() +
                    "); only nn.TransformerEncoder's padding-mask path is "
                    "supported");
  return producer->inputs[0];
}

ir::Value* as_nested(TranslateContext& ctx, ir::Value* keep, ir::Value* dense,
                     const ir::Value* like) {
  ir::Value* out = ctx.op("Where", {keep, dense, ctx.scalar(0.0, like->dtype)});
  out->dtype = like->dtype;
  out->shape = like->shape;
  return out;
}

namespace {

ir::Value* int64_scalar(TranslateContext& ctx, int64_t value) {
  return ctx.constant(ir::Tensor::scalar_of(DType::Int64, static_cast<double>(value)), "index");
}

// aten::_nested_tensor_from_mask(Tensor t, Tensor mask, bool mask_check=True) -> Tensor
// t: [B, S, E]; mask: [B, S], true = a token. Sequence b is t[b, :sum(mask[b])].
void translate_nested_from_mask(TranslateContext& ctx, const JitNode* node) {
  const JitValue* t = node->input(0);
  if (ctx.rank(t) != 3 || ctx.rank(node->input(1)) != 2)
    throw Error(ExitCode::kUnsupportedOps,
                "aten::_nested_tensor_from_mask: only [batch, sequence, features] inputs with a "
                "[batch, sequence] mask are supported");
  ir::Value* x = ctx.tensor(t);
  ir::Value* mask = ctx.cast(ctx.tensor(node->input(1)), DType::Int64);
  ir::Value* lengths = typed(
      ctx.op("ReduceSum", {mask}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{1}}}),
      DType::Int64);  // [B, 1]
  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  shape->shape = ir::fixed_shape({3});
  ir::Value* seq =
      typed(ctx.op("Gather", {shape, int64_scalar(ctx, 1)}, {{"axis", int64_t{0}}}), DType::Int64);
  seq->shape = ir::Shape{};
  ir::Value* positions = typed(ctx.op("Range", {int64_scalar(ctx, 0), seq, int64_scalar(ctx, 1)}),
                               DType::Int64);                                  // [S]
  ir::Value* keep = typed(ctx.op("Less", {positions, lengths}), DType::Bool);  // [B, S]
  keep = typed(ctx.op("Unsqueeze", {keep}, {{"axes", std::vector<int64_t>{2}}}), DType::Bool);
  ctx.bind(node->output(), as_nested(ctx, keep, x, x));
}

// aten::to_padded_tensor(Tensor self, float padding, SymInt[]? output_size=None) -> Tensor
void translate_to_padded(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);
  if (!is_nested(ctx, self))
    throw Error(ExitCode::kUnsupportedOps, "aten::to_padded_tensor of a dense tensor");
  if (node->inputs().size() > 2 && !ctx.is_none(node->input(2)))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::to_padded_tensor with an explicit output_size is not supported");
  ir::Value* keep = nested_keep(ctx, self);
  ir::Value* x = ctx.tensor(self);
  const DType t = ctx.dtype(node->output());
  const double padding = ctx.const_double(node->input(1));
  ir::Value* padded =
      padding == 0.0 ? x : typed(ctx.op("Where", {keep, x, ctx.scalar(padding, t)}), t);
  // Longest sequence: max over the batch of the kept positions.
  ir::Value* lengths =
      typed(ctx.op("ReduceSum", {ctx.cast(keep, DType::Int64)},
                   {{"axes", std::vector<int64_t>{1, 2}}, {"keepdims", int64_t{0}}}),
            DType::Int64);  // [B]
  ir::Value* longest = typed(
      ctx.op("ReduceMax", {lengths}, {{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t{1}}}),
      DType::Int64);  // [1]
  ir::Value* out =
      typed(ctx.op("Slice", {padded, ctx.int64_vector({0}), longest, ctx.int64_vector({1})}), t);
  ctx.bind(node->output(), out);
}

}  // namespace

std::vector<OpRule> nested_rules() {
  return {
      {"aten::_nested_tensor_from_mask", translate_nested_from_mask,
       "dense: Where(Range(S) < ReduceSum(mask), x, 0) (padded positions zeroed)"},
      {"aten::to_padded_tensor", translate_to_padded,
       "Where(keep, x, padding) + Slice to the longest sequence (ReduceSum + ReduceMax)"},
  };
}

}  // namespace mlexport::frontend::torchscript
