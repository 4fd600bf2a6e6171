// The 1-D transforms the spectral translators chain (op/spectral.cpp, op/stft.cpp).
#pragma once

#include <string>
#include <vector>

#include "frontend/torchscript/op/complex_pairs.h"

namespace mlexport::frontend::torchscript {

// A value on its way through the transforms: IR pairs (or [..., 1] while real), its complex
// sizes, and the element type of each part.
struct Signal {
  ir::Value* x;
  std::vector<int64_t> sizes;
  ir::DType dt;
  int64_t rank() const { return static_cast<int64_t>(sizes.size()); }
};

// PyTorch's scale for a transform of length n ("backward", "ortho", "forward") over the one
// ONNX DFT applies (1 forward, 1/n inverse). `forward`: the direction PyTorch's norm names.
double norm_factor(const std::string& norm, int64_t n, bool forward, bool onnx_inverse);
void scale(TranslateContext& ctx, Signal& s, double factor);
// Cuts or zero-pads complex axis d to length n.
void fit_length(TranslateContext& ctx, Signal& s, int64_t d, int64_t n);
// One ONNX DFT along complex axis d.
void dft(TranslateContext& ctx, Signal& s, int64_t d, bool inverse, bool onesided);
// A tensor argument as a Signal.
Signal signal_of(TranslateContext& ctx, const JitValue* v, ir::DType dt);
// Gives a real signal ([..., 1]) a zero imaginary part when `real`.
void make_complex(TranslateContext& ctx, Signal& s, bool real);
// c2c, r2c and c2r along d at length n, scaled as `norm` says.
void c2c(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, bool inverse,
         const std::string& norm);
void r2c(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, const std::string& norm,
         bool forward);
void c2r(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, const std::string& norm,
         bool forward);

// aten::stft and aten::istft (op/stft.cpp).
void translate_stft(TranslateContext& ctx, const JitNode* node);
void translate_istft(TranslateContext& ctx, const JitNode* node);

}  // namespace mlexport::frontend::torchscript
