// The explicit table of aten/prim ops that have a translation rule.
#pragma once

#include <string_view>
#include <vector>

#include "frontend/torchscript/translate_context.h"

namespace mlexport::frontend::torchscript {

struct OpRule {
  const char* kind;  // "aten::relu"
  Translator translate;
  const char* becomes;  // what it becomes in ONNX, for docs/operators.md
};

// All rules, family by family (see op_table.cpp).
const std::vector<OpRule>& op_rules();
const OpRule* find_rule(std::string_view kind);

// One table per op family; each lives beside its translators in op/<family>.cpp.
std::vector<OpRule> plumbing_rules();       // prim:: lists, tuples, sizes, casts of scalars
std::vector<OpRule> elementwise_rules();    // arithmetic, comparisons, where, unary math
std::vector<OpRule> activation_rules();     // relu ... softmax
std::vector<OpRule> linear_rules();         // matmul, bmm, linear, addmm
std::vector<OpRule> convolution_rules();    // conv 1d/2d/3d and transposed
std::vector<OpRule> normalization_rules();  // batch/layer/group/instance norm
std::vector<OpRule> pooling_rules();        // max/avg/adaptive pooling
std::vector<OpRule> shape_rules();          // view, reshape, permute, cat, slice, gather ...
std::vector<OpRule> reduction_rules();      // mean, sum, max, argmax, norm
std::vector<OpRule> resize_rules();         // padding, pixel_shuffle, upsampling
std::vector<OpRule> creation_rules();       // arange, zeros, ones, full, *_like, embedding
std::vector<OpRule> attention_rules();      // _native_multi_head_attention
std::vector<OpRule> recurrent_rules();      // lstm, gru, rnn_tanh/relu and their cells
std::vector<OpRule> mask_rules();           // triu, tril (causal masks)
std::vector<OpRule> nested_rules();         // nested tensors of the encoder fast path
std::vector<OpRule> math_rules();           // glu, shrinks, rrelu, logaddexp, lgamma, atan2, cross
std::vector<OpRule> selection_rules();      // topk, sort, kthvalue, masked_select, diag, meshgrid
std::vector<OpRule> scan_rules();           // cumprod, logcumsumexp
std::vector<OpRule> scatter_rules();        // scatter, scatter_add/reduce, index_put
std::vector<OpRule> bitwise_rules();        // bitwise and/or/xor/not, shifts
std::vector<OpRule> sampling_rules();       // grid_sampler, affine_grid, im2col/col2im
std::vector<OpRule> detection_rules();      // torchvision::nms, roi_align, roi_pool
std::vector<OpRule> spectral_rules();       // fft_*, stft, istft (ONNX DFT)
std::vector<OpRule> complex_rules();        // view_as_real/complex, complex, polar, real, imag

// Complex tensors are (real, imag) pairs in a trailing dim of 2 in the IR, so a rule written
// for real tensors would compute garbage on them. A node that reads or makes a complex value
// goes to find_complex_rule instead: a complex form below, a rule that takes the pairs as
// they are (spectral, complex, list plumbing), or nothing, and the op is refused.
std::vector<OpRule> complex_variant_rules();  // abs, angle, mul ..., slice, cat ...
const OpRule* find_complex_rule(std::string_view kind);

// Ops known to have no translation, with the reason; the unsupported-op report quotes it.
struct KnownGap {
  const char* kind;
  const char* reason;
};
const std::vector<KnownGap>& known_gaps();
const KnownGap* find_known_gap(std::string_view kind);
std::vector<KnownGap> detection_gaps();  // ps_roi_align, ps_roi_pool, deform_conv2d

}  // namespace mlexport::frontend::torchscript
