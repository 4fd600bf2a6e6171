// Padding, pixel (un)shuffle and interpolation.
#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>

#include "frontend/torchscript/op/helpers.h"
#include "frontend/torchscript/op/linear_resize.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
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

// Pads that the model computes from the input's shape (Swin pads H and W up to a multiple of
// its window): the torch list [last_begin, last_end, prev_begin, ...] is rearranged into ONNX
// order in the graph with one Gather; dims the list does not name take the appended 0.
ir::Value* computed_onnx_pads(TranslateContext& ctx, const JitValue* pad_list, int64_t rank) {
  const int64_t given = static_cast<int64_t>(ctx.recorded(pad_list).toIntVector().size());
  ir::Value* torch_pads = ctx.int_list_tensor(pad_list);
  ir::Value* with_zero = typed(
      ctx.op("Concat", {torch_pads, ctx.int64_vector({0})}, {{"axis", int64_t{0}}}), DType::Int64);
  std::vector<int64_t> pick(static_cast<size_t>(2 * rank), given);  // `given` = the zero
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t i = rank - 1 - d;  // torch's pair index of dim d
    if (2 * i + 1 < given) {
      pick[static_cast<size_t>(d)] = 2 * i;
      pick[static_cast<size_t>(d + rank)] = 2 * i + 1;
    }
  }
  return typed(ctx.op("Gather", {with_zero, ctx.int64_vector(pick)}, {{"axis", int64_t{0}}}),
               DType::Int64);
}

// Pad with pads computed in the graph (ONNX Pad takes them as an input; negative ones crop).
ir::Value* pad_computed(TranslateContext& ctx, ir::Value* x, const JitValue* pad_list, int64_t rank,
                        const std::string& mode, double value) {
  ir::Value* pads = computed_onnx_pads(ctx, pad_list, rank);
  std::map<std::string, ir::Attribute> attrs = {{"mode", mode}};
  std::vector<ir::Value*> inputs = {x, pads};
  if (mode == "constant") inputs.push_back(ctx.scalar(value, x->dtype));
  return typed(ctx.op("Pad", inputs, std::move(attrs)), x->dtype);
}

// One padding in any mode, with static or computed amounts.
ir::Value* pad_any(TranslateContext& ctx, const JitNode* node, const JitValue* pad_list,
                   const std::string& mode, double value) {
  const int64_t rank = ctx.rank(node->input(0));
  ir::Value* x = ctx.tensor(node->input(0));
  if (!ctx.is_static(pad_list)) {
    if (mode == "circular")
      throw Error(ExitCode::kUnsupportedOps,
                  "circular padding by amounts computed from the input is not supported");
    return pad_computed(ctx, x, pad_list, rank, mode, value);
  }
  const auto pads = onnx_pads(ctx.const_ints(pad_list), rank);
  if (mode == "circular") return pad_circular(ctx, x, pads, rank);
  return pad_or_crop(ctx, x, pads, rank, mode, value);
}

// aten::constant_pad_nd(Tensor self, int[] pad, Scalar value=0) -> Tensor
void translate_constant_pad(TranslateContext& ctx, const JitNode* node) {
  const double value = node->inputs().size() > 2 ? ctx.const_double(node->input(2)) : 0.0;
  ctx.bind(node->output(), pad_any(ctx, node, node->input(1), "constant", value));
}

// aten::reflection_pad1d/2d/3d(Tensor self, int[] padding) -> Tensor
// aten::replication_pad1d/2d/3d(Tensor self, int[] padding) -> Tensor
void translate_mode_pad(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const std::string mode = kind.starts_with("aten::reflection") ? "reflect" : "edge";
  ctx.bind(node->output(), pad_any(ctx, node, node->input(1), mode, 0.0));
}

// aten::pad(Tensor self, int[] pad, str mode="constant", float? value=None) -> Tensor
// aten::_pad_circular(Tensor self, int[] pad) -> Tensor
void translate_pad(TranslateContext& ctx, const JitNode* node) {
  std::string mode = "circular";
  if (std::string_view(node->kind().toQualString()) == "aten::pad")
    mode = ctx.const_string(node->input(2));
  double value = 0.0;
  if (mode != "circular" && node->inputs().size() > 3 && !ctx.is_none(node->input(3)))
    value = ctx.const_double(node->input(3));
  const std::string onnx_mode = mode == "constant"    ? "constant"
                                : mode == "reflect"   ? "reflect"
                                : mode == "replicate" ? "edge"
                                : mode == "circular"  ? "circular"
                                                      : "";
  if (onnx_mode.empty())
    throw Error(ExitCode::kUnsupportedOps, "aten::pad mode \"" + mode + "\" is not supported");
  ctx.bind(node->output(), pad_any(ctx, node, node->input(1), onnx_mode, value));
}

// [lead..., a, b, c] -> [-1, a, b, c] (one batch axis for DepthToSpace and friends) and back:
// the leading sizes are read from the input's shape so a dynamic batch stays dynamic.
ir::Value* leading_shape(TranslateContext& ctx, ir::Value* x, int64_t lead) {
  ir::Value* shape = typed(ctx.op("Shape", {x}), DType::Int64);
  return typed(ctx.op("Slice", {shape, ctx.int64_vector({0}), ctx.int64_vector({lead})}),
               DType::Int64);
}
ir::Value* with_leading(TranslateContext& ctx, ir::Value* lead_shape,
                        const std::vector<int64_t>& tail) {
  return typed(ctx.op("Concat", {lead_shape, ctx.int64_vector(tail)}, {{"axis", int64_t{0}}}),
               DType::Int64);
}

// aten::pixel_shuffle(Tensor self, int upscale_factor) -> Tensor
// [.., C*r*r, H, W] -> [.., C, H*r, W*r]: DepthToSpace in CRD order on a 4-D view; other ranks
// fold their leading dims into one batch axis and unfold them after.
void translate_pixel_shuffle(TranslateContext& ctx, const JitNode* node) {
  const int64_t r = ctx.const_int(node->input(1));
  ir::Value* x = ctx.tensor(node->input(0));
  const auto s = ctx.sizes(node->input(0));
  const int64_t rank = static_cast<int64_t>(s.size());
  const int64_t c = s[rank - 3], h = s[rank - 2], w = s[rank - 1];
  ir::Value* x4 = x;
  if (rank != 4) x4 = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1, c, h, w})}), x->dtype);
  ir::Value* y = typed(
      ctx.op("DepthToSpace", {x4}, {{"blocksize", r}, {"mode", std::string("CRD")}}), x->dtype);
  if (rank != 4)
    y = ctx.op("Reshape", {y, with_leading(ctx, leading_shape(ctx, x, rank - 3),
                                           {c / (r * r), h * r, w * r})});
  ctx.bind(node->output(), y);
}

// aten::pixel_unshuffle(Tensor self, int downscale_factor) -> Tensor
// [.., C, H*r, W*r] -> [.., C*r*r, H, W]; SpaceToDepth orders channels differently, so this is
// Reshape/Transpose/Reshape on a 4-D view whose batch is copied (Reshape's 0) to stay dynamic.
void translate_pixel_unshuffle(TranslateContext& ctx, const JitNode* node) {
  const int64_t r = ctx.const_int(node->input(1));
  ir::Value* x = ctx.tensor(node->input(0));
  const auto s = ctx.sizes(node->input(0));
  const int64_t rank = static_cast<int64_t>(s.size());
  const int64_t c = s[rank - 3], h = s[rank - 2] / r, w = s[rank - 1] / r;
  ir::Value* x4 = x;
  if (rank != 4)
    x4 = typed(ctx.op("Reshape", {x, ctx.int64_vector({-1, c, h * r, w * r})}), x->dtype);
  ir::Value* split = typed(ctx.op("Reshape", {x4, ctx.int64_vector({0, c, h, r, w, r})}), x->dtype);
  ir::Value* moved = typed(
      ctx.op("Transpose", {split}, {{"perm", std::vector<int64_t>{0, 1, 3, 5, 2, 4}}}), x->dtype);
  ir::Value* y =
      typed(ctx.op("Reshape", {moved, ctx.int64_vector({0, c * r * r, h, w})}), x->dtype);
  if (rank != 4)
    y = ctx.op("Reshape",
               {y, with_leading(ctx, leading_shape(ctx, x, rank - 3), {c * r * r, h, w})});
  ctx.bind(node->output(), y);
}

// The per-axis scale factors a node carries, or nullopt per axis when it has none (then PyTorch
// maps coordinates with input/output size). Computed scale factors count as absent: the recorded
// output size says the same for the fixed spatial sizes of an export.
std::vector<std::optional<double>> axis_scales(TranslateContext& ctx, const JitNode* node,
                                               int64_t spatial) {
  std::vector<std::optional<double>> scales(static_cast<size_t>(spatial));
  if (const JitValue* sf = arg(node, "scale_factors")) {
    if (!ctx.is_none(sf) && ctx.is_static(sf)) {
      const auto values = ctx.recorded(sf).toDoubleVector();
      for (size_t d = 0; d < scales.size() && d < values.size(); ++d) scales[d] = values[d];
    }
    return scales;
  }
  std::vector<std::optional<double>> found;
  for (const char* name : {"scales", "scales_d", "scales_h", "scales_w"}) {
    const JitValue* v = arg(node, name);
    if (!v) continue;
    found.push_back(ctx.is_none(v) || !ctx.is_static(v) ? std::nullopt
                                                        : std::optional(ctx.const_double(v)));
  }
  if (static_cast<int64_t>(found.size()) == spatial) scales = found;
  return scales;
}

// Which input element each output element of one axis reads, as PyTorch computes it: the 1-D
// kernel is run on a ramp 0..in-1, so the rule (float arithmetic included) is LibTorch's own.
std::vector<int64_t> nearest_sources(bool exact, int64_t in, int64_t out,
                                     std::optional<double> scale) {
  at::Tensor ramp = at::arange(in, at::kFloat).view({1, 1, in});
  const c10::optional<double> torch_scale =
      scale ? c10::optional<double>(*scale) : c10::optional<double>();
  const std::vector<int64_t> size = {out};
  at::Tensor picked = exact ? at::_upsample_nearest_exact1d(ramp, size, torch_scale)
                            : at::upsample_nearest1d(ramp, size, torch_scale);
  at::Tensor idx = picked.flatten().to(at::kLong).contiguous();
  return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
}

// aten::upsample_nearest1d/2d/3d.vec(Tensor input, SymInt[]? output_size, float[]? scale_factors)
// aten::upsample_nearest2d(Tensor self, SymInt[2] output_size, float? scales_h=None,
//                          float? scales_w=None) ...
// aten::_upsample_nearest_exact1d/2d/3d(.vec) (same arguments)
// Resize computes source coordinates in its own float arithmetic, which rounds differently
// from PyTorch's floor(dst * (float)(1/scale)) for some scales (0.6: dst 9 reads 15, PyTorch
// reads 14). Integer upscales agree exactly and stay one Resize; every other axis becomes a
// Gather of the source indices LibTorch itself picks.
void translate_upsample_nearest(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  const bool exact = kind.find("exact") != std::string_view::npos;
  ir::Value* x = ctx.tensor(node->input(0));
  const auto in_sizes = ctx.sizes(node->input(0));
  const auto out_sizes = ctx.sizes(node->output());
  const int64_t rank = static_cast<int64_t>(in_sizes.size());
  const int64_t spatial = rank - 2;
  const auto scales = axis_scales(ctx, node, spatial);

  std::vector<double> resize_scales = {1.0, 1.0};
  std::vector<std::pair<int64_t, std::vector<int64_t>>> gathers;
  for (int64_t d = 0; d < spatial; ++d) {
    const int64_t axis = 2 + d;
    const int64_t in = in_sizes[static_cast<size_t>(axis)];
    const int64_t out = out_sizes[static_cast<size_t>(axis)];
    const auto sources = nearest_sources(exact, in, out, scales[static_cast<size_t>(d)]);
    bool integer_upscale = out % in == 0;
    for (int64_t i = 0; integer_upscale && i < out; ++i)
      integer_upscale = sources[static_cast<size_t>(i)] == i / (out / in);
    if (integer_upscale) {
      resize_scales.push_back(static_cast<double>(out / in));
    } else {
      resize_scales.push_back(1.0);
      gathers.emplace_back(axis, sources);
    }
  }
  ir::Value* y = x;
  bool any_resize = false;
  for (double s : resize_scales) any_resize = any_resize || s != 1.0;
  if (any_resize) {
    // An integer upscale k reads source floor(dst / k) under both of PyTorch's rules, which is
    // Resize's asymmetric + floor.
    y = typed(ctx.op("Resize", {y},
                     {{"mode", std::string("nearest")},
                      {"coordinate_transformation_mode", std::string("asymmetric")},
                      {"nearest_mode", std::string("floor")},
                      {"scales", resize_scales}}),
              x->dtype);
    if (x->shape) {  // the batch and channel dims as x has them, the upscaled ones fixed
      ir::Shape shape = *x->shape;
      for (int64_t d = 0; d < spatial; ++d)
        if (resize_scales[static_cast<size_t>(2 + d)] != 1.0)
          shape[static_cast<size_t>(2 + d)] =
              ir::Dim::fixed(in_sizes[static_cast<size_t>(2 + d)] *
                             static_cast<int64_t>(resize_scales[static_cast<size_t>(2 + d)]));
      y->shape = shape;
    }
  }
  for (const auto& [axis, sources] : gathers)
    y = typed(ctx.op("Gather", {y, ctx.int64_vector(sources)}, {{"axis", axis}}), x->dtype);
  if (y == x) y = typed(ctx.op("Identity", {x}), x->dtype);
  ctx.bind(node->output(), y);
}

// Whether the recorded sizes of a resize are its sizes in the exported graph: an export with no
// dynamic axes at all, outside loop bodies (whose sizes may change per iteration). Named dynamic
// axes are applied after the import, so any dynamic export computes the sizes.
bool sizes_fixed(TranslateContext& ctx) {
  return !ctx.dynamic_batch && !ctx.in_subgraph();
}

// aten::upsample_linear1d/bilinear2d/bicubic2d/trilinear3d.vec(Tensor input,
//     SymInt[]? output_size, bool align_corners, float[]? scale_factors)
// aten::upsample_bilinear2d(Tensor self, SymInt[2] output_size, bool align_corners,
//                           float? scales_h=None, float? scales_w=None) ...
// Linear modes (float32/float64) gather with PyTorch's own indices and weights (linear_resize.h):
// constants when the export's sizes are all fixed, else computed in the graph. Bicubic (and
// other dtypes) become Resize: scale factors as Resize scales (torch maps coordinates with
// 1/scale, as Resize does), otherwise the output size as Resize sizes with N and C read from the
// input's shape.
void translate_upsample(TranslateContext& ctx, const JitNode* node) {
  std::string_view kind = node->kind().toQualString();
  ir::Value* x = ctx.tensor(node->input(0));
  const int64_t rank = ctx.rank(node->input(0));
  const int64_t spatial = rank - 2;

  std::map<std::string, ir::Attribute> attrs;
  const bool cubic = kind.find("bicubic") != std::string_view::npos;
  const JitValue* ac = arg(node, "align_corners");
  const bool align = ac && ctx.const_bool(ac);
  attrs["mode"] = std::string(cubic ? "cubic" : "linear");
  // torch evaluates (dst + 0.5) * scale - 0.5 for every output size, 1 included: that is
  // half_pixel; pytorch_half_pixel would map a size-1 output to 0 and differ from eager.
  attrs["coordinate_transformation_mode"] = std::string(align ? "align_corners" : "half_pixel");
  if (cubic) attrs["cubic_coeff_a"] = -0.75;

  const auto scales = axis_scales(ctx, node, spatial);
  bool all_scales = true;
  for (const auto& s : scales) all_scales = all_scales && s.has_value();
  const JitValue* size = arg(node, "output_size");
  const bool has_size = size && !ctx.is_none(size);
  if (!cubic && (x->dtype == DType::Float32 || x->dtype == DType::Float64)) {
    std::vector<LinearAxis> axes;
    const auto in_sizes = ctx.sizes(node->input(0));
    const auto out_sizes = ctx.sizes(node->output());
    const bool fixed = sizes_fixed(ctx) && !ctx.is_data_dependent(node->input(0)) &&
                       !(has_size && ctx.is_data_dependent(size));
    ir::Value* shape = fixed ? nullptr : typed(ctx.op("Shape", {x}), DType::Int64);
    ir::Value* sizes = fixed || !has_size ? nullptr : ctx.int_list_tensor(size);
    for (int64_t d = 0; d < spatial; ++d) {
      LinearAxis a;
      a.axis = 2 + d;
      a.in = in_sizes[static_cast<size_t>(a.axis)];
      a.out = out_sizes[static_cast<size_t>(a.axis)];
      a.scale = scales[static_cast<size_t>(d)];
      if (!fixed) {
        a.in_size =
            typed(ctx.op("Gather", {shape, ctx.scalar(a.axis, DType::Int64)}), DType::Int64);
        if (sizes) {
          a.out_size = typed(ctx.op("Gather", {sizes, ctx.scalar(d, DType::Int64)}), DType::Int64);
        } else {  // floor(in * scale), in double as PyTorch computes the output size
          ir::Value* in64 = typed(ctx.cast(a.in_size, DType::Float64), DType::Float64);
          ir::Value* scaled =
              typed(ctx.op("Mul", {in64, ctx.scalar(*a.scale, DType::Float64)}), DType::Float64);
          a.out_size =
              typed(ctx.cast(typed(ctx.op("Floor", {scaled}), DType::Float64), DType::Int64),
                    DType::Int64);
        }
      }
      axes.push_back(a);
    }
    if (fixed || sizes || all_scales)
      return ctx.bind(node->output(), pytorch_linear_resize(ctx, x, rank, axes, align));
  }
  if (all_scales) {
    std::vector<double> all = {1.0, 1.0};
    for (const auto& s : scales) all.push_back(*s);
    attrs["scales"] = all;
    return ctx.bind(node->output(), ctx.op("Resize", {x}, std::move(attrs)));
  }

  if (!has_size)
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
    rows.push_back({k, translate_upsample_nearest,
                    "Resize nearest (integer upscales) / Gather of PyTorch's source indices"});
  for (const char* k :
       {"aten::upsample_linear1d", "aten::upsample_bilinear2d", "aten::upsample_trilinear3d"})
    rows.push_back({k, translate_upsample,
                    "Gather + Mul + Add with PyTorch's source indices and weights per axis "
                    "(Resize linear for float16)"});
  rows.push_back({"aten::upsample_bicubic2d", translate_upsample,
                  "Resize cubic a=-0.75 (half_pixel / align_corners)"});
  for (const char* k : {"aten::_upsample_nearest_exact1d", "aten::_upsample_nearest_exact2d",
                        "aten::_upsample_nearest_exact3d"})
    rows.push_back({k, translate_upsample_nearest,
                    "Resize nearest (integer upscales) / Gather of PyTorch's source indices"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
