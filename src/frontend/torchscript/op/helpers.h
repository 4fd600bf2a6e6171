// Small helpers shared by the translators.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "frontend/torchscript/op_table.h"

namespace mlexport::frontend::torchscript {

// Rows for an op and its in-place form ("aten::relu" and "aten::relu_").
void add_with_inplace(std::vector<OpRule>& rows, const char* kind, const char* inplace_kind,
                      Translator translate, const char* becomes);

// The dtype PyTorch's type promotion gives the inputs of a binary op (from the recorded values).
ir::DType promoted_dtype(TranslateContext& ctx, const JitValue* a, const JitValue* b);

// Binds the node's single output to `v`.
inline void bind_output(TranslateContext& ctx, const JitNode* node, ir::Value* v) {
  ctx.bind(node->output(), v);
}

// Static int list argument, or a single int repeated `n` times (kernel_size=3 -> {3,3}).
std::vector<int64_t> expand_ints(TranslateContext& ctx, const JitValue* v, size_t n);

// ONNX-style pads [begin..., end...] from symmetric per-dimension padding.
std::vector<int64_t> symmetric_pads(const std::vector<int64_t>& padding);

// A 1-D constant from doubles, in `dtype`.
ir::Value* float_vector(TranslateContext& ctx, const std::vector<double>& values, ir::DType dtype);

// Sets the dtype of an IR value a translator made (for values whose dtype differs from float32).
inline ir::Value* typed(ir::Value* v, ir::DType dtype) {
  v->dtype = dtype;
  return v;
}

// `x` split along its last axis into `parts` pieces of `size` (gates, q/k/v), in x's dtype.
std::vector<ir::Value*> split_last(TranslateContext& ctx, ir::Value* x, int64_t parts,
                                   int64_t size);

// atan2(y, x) in (-pi, pi], 0 at the origin (op/math.cpp).
ir::Value* atan2_of(TranslateContext& ctx, ir::Value* y, ir::Value* x, ir::DType dt);

// The input that feeds schema argument `name`, or nullptr when this overload has none.
const JitValue* arg(const JitNode* node, std::string_view name);

}  // namespace mlexport::frontend::torchscript
