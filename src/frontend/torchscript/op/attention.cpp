// The fused attention kernels of nn.MultiheadAttention / nn.TransformerEncoderLayer's fast path
// (eval, no grad), decomposed into MatMul / Softmax / LayerNormalization.
#include <cmath>
#include <limits>

#include "frontend/torchscript/op/helpers.h"
#include "frontend/torchscript/op/nested.h"
#include "mlexport/diagnostics.h"
#include "torchmodel/tensor_convert.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

// W[begin:end]^T for a [out, in] weight: transposed at export time when it is a constant.
ir::Value* weight_t(TranslateContext& ctx, const JitValue* weight, int64_t begin, int64_t end) {
  if (ctx.is_static(weight)) {
    at::Tensor w = ctx.recorded(weight).toTensor().slice(0, begin, end).t().contiguous();
    return ctx.constant(torchmodel::to_ir_tensor(w), "weight");
  }
  ir::Value* w = ctx.tensor(weight);
  const DType t = w->dtype;
  w = typed(ctx.op("Slice",
                   {w, ctx.int64_vector({begin}), ctx.int64_vector({end}), ctx.int64_vector({0})}),
            t);
  return typed(ctx.op("Transpose", {w}, {{"perm", std::vector<int64_t>{1, 0}}}), t);
}

// b[begin:end] of a bias vector.
ir::Value* bias_part(TranslateContext& ctx, const JitValue* bias, int64_t begin, int64_t end) {
  if (ctx.is_static(bias)) {
    at::Tensor b = ctx.recorded(bias).toTensor().slice(0, begin, end).contiguous();
    return ctx.constant(torchmodel::to_ir_tensor(b), "bias");
  }
  ir::Value* b = ctx.tensor(bias);
  return typed(ctx.op("Slice", {b, ctx.int64_vector({begin}), ctx.int64_vector({end}),
                                ctx.int64_vector({0})}),
               b->dtype);
}

// x @ W[begin:end]^T + b[begin:end]
ir::Value* project(TranslateContext& ctx, ir::Value* x, const JitValue* weight,
                   const JitValue* bias, int64_t begin, int64_t end) {
  const DType t = x->dtype;
  ir::Value* y = typed(ctx.op("MatMul", {x, weight_t(ctx, weight, begin, end)}), t);
  if (bias && !ctx.is_none(bias))
    y = typed(ctx.op("Add", {y, bias_part(ctx, bias, begin, end)}), t);
  return y;
}

struct AttentionArgs {
  const JitValue* query;
  const JitValue* key;
  const JitValue* value;
  int64_t embed_dim;
  int64_t num_heads;
  const JitValue* qkv_weight;
  const JitValue* qkv_bias;
  const JitValue* proj_weight;
  const JitValue* proj_bias;
  const JitValue* mask = nullptr;    // non-zero / true = masked out
  int64_t mask_type = -1;            // 1: key padding mask [B, S]; others broadcast as given
  ir::Value* key_padding = nullptr;  // [B, S] bool, true = padded (nested inputs)
};

struct AttentionResult {
  ir::Value* output;   // [B, L, E]
  ir::Value* weights;  // softmax probabilities [B, H, L, S]
};

// torch's native multi-head attention on batch-first [B, L, E] inputs:
// q = (x Wq + bq) / sqrt(dh), k = x Wk + bk, v = x Wv + bv, split into heads;
// softmax(q k^T [masked]) v, heads merged, then the output projection.
// B and L stay dynamic: Reshape copies them with 0.
AttentionResult attention(TranslateContext& ctx, const AttentionArgs& a, ir::Value* query_v,
                          ir::Value* key_v, ir::Value* value_v) {
  const int64_t e = a.embed_dim;
  const int64_t h = a.num_heads;
  const int64_t dh = e / h;
  const DType t = query_v->dtype;

  ir::Value* q;
  ir::Value* k;
  ir::Value* v;
  if (a.query == a.key && a.key == a.value) {  // self-attention: one packed projection
    auto qkv = split_last(ctx, project(ctx, query_v, a.qkv_weight, a.qkv_bias, 0, 3 * e), 3, e);
    q = qkv[0], k = qkv[1], v = qkv[2];
  } else if (a.key == a.value) {
    q = project(ctx, query_v, a.qkv_weight, a.qkv_bias, 0, e);
    auto kv = split_last(ctx, project(ctx, key_v, a.qkv_weight, a.qkv_bias, e, 3 * e), 2, e);
    k = kv[0], v = kv[1];
  } else {
    q = project(ctx, query_v, a.qkv_weight, a.qkv_bias, 0, e);
    k = project(ctx, key_v, a.qkv_weight, a.qkv_bias, e, 2 * e);
    v = project(ctx, value_v, a.qkv_weight, a.qkv_bias, 2 * e, 3 * e);
  }
  q = typed(ctx.op("Mul", {q, ctx.scalar(1.0 / std::sqrt(static_cast<double>(dh)), t)}), t);

  ir::Value* heads_shape = ctx.int64_vector({0, 0, h, dh});
  auto heads = [&](ir::Value* x, std::vector<int64_t> perm) {
    ir::Value* r = typed(ctx.op("Reshape", {x, heads_shape}), t);
    return typed(ctx.op("Transpose", {r}, {{"perm", std::move(perm)}}), t);
  };
  ir::Value* qh = heads(q, {0, 2, 1, 3});  // [B, H, L, dh]
  ir::Value* kt = heads(k, {0, 2, 3, 1});  // [B, H, dh, S]
  ir::Value* vh = heads(v, {0, 2, 1, 3});  // [B, H, S, dh]

  ir::Value* scores = typed(ctx.op("MatMul", {qh, kt}), t);  // [B, H, L, S]
  if (a.mask && !ctx.is_none(a.mask)) {
    ir::Value* mask = ctx.tensor(a.mask);
    if (ctx.rank(a.mask) == 2 && a.mask_type != 0)  // key padding [B, S] -> [B, 1, 1, S]
      mask =
          typed(ctx.op("Unsqueeze", {mask}, {{"axes", std::vector<int64_t>{1, 2}}}), mask->dtype);
    // The kernel treats any non-zero mask value as "masked out", float masks included.
    mask = ctx.cast(mask, DType::Bool);
    ir::Value* ninf = ctx.scalar(-std::numeric_limits<double>::infinity(), t);
    scores = typed(ctx.op("Where", {mask, ninf, scores}), t);
  }
  if (a.key_padding) {
    ir::Value* padded = typed(
        ctx.op("Unsqueeze", {a.key_padding}, {{"axes", std::vector<int64_t>{1, 2}}}), DType::Bool);
    ir::Value* ninf = ctx.scalar(-std::numeric_limits<double>::infinity(), t);
    scores = typed(ctx.op("Where", {padded, ninf, scores}), t);
  }
  ir::Value* probs = typed(ctx.op("Softmax", {scores}, {{"axis", int64_t{-1}}}), t);
  ir::Value* mixed = typed(ctx.op("MatMul", {probs, vh}), t);  // [B, H, L, dh]
  mixed = typed(ctx.op("Transpose", {mixed}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}}), t);
  mixed = typed(ctx.op("Reshape", {mixed, ctx.int64_vector({0, 0, e})}), t);
  ir::Value* out = project(ctx, mixed, a.proj_weight, a.proj_bias, 0, e);
  return {out, probs};
}

int64_t optional_int(TranslateContext& ctx, const JitValue* v, int64_t fallback) {
  return ctx.is_none(v) ? fallback : ctx.const_int(v);
}

// aten::_native_multi_head_attention(Tensor query, Tensor key, Tensor value, int embed_dim,
//     int num_head, Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias,
//     Tensor? mask=None, bool need_weights=True, bool average_attn_weights=True,
//     int? mask_type=None) -> (Tensor, Tensor)
void translate_native_mha(TranslateContext& ctx, const JitNode* node) {
  if (ctx.rank(node->input(0)) != 3 || is_nested(ctx, node->input(0)))
    throw Error(ExitCode::kUnsupportedOps,
                "aten::_native_multi_head_attention with a nested or non-3-D query");
  AttentionArgs a{node->input(0),
                  node->input(1),
                  node->input(2),
                  ctx.const_int(node->input(3)),
                  ctx.const_int(node->input(4)),
                  node->input(5),
                  node->input(6),
                  node->input(7),
                  node->input(8)};
  a.mask = node->input(9);
  a.mask_type = optional_int(ctx, node->input(12), -1);
  const bool need_weights = ctx.const_bool(node->input(10));
  const bool average = ctx.const_bool(node->input(11));
  AttentionResult r =
      attention(ctx, a, ctx.tensor(a.query), ctx.tensor(a.key), ctx.tensor(a.value));
  ctx.bind(node->output(0), r.output);
  const c10::IValue& weights = ctx.recorded(node->output(1));
  if (!need_weights && !(weights.isTensor() && weights.toTensor().defined())) return;
  ir::Value* w = r.weights;
  if (average)
    w = ctx.op("ReduceMean", {w}, {{"axes", std::vector<int64_t>{1}}, {"keepdims", int64_t{0}}});
  ctx.bind(node->output(1), w);
}

// Values of the encoder layer's residual stream, all shaped like its input; the shape (the rank
// at least) lets passes lower LayerNormalization for opsets before 17.
ir::Value* like(ir::Value* v, const ir::Value* src) {
  v->dtype = src->dtype;
  v->shape = src->shape;
  return v;
}

ir::Value* layer_norm(TranslateContext& ctx, ir::Value* x, const JitValue* weight,
                      const JitValue* bias, double eps) {
  return like(ctx.op("LayerNormalization", {x, ctx.tensor(weight), ctx.tensor(bias)},
                     {{"axis", int64_t{-1}}, {"epsilon", eps}}),
              x);
}

// aten::_transformer_encoder_layer_fwd(Tensor src, int embed_dim, int num_heads,
//     Tensor qkv_weight, Tensor qkv_bias, Tensor proj_weight, Tensor proj_bias, bool use_gelu,
//     bool norm_first, float eps, Tensor norm_weight_1, Tensor norm_bias_1,
//     Tensor norm_weight_2, Tensor norm_bias_2, Tensor ffn_weight_1, Tensor ffn_bias_1,
//     Tensor ffn_weight_2, Tensor ffn_bias_2, Tensor? mask=None, int? mask_type=None) -> Tensor
// x = src + attn(norm1?(src)) [norm1]; x = x + ffn(norm2?(x)) [norm2] (pre- or post-norm).
void translate_encoder_layer(TranslateContext& ctx, const JitNode* node) {
  const JitValue* src = node->input(0);
  if (ctx.rank(src) != 3)
    throw Error(ExitCode::kUnsupportedOps,
                "aten::_transformer_encoder_layer_fwd with a non-3-D input");
  const int64_t e = ctx.const_int(node->input(1));
  const bool use_gelu = ctx.const_bool(node->input(7));
  const bool norm_first = ctx.const_bool(node->input(8));
  const double eps = ctx.const_double(node->input(9));
  ir::Value* x = ctx.tensor(src);
  const DType t = x->dtype;
  AttentionArgs a{src,
                  src,
                  src,
                  e,
                  ctx.const_int(node->input(2)),
                  node->input(3),
                  node->input(4),
                  node->input(5),
                  node->input(6)};
  a.mask = node->input(18);
  a.mask_type = optional_int(ctx, node->input(19), -1);
  // A nested input (TransformerEncoder with a padding mask): the sequences' padding becomes the
  // key padding mask, and padded positions of the result are zeroed again.
  ir::Value* keep = is_nested(ctx, src) ? nested_keep(ctx, src) : nullptr;
  if (keep) {
    ir::Value* keep2 =
        typed(ctx.op("Squeeze", {keep}, {{"axes", std::vector<int64_t>{2}}}), DType::Bool);
    a.key_padding = typed(ctx.op("Not", {keep2}), DType::Bool);
  }

  ir::Value* attn_in = norm_first ? layer_norm(ctx, x, node->input(10), node->input(11), eps) : x;
  ir::Value* y = attention(ctx, a, attn_in, attn_in, attn_in).output;
  y = like(ctx.op("Add", {y, x}), x);
  if (!norm_first) y = layer_norm(ctx, y, node->input(10), node->input(11), eps);

  ir::Value* ffn_in = norm_first ? layer_norm(ctx, y, node->input(12), node->input(13), eps) : y;
  const int64_t hidden = ctx.sizes(node->input(14)).at(0);
  ir::Value* f = project(ctx, ffn_in, node->input(14), node->input(15), 0, hidden);
  if (use_gelu) {  // exact gelu: x/2 * (1 + erf(x / sqrt 2))
    ir::Value* scaled = typed(ctx.op("Mul", {f, ctx.scalar(1.0 / std::sqrt(2.0), t)}), t);
    ir::Value* erf1 =
        typed(ctx.op("Add", {typed(ctx.op("Erf", {scaled}), t), ctx.scalar(1.0, t)}), t);
    f = typed(ctx.op("Mul", {typed(ctx.op("Mul", {f, ctx.scalar(0.5, t)}), t), erf1}), t);
  } else {
    f = typed(ctx.op("Relu", {f}), t);
  }
  f = project(ctx, f, node->input(16), node->input(17), 0, e);
  y = like(ctx.op("Add", {f, y}), x);
  if (!norm_first) y = layer_norm(ctx, y, node->input(12), node->input(13), eps);
  if (keep) y = as_nested(ctx, keep, y, x);
  ctx.bind(node->output(), y);
}

}  // namespace

std::vector<OpRule> attention_rules() {
  return {
      {"aten::_native_multi_head_attention", translate_native_mha,
       "MatMul/Add + Split + Reshape/Transpose + MatMul + Softmax + MatMul (+ ReduceMean)"},
      {"aten::_transformer_encoder_layer_fwd", translate_encoder_layer,
       "attention as above + LayerNormalization + MatMul/Add + Relu|Erf-gelu (nested input: "
       "its padding as key padding mask, padded positions zeroed)"},
  };
}

}  // namespace mlexport::frontend::torchscript
