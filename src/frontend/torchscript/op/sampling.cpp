// Sampling and patches: grid_sampler (GridSample, opset 16), affine_grid_generator, im2col /
// col2im (F.unfold / F.fold as convolutions with one-hot kernels), channel_shuffle,
// pairwise_distance.
#include <algorithm>
#include <cmath>
#include <limits>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

// aten::grid_sampler(Tensor input, Tensor grid, int interpolation_mode, int padding_mode,
//                    bool align_corners) ; aten::grid_sampler_2d(...)
void translate_grid_sampler(TranslateContext& ctx, const JitNode* node) {
  if (ctx.rank(node->input(0)) != 4)
    throw Error(ExitCode::kUnsupportedOps,
                "aten::grid_sampler on a " + std::to_string(ctx.rank(node->input(0))) +
                    "-D input: ONNX GridSample takes 4-D inputs up to opset 19");
  static const char* kModes[] = {"bilinear", "nearest", "bicubic"};
  static const char* kPadding[] = {"zeros", "border", "reflection"};
  const int64_t mode = ctx.const_int(node->input(2));
  const int64_t padding = ctx.const_int(node->input(3));
  if (mode < 0 || mode > 2 || padding < 0 || padding > 2)
    throw Error(ExitCode::kUnsupportedOps, "aten::grid_sampler with mode " + std::to_string(mode) +
                                               ", padding mode " + std::to_string(padding));
  const DType dt = ctx.dtype(node->output());
  bind_output(
      ctx, node,
      ctx.op("GridSample", {ctx.tensor_as(node->input(0), dt), ctx.tensor_as(node->input(1), dt)},
             {{"mode", std::string(kModes[mode])},
              {"padding_mode", std::string(kPadding[padding])},
              {"align_corners", int64_t{ctx.const_bool(node->input(4)) ? 1 : 0}}}));
}

// n points spread over [-1, 1] as affine_grid places pixel centres (align_corners=False) or
// corners (True).
std::vector<double> grid_line(int64_t n, bool align_corners) {
  std::vector<double> out(static_cast<size_t>(n), 0.0);
  if (n <= 1) return out;
  for (int64_t k = 0; k < n; ++k) {
    double v = -1.0 + 2.0 * static_cast<double>(k) / static_cast<double>(n - 1);
    if (!align_corners) v *= static_cast<double>(n - 1) / static_cast<double>(n);
    out[static_cast<size_t>(k)] = v;
  }
  return out;
}

// aten::affine_grid_generator(Tensor theta, int[] size, bool align_corners)
// The base grid of homogeneous coordinates (x, y[, z], 1) per output place is a constant;
// the grid is base @ theta^T, reshaped to [N, (D,) H, W, 2|3].
void translate_affine_grid(TranslateContext& ctx, const JitNode* node) {
  const std::vector<int64_t> size = ctx.const_ints(node->input(1));
  const bool align = ctx.const_bool(node->input(2));
  const DType dt = ctx.dtype(node->output());
  if (size.size() != 4 && size.size() != 5)
    throw Error(ExitCode::kUnsupportedOps,
                "aten::affine_grid_generator with a size of rank " + std::to_string(size.size()));
  const bool volume = size.size() == 5;
  const int64_t depth = volume ? size[2] : 1;
  const int64_t height = size[size.size() - 2], width = size.back();
  const int64_t coords = volume ? 4 : 3;
  const auto xs = grid_line(width, align), ys = grid_line(height, align),
             zs = grid_line(depth, align);
  ir::Tensor base(DType::Float64, {depth * height * width, coords});
  double* p = base.data<double>();
  for (int64_t d = 0; d < depth; ++d)
    for (int64_t h = 0; h < height; ++h)
      for (int64_t w = 0; w < width; ++w) {
        *p++ = xs[static_cast<size_t>(w)];
        *p++ = ys[static_cast<size_t>(h)];
        if (volume) *p++ = zs[static_cast<size_t>(d)];
        *p++ = 1.0;
      }
  ir::Value* theta = ctx.tensor_as(node->input(0), dt);
  ir::Value* theta_t =
      typed(ctx.op("Transpose", {theta}, {{"perm", std::vector<int64_t>{0, 2, 1}}}), dt);
  ir::Value* grid =
      typed(ctx.op("MatMul", {ctx.constant(base.cast(dt), "base_grid"), theta_t}), dt);
  std::vector<int64_t> shape = {-1};
  if (volume) shape.push_back(depth);
  shape.insert(shape.end(), {height, width, coords - 1});
  bind_output(ctx, node, ctx.op("Reshape", {grid, ctx.int64_vector(shape)}));
}

// The [C*kh*kw, 1, kh, kw] kernel whose output channel c*kh*kw + i*kw + j picks place (i, j)
// of input channel c (with group = C).
ir::Value* one_hot_kernel(TranslateContext& ctx, int64_t channels, int64_t kh, int64_t kw,
                          DType dt) {
  const int64_t places = kh * kw;
  ir::Tensor w(DType::Float32, {channels * places, 1, kh, kw});
  float* p = w.data<float>();
  std::fill(p, p + channels * places * places, 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t k = 0; k < places; ++k) p[(c * places + k) * places + k] = 1.0f;
  return ctx.constant(w.cast(dt), "one_hot_kernel");
}

struct PatchArgs {
  std::vector<int64_t> kernel, dilation, padding, stride;
};

PatchArgs patch_args(TranslateContext& ctx, const JitNode* node, size_t first) {
  return {expand_ints(ctx, node->input(first), 2), expand_ints(ctx, node->input(first + 1), 2),
          expand_ints(ctx, node->input(first + 2), 2), expand_ints(ctx, node->input(first + 3), 2)};
}

// aten::im2col(Tensor self, int[2] kernel_size, int[2] dilation, int[2] padding, int[2] stride)
// F.unfold: a grouped Conv with a one-hot kernel, then [N, C*kh*kw, L].
void translate_im2col(TranslateContext& ctx, const JitNode* node) {
  if (ctx.rank(node->input(0)) != 4)
    throw Error(ExitCode::kUnsupportedOps, "aten::im2col on an unbatched (3-D) input");
  const PatchArgs a = patch_args(ctx, node, 1);
  const DType dt = ctx.dtype(node->output());
  const int64_t channels = ctx.sizes(node->input(0))[1];
  ir::Value* x = ctx.tensor_as(node->input(0), dt);
  ir::Value* patches =
      typed(ctx.op("Conv", {x, one_hot_kernel(ctx, channels, a.kernel[0], a.kernel[1], dt)},
                   {{"kernel_shape", a.kernel},
                    {"strides", a.stride},
                    {"pads", symmetric_pads(a.padding)},
                    {"dilations", a.dilation},
                    {"group", channels}}),
            dt);
  bind_output(ctx, node, ctx.op("Reshape", {patches, ctx.int64_vector({0, 0, -1})}));
}

// aten::col2im(Tensor self, SymInt[2] output_size, int[2] kernel_size, int[2] dilation,
//              int[2] padding, int[2] stride)
// F.fold: the transposed convolution of im2col's kernel sums the overlapping patches.
void translate_col2im(TranslateContext& ctx, const JitNode* node) {
  if (ctx.rank(node->input(0)) != 3)
    throw Error(ExitCode::kUnsupportedOps, "aten::col2im on an unbatched (2-D) input");
  const std::vector<int64_t> out_size = expand_ints(ctx, node->input(1), 2);
  const PatchArgs a = patch_args(ctx, node, 2);
  const DType dt = ctx.dtype(node->output());
  const int64_t places = a.kernel[0] * a.kernel[1];
  const int64_t channels = ctx.sizes(node->input(0))[1] / places;
  std::vector<int64_t> blocks(2), output_padding(2);
  for (size_t k = 0; k < 2; ++k) {
    blocks[k] =
        (out_size[k] + 2 * a.padding[k] - a.dilation[k] * (a.kernel[k] - 1) - 1) / a.stride[k] + 1;
    const int64_t natural =
        (blocks[k] - 1) * a.stride[k] - 2 * a.padding[k] + a.dilation[k] * (a.kernel[k] - 1) + 1;
    output_padding[k] = out_size[k] - natural;
  }
  ir::Value* cols = ctx.tensor_as(node->input(0), dt);
  ir::Value* grid =
      typed(ctx.op("Reshape", {cols, ctx.int64_vector({0, 0, blocks[0], blocks[1]})}), dt);
  std::map<std::string, ir::Attribute> attrs = {{"kernel_shape", a.kernel},
                                                {"strides", a.stride},
                                                {"pads", symmetric_pads(a.padding)},
                                                {"dilations", a.dilation},
                                                {"group", channels}};
  if (output_padding[0] != 0 || output_padding[1] != 0) attrs["output_padding"] = output_padding;
  bind_output(ctx, node,
              ctx.op("ConvTranspose",
                     {grid, one_hot_kernel(ctx, channels, a.kernel[0], a.kernel[1], dt)}, attrs));
}

// aten::channel_shuffle(Tensor self, int groups) ; aten::native_channel_shuffle(...)
// [N, g, C/g, rest] -> swap the two channel axes -> back to x's shape.
void translate_channel_shuffle(TranslateContext& ctx, const JitNode* node) {
  const int64_t groups = ctx.const_int(node->input(1));
  const int64_t channels = ctx.sizes(node->input(0))[1];
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* split =
      typed(ctx.op("Reshape", {x, ctx.int64_vector({0, groups, channels / groups, -1})}), x->dtype);
  ir::Value* swapped =
      typed(ctx.op("Transpose", {split}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}}), x->dtype);
  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  bind_output(ctx, node, ctx.op("Reshape", {swapped, shape}));
}

// aten::pairwise_distance(Tensor x1, Tensor x2, float p=2, float eps=1e-6, bool keepdim=False)
// = ||x1 - x2 + eps||_p over the last dim.
void translate_pairwise_distance(TranslateContext& ctx, const JitNode* node) {
  const DType dt = ctx.dtype(node->output());
  const double p = ctx.const_double(node->input(2));
  const double eps = ctx.const_double(node->input(3));
  const int64_t keep = ctx.const_bool(node->input(4)) ? 1 : 0;
  ir::Value* a = ctx.tensor_as(node->input(0), dt);
  ir::Value* b = ctx.tensor_as(node->input(1), dt);
  ir::Value* diff = ctx.op("Add", {ctx.op("Sub", {a, b}), ctx.scalar(eps, dt)});
  ir::Value* mag = ctx.op("Abs", {diff});
  const std::map<std::string, ir::Attribute> over_last = {{"axes", std::vector<int64_t>{-1}},
                                                          {"keepdims", keep}};
  ir::Value* r;
  if (std::isinf(p) && p > 0) {
    r = ctx.op("ReduceMax", {mag}, over_last);
  } else if (p == 1.0) {
    r = ctx.op("ReduceSum", {mag}, over_last);
  } else if (p == 2.0) {
    r = ctx.op("Sqrt", {ctx.op("ReduceSum", {ctx.op("Mul", {diff, diff})}, over_last)});
  } else if (p > 0) {
    ir::Value* powered = ctx.op("Pow", {mag, ctx.scalar(p, dt)});
    r = ctx.op("Pow", {ctx.op("ReduceSum", {powered}, over_last), ctx.scalar(1.0 / p, dt)});
  } else {
    throw Error(ExitCode::kUnsupportedOps,
                "aten::pairwise_distance with p=" + std::to_string(p) + " (only p > 0)");
  }
  bind_output(ctx, node, r);
}

}  // namespace

std::vector<OpRule> sampling_rules() {
  std::vector<OpRule> rows;
  rows.push_back({"aten::grid_sampler", translate_grid_sampler,
                  "GridSample (opset 16+); OpenVINO GridSample-9"});
  rows.push_back({"aten::grid_sampler_2d", translate_grid_sampler,
                  "GridSample (opset 16+); OpenVINO GridSample-9"});
  rows.push_back({"aten::affine_grid_generator", translate_affine_grid,
                  "MatMul(constant base grid, Transpose(theta)) + Reshape"});
  rows.push_back({"aten::im2col", translate_im2col, "Conv (one-hot kernel, group=C) + Reshape"});
  rows.push_back({"aten::col2im", translate_col2im, "Reshape + ConvTranspose (one-hot kernel)"});
  rows.push_back(
      {"aten::channel_shuffle", translate_channel_shuffle, "Reshape + Transpose + Reshape"});
  rows.push_back(
      {"aten::native_channel_shuffle", translate_channel_shuffle, "Reshape + Transpose + Reshape"});
  rows.push_back({"aten::pairwise_distance", translate_pairwise_distance,
                  "Sub/Add + ReduceSum/ReduceMax (+ Sqrt / Pow)"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
