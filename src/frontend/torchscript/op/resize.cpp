// Padding, pixel (un)shuffle and interpolation.
#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>

#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::torchscript {
namespace {

using ir::DType;

constexpr int64_t kToEnd = std::numeric_limits<int64_t>::max();

ir::Value* slice_axis(TranslateContext& ctx, ir::Value* x, int64_t axis, int64_t start,
                      int64_t end) {
  return typed(ctx.op("Slice", {x, ctx.int64_vector({start}), ctx.int64_vector({end}),
                                ctx.int64_vector({axis})}),
               x->dtype);
}

// torch pads list the last dim first, (begin, end) per dim; ONNX wants every dim's begins,
// then every dim's ends.
std::vector<int64_t> onnx_pads(const std::vector<int64_t>& torch_pads, int64_t rank) {
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  for (size_t i = 0; 2 * i + 1 < torch_pads.size(); ++i) {
    const int64_t d = rank - 1 - static_cast<int64_t>(i);
    if (d < 0) break;
    pads[static_cast<size_t>(d)] = torch_pads[2 * i];
    pads[static_cast<size_t>(d + rank)] = torch_pads[2 * i + 1];
  }
  return pads;
}

// Pad with ONNX pads that may be negative: the positive part pads, the negative part crops.
ir::Value* pad_or_crop(TranslateContext& ctx, ir::Value* x, const std::vector<int64_t>& pads,
                       int64_t rank, const std::string& mode, double value) {
  std::vector<int64_t> grow(pads.size());
  bool any_grow = false;
  for (size_t k = 0; k < pads.size(); ++k) {
    grow[k] = std::max<int64_t>(pads[k], 0);
    any_grow = any_grow || grow[k] > 0;
  }
  if (any_grow) {
    std::map<std::string, ir::Attribute> attrs = {{"mode", mode}, {"pads", grow}};
    if (mode == "constant") attrs["value"] = value;
    x = typed(ctx.op("Pad", {x}, std::move(attrs)), x->dtype);
  }
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t begin = pads[static_cast<size_t>(d)];
    const int64_t end = pads[static_cast<size_t>(d + rank)];
    if (begin >= 0 && end >= 0) continue;
    x = slice_axis(ctx, x, d, begin < 0 ? -begin : 0, end < 0 ? end : kToEnd);
  }
  return x;
}

// Circular padding: each padded dim gets its own tail in front and its head behind.
ir::Value* pad_circular(TranslateContext& ctx, ir::Value* x, const std::vector<int64_t>& pads,
                        int64_t rank) {
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t begin = pads[static_cast<size_t>(d)];
    const int64_t end = pads[static_cast<size_t>(d + rank)];
    if (begin == 0 && end == 0) continue;
    if (begin < 0 || end < 0)
      throw Error(ExitCode::kUnsupportedOps, "negative circular padding is not supported");
    std::vector<ir::Value*> parts;
    if (begin > 0) parts.push_back(slice_axis(ctx, x, d, -begin, kToEnd));
    parts.push_back(x);
    if (end > 0) parts.push_back(slice_axis(ctx, x, d, 0, end));
    x = typed(ctx.op("Concat", parts, {{"axis", d}}), x->dtype);
  }
  return x;
}

// aten::constant_pad_nd(Tensor self, int[] pad, Scalar value=0) -> Tensor
void translate_constant_pad(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  const auto pads = onnx_pads(ctx.const_ints(node->input(1)), rank);
  const double value = node->inputs().size() > 2 ? ctx.const_double(node->input(2)) : 0.0;
  ctx.bind(node->output(),
           pad_or_crop(ctx, ctx.tensor(node->input(0)), pads, rank, "constant", value));
}

// aten::reflection_pad1d/2d/3d(Tensor self, int[] padding) -> Tensor
// aten::replication_pad1d/2d/3d(Tensor self, int[] padding) -> Tensor
void translate_mode_pad(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const std::string mode = kind.starts_with("aten::reflection") ? "reflect" : "edge";
  const int64_t rank = ctx.rank(node->input(0));
  const auto pads = onnx_pads(ctx.const_ints(node->input(1)), rank);
  ctx.bind(node->output(), pad_or_crop(ctx, ctx.tensor(node->input(0)), pads, rank, mode, 0.0));
}

// aten::pad(Tensor self, int[] pad, str mode="constant", float? value=None) -> Tensor
// aten::_pad_circular(Tensor self, int[] pad) -> Tensor
void translate_pad(TranslateContext& ctx, const JitNode* node) {
  const int64_t rank = ctx.rank(node->input(0));
  const auto pads = onnx_pads(ctx.const_ints(node->input(1)), rank);
  ir::Value* x = ctx.tensor(node->input(0));
  std::string mode = "circular";
  if (std::string_view(node->kind().toQualString()) == "aten::pad")
    mode = ctx.const_string(node->input(2));
  if (mode == "circular") return ctx.bind(node->output(), pad_circular(ctx, x, pads, rank));
  double value = 0.0;
  if (node->inputs().size() > 3 && !ctx.is_none(node->input(3)))
    value = ctx.const_double(node->input(3));
  const std::string onnx_mode = mode == "constant"    ? "constant"
                                : mode == "reflect"   ? "reflect"
                                : mode == "replicate" ? "edge"
                                                      : "";
  if (onnx_mode.empty())
    throw Error(ExitCode::kUnsupportedOps, "aten::pad mode \"" + mode + "\" is not supported");
  ctx.bind(node->output(), pad_or_crop(ctx, x, pads, rank, onnx_mode, value));
}

// aten::pixel_shuffle(Tensor self, int upscale_factor) -> Tensor
// [.., C*r*r, H, W] -> [.., C, H*r, W*r]: DepthToSpace in CRD order for 4-D inputs.
void translate_pixel_shuffle(TranslateContext& ctx, const JitNode* node) {
  const int64_t r = ctx.const_int(node->input(1));
  ir::Value* x = ctx.tensor(node->input(0));
  if (ctx.rank(node->input(0)) != 4)
    throw Error(ExitCode::kUnsupportedOps, "aten::pixel_shuffle of a non-4-D tensor");
  ctx.bind(node->output(),
           ctx.op("DepthToSpace", {x}, {{"blocksize", r}, {"mode", std::string("CRD")}}));
}

// aten::pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor
// [N, C, H*r, W*r] -> [N, C*r*r, H, W]; SpaceToDepth orders channels differently, so this is
// Reshape/Transpose/Reshape with N copied (Reshape's 0) to keep the batch dynamic.
void translate_pixel_unshuffle(TranslateContext& ctx, const JitNode* node) {
  const int64_t r = ctx.const_int(node->input(1));
  ir::Value* x = ctx.tensor(node->input(0));
  const auto s = ctx.sizes(node->input(0));
  if (s.size() != 4)
    throw Error(ExitCode::kUnsupportedOps, "aten::pixel_unshuffle of a non-4-D tensor");
  const int64_t c = s[1], h = s[2] / r, w = s[3] / r;
  ir::Value* split = typed(ctx.op("Reshape", {x, ctx.int64_vector({0, c, h, r, w, r})}), x->dtype);
  ir::Value* moved = typed(
      ctx.op("Transpose", {split}, {{"perm", std::vector<int64_t>{0, 1, 3, 5, 2, 4}}}), x->dtype);
  ctx.bind(node->output(), ctx.op("Reshape", {moved, ctx.int64_vector({0, c * r * r, h, w})}));
}

// aten::upsample_nearest1d/2d/3d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors)
// aten::upsample_nearest2d(Tensor self, SymInt[2] output_size, float? scales_h=None,
//                          float? scales_w=None)
// aten::upsample_linear1d/bilinear2d/bicubic2d/trilinear3d.vec(Tensor input,
//     SymInt[]? output_size, bool align_corners, float[]? scale_factors)
// aten::upsample_bilinear2d(Tensor self, SymInt[2] output_size, bool align_corners,
//                           float? scales_h=None, float? scales_w=None) ...
// Scale factors become Resize scales (torch maps coordinates with 1/scale, as Resize does);
// otherwise the output size becomes Resize sizes with N and C read from the input's shape.
void translate_upsample(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t spatial = rank - 2;

  std::map<std::string, ir::Attribute> attrs;
  const bool nearest = kind.find("nearest") != std::string_view::npos;
  const bool cubic = kind.find("bicubic") != std::string_view::npos;
  if (nearest) {
    // torch: src = floor(dst * in/out), i.e. asymmetric + floor.
    attrs["mode"] = std::string("nearest");
    attrs["coordinate_transformation_mode"] = std::string("asymmetric");
    attrs["nearest_mode"] = std::string("floor");
  } else {
    const JitValue* ac = arg(node, "align_corners");
    const bool align = ac && ctx.const_bool(ac);
    attrs["mode"] = std::string(cubic ? "cubic" : "linear");
    // torch evaluates (dst + 0.5) * scale - 0.5 for every output size, 1 included: that is
    // half_pixel; pytorch_half_pixel would map a size-1 output to 0 and differ from eager.
    attrs["coordinate_transformation_mode"] = std::string(align ? "align_corners" : "half_pixel");
    if (cubic) attrs["cubic_coeff_a"] = -0.75;
  }

  // Scales: the vec overload's scale_factors, or every one of scales/scales_h/scales_w/...
  std::optional<std::vector<double>> scales;
  if (const JitValue* sf = arg(node, "scale_factors")) {
    // Computed scale factors would be frozen by an attribute: use the output size then.
    if (!ctx.is_none(sf) && ctx.is_static(sf)) scales = ctx.recorded(sf).toDoubleVector();
  } else {
    std::vector<double> found;
    for (const char* name : {"scales", "scales_d", "scales_h", "scales_w"}) {
      const JitValue* v = arg(node, name);
      if (v && !ctx.is_none(v)) found.push_back(ctx.const_double(v));
    }
    if (static_cast<int64_t>(found.size()) == spatial) scales = found;
  }
  if (scales && static_cast<int64_t>(scales->size()) == spatial) {
    std::vector<double> all = {1.0, 1.0};
    all.insert(all.end(), scales->begin(), scales->end());
    attrs["scales"] = all;
    return ctx.bind(node->output(), ctx.op("Resize", {x}, std::move(attrs)));
  }

  const JitValue* size = arg(node, "output_size");
  if (!size || ctx.is_none(size))
    throw Error(ExitCode::kUnsupportedOps, std::string(kind) + " without sizes or scales");
  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  ir::Value* nc =
      typed(ctx.op("Slice", {shape, ctx.int64_vector({0}), ctx.int64_vector({2})}), DType::Int64);
  ir::Value* sizes = typed(
      ctx.op("Concat", {nc, ctx.int_list_tensor(size)}, {{"axis", int64_t{0}}}), DType::Int64);
  ctx.bind(node->output(), ctx.op("Resize", {x, nullptr, nullptr, sizes}, std::move(attrs)));
}

}  // namespace

std::vector<OpRule> resize_rules() {
  std::vector<OpRule> rows;
  rows.push_back({"aten::constant_pad_nd", translate_constant_pad, "Pad (Slice for negative)"});
  for (const char* k :
       {"aten::reflection_pad1d", "aten::reflection_pad2d", "aten::reflection_pad3d"})
    rows.push_back({k, translate_mode_pad, "Pad mode=reflect"});
  for (const char* k :
       {"aten::replication_pad1d", "aten::replication_pad2d", "aten::replication_pad3d"})
    rows.push_back({k, translate_mode_pad, "Pad mode=edge"});
  rows.push_back({"aten::pad", translate_pad, "Pad (constant/reflect/edge) / Slice+Concat"});
  rows.push_back({"aten::_pad_circular", translate_pad, "Slice + Concat"});
  rows.push_back({"aten::pixel_shuffle", translate_pixel_shuffle, "DepthToSpace (CRD)"});
  rows.push_back(
      {"aten::pixel_unshuffle", translate_pixel_unshuffle, "Reshape + Transpose + Reshape"});
  for (const char* k :
       {"aten::upsample_nearest1d", "aten::upsample_nearest2d", "aten::upsample_nearest3d"})
    rows.push_back({k, translate_upsample, "Resize nearest (asymmetric, floor)"});
  for (const char* k :
       {"aten::upsample_linear1d", "aten::upsample_bilinear2d", "aten::upsample_trilinear3d"})
    rows.push_back({k, translate_upsample, "Resize linear (half_pixel / align_corners)"});
  rows.push_back({"aten::upsample_bicubic2d", translate_upsample,
                  "Resize cubic a=-0.75 (half_pixel / align_corners)"});
  return rows;
}

}  // namespace mlexport::torchscript
