// Sampling at computed positions and detection layers: GridSample, RoiAlign, MaxRoiPool,
// NonMaxSuppression.
#include <limits>

#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

namespace {

int64_t dim_or_unknown(const Dims& d, size_t k) {
  return k < d.size() ? d[k] : -1;
}

// A 1-element input of `dtype` (i64 counts, f32 thresholds) from IR input k, or `fallback` when
// the IR leaves it out.
OutRef one_element(const ir::Node& n, Context& ctx, size_t k, ir::DType dtype, double fallback,
                   const std::string& what) {
  if (!n.input(k)) return ctx.scalar(dtype, fallback, n.name + "/" + what, true);
  OutRef v = ctx.in(n, k);
  if (ctx.dtype(v) != dtype) v = ctx.convert(v, dtype, n.name + "/" + what);
  return v;
}

}  // namespace

// GridSample-9: the attributes are ONNX GridSample-16's (and PyTorch's grid_sample's), value for
// value.
void translate_grid_sample(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0), grid = ctx.in(n, 1);
  const Dims& xd = ctx.dims(x);
  const Dims& gd = ctx.dims(grid);
  if (xd.size() != 4) throw unsupported_variant(n, "on a non-4-D input");
  const std::string mode = n.s("mode", "bilinear");
  const std::string padding = n.s("padding_mode", "zeros");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    throw unsupported_variant(n, "with mode " + mode);
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    throw unsupported_variant(n, "with padding_mode " + padding);
  Dims out = {xd[0], xd[1], dim_or_unknown(gd, 1), dim_or_unknown(gd, 2)};
  ctx.bind_output(n, ctx.b.add1("GridSample", "opset9", n.name, {x, grid},
                                {{"align_corners", bool_attr(n.i("align_corners", 0) != 0)},
                                 {"mode", mode},
                                 {"padding_mode", padding}},
                                ctx.dtype(x), out));
}

// ROIAlign-9. ONNX's output_half_pixel (torchvision aligned=False: no shift, boxes at least 1 x 1)
// is aligned_mode asymmetric; ONNX's half_pixel (x * scale - 0.5, no minimum size) is
// half_pixel_for_nn. OpenVINO's own half_pixel ((x + 0.5) * scale - 0.5) is not used.
// mode=max is refused: ONNX Runtime's max takes the largest weighted sample, which the
// OpenVINO specification does not describe.
void translate_roi_align(const ir::Node& n, Context& ctx) {
  const std::string mode = n.s("mode", "avg");
  if (mode != "avg") throw unsupported_variant(n, "with mode " + mode);
  const std::string ctm = n.s("coordinate_transformation_mode", "half_pixel");
  std::string aligned;
  if (ctm == "output_half_pixel")
    aligned = "asymmetric";
  else if (ctm == "half_pixel")
    aligned = "half_pixel_for_nn";
  else
    throw unsupported_variant(n, "with coordinate_transformation_mode " + ctm);
  OutRef x = ctx.in(n, 0), rois = ctx.in(n, 1), batch = ctx.in(n, 2);
  const int64_t oh = n.i("output_height", 1), ow = n.i("output_width", 1);
  Dims out = {dim_or_unknown(ctx.dims(rois), 0), dim_or_unknown(ctx.dims(x), 1), oh, ow};
  ctx.bind_output(n, ctx.b.add1("ROIAlign", "opset9", n.name, {x, rois, batch},
                                {{"pooled_h", std::to_string(oh)},
                                 {"pooled_w", std::to_string(ow)},
                                 {"sampling_ratio", std::to_string(n.i("sampling_ratio", 0))},
                                 {"spatial_scale", float_attr(n.f("spatial_scale", 1.0))},
                                 {"mode", "avg"},
                                 {"aligned_mode", aligned}},
                                ctx.dtype(x), out));
}

// ROIPooling-2 method=max: rois [K, 5] as (batch index, x1, y1, x2, y2), corners rounded after
// scaling and bins of floor/ceil bounds, as ONNX MaxRoiPool.
void translate_max_roi_pool(const ir::Node& n, Context& ctx) {
  std::vector<int64_t> pooled = n.ints("pooled_shape");
  if (pooled.size() != 2) throw unsupported_variant(n, "without a 2-element pooled_shape");
  OutRef x = ctx.in(n, 0), rois = ctx.in(n, 1);
  Dims out = {dim_or_unknown(ctx.dims(rois), 0), dim_or_unknown(ctx.dims(x), 1), pooled[0],
              pooled[1]};
  ctx.bind_output(n, ctx.b.add1("ROIPooling", "opset2", n.name, {x, rois},
                                {{"pooled_h", std::to_string(pooled[0])},
                                 {"pooled_w", std::to_string(pooled[1])},
                                 {"spatial_scale", float_attr(n.f("spatial_scale", 1.0))},
                                 {"method", "max"}},
                                ctx.dtype(x), out));
}

// NonMaxSuppression-9. ONNX's selected_indices holds exactly the selected boxes, ordered by
// batch, class, then decreasing score. NMS-9 with sort_result_descending=false keeps that order
// (it only sorts across batches when true); its selected_indices may be padded with -1 rows up
// to the upper bound on plugins without dynamic shapes, so the rows are cut to its third output,
// valid_outputs, with a Slice. ONNX without a score threshold keeps every box while NMS-9's
// default threshold is 0, so an absent threshold is written as the lowest float.
void translate_non_max_suppression(const ir::Node& n, Context& ctx) {
  OutRef boxes = ctx.in(n, 0), scores = ctx.in(n, 1);
  if (ctx.dtype(boxes) != ir::DType::Float32 || ctx.dtype(scores) != ir::DType::Float32)
    throw unsupported_variant(n, "on non-float32 boxes or scores");
  OutRef max_out = one_element(n, ctx, 2, ir::DType::Int64, 0.0, "max_output_boxes_per_class");
  OutRef iou = one_element(n, ctx, 3, ir::DType::Float32, 0.0, "iou_threshold");
  OutRef score =
      one_element(n, ctx, 4, ir::DType::Float32,
                  static_cast<double>(std::numeric_limits<float>::lowest()), "score_threshold");
  auto outs = ctx.b.add("NonMaxSuppression", "opset9", n.name + "/nms",
                        {boxes, scores, max_out, iou, score},
                        {{"box_encoding", n.i("center_point_box", 0) ? "center" : "corner"},
                         {"sort_result_descending", bool_attr(false)},
                         {"output_type", "i64"}},
                        {{ir::DType::Int64, {-1, 3}, ""},
                         {ir::DType::Float32, {-1, 3}, ""},
                         {ir::DType::Int64, {1}, ""}});
  OutRef start = ctx.i64s({0}, n.name + "/start");
  OutRef step = ctx.i64s({1}, n.name + "/step");
  OutRef axes = ctx.i64s({0}, n.name + "/axes");
  ctx.bind_output(n, ctx.b.add1("Slice", "opset8", n.name, {outs[0], start, outs[2], step, axes},
                                {}, ir::DType::Int64, {-1, 3}));
}

}  // namespace mlexport::emit::openvino
