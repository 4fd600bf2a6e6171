// Complex values as the IR holds them: (real, imag) pairs in a trailing dim of 2 (the layout of
// ONNX DFT). `rank` below is always the complex rank, without the pair dim.
#pragma once

#include "frontend/torchscript/op/helpers.h"

namespace mlexport::frontend::torchscript {

// The real or imaginary part (k = 0 or 1) of pairs x: drops the pair dim.
ir::Value* pair_part(TranslateContext& ctx, ir::Value* x, int64_t rank, int64_t k);
// Pairs from a real and an imaginary part of the same shape.
ir::Value* make_pairs(TranslateContext& ctx, ir::Value* re, ir::Value* im, int64_t rank);
// A real tensor with a trailing dim of 1: broadcasts against pairs (scales both parts).
ir::Value* as_scale(TranslateContext& ctx, ir::Value* x, int64_t rank);
// The argument as pairs in `dt`: complex values as they are, real ones with a zero imaginary part.
ir::Value* pairs_of(TranslateContext& ctx, const JitValue* v, ir::DType dt);
// Rank of a tensor argument (0 for scalars), complex or not.
int64_t arg_rank(TranslateContext& ctx, const JitValue* v);
// (a + bi)(c + di) on pairs that broadcast.
ir::Value* complex_mul(TranslateContext& ctx, ir::Value* a, int64_t rank_a, ir::Value* b,
                       int64_t rank_b);
// The conjugate of pairs x.
ir::Value* conjugate(TranslateContext& ctx, ir::Value* x);

}  // namespace mlexport::frontend::torchscript
