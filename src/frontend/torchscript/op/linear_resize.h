// Linear resizing (aten::upsample_linear1d/bilinear2d/trilinear3d) computed the way LibTorch's
// CPU kernel computes it, rather than as ONNX Resize.
#pragma once

#include <optional>
#include <vector>

#include "frontend/torchscript/translate_context.h"

namespace mlexport::frontend::torchscript {

// One spatial axis of a linear resize: the two source indices and weights of each output
// position, as PyTorch picks them.
struct LinearAxis {
  int64_t axis = 0;
  int64_t in = 0, out = 0;       // sizes at the example (used when the sizes are static)
  ir::Value* in_size = nullptr;  // computed sizes (0-d int64), when they are not static
  ir::Value* out_size = nullptr;
  std::optional<double> scale;  // the node's scale factor, when it has one
};

// `x` resized along each axis by Gather + Mul + Add with PyTorch's own source indices and
// weights (ATen/native/UpSample.h), innermost axis first as its kernel nests them. With static
// sizes the indices and weights are constants; with computed ones they are computed in the
// graph with the same float and double arithmetic. float32 and float64 only.
ir::Value* pytorch_linear_resize(TranslateContext& ctx, ir::Value* x, int64_t rank,
                                 const std::vector<LinearAxis>& axes, bool align_corners);

}  // namespace mlexport::frontend::torchscript
