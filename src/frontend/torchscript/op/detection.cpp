// torchvision's detection operators (registered by its operator library, see
// torchmodel/operator_libraries.h): nms, roi_align, roi_pool. The ONNX forms are NonMaxSuppression,
// RoiAlign and MaxRoiPool (OpenVINO: NonMaxSuppression-9, ROIAlign-9, ROIPooling-2).
#include "frontend/torchscript/op/helpers.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

ir::Value* unsqueeze(TranslateContext& ctx, ir::Value* x, std::vector<int64_t> axes) {
  return typed(ctx.op("Unsqueeze", {x}, {{"axes", std::move(axes)}}), x->dtype);
}

// Dim 0 of a tensor whose length may only be known at run time (boxes after an earlier NMS).
bool leading_dim_unknown(const ir::Value* v) {
  return v->shape && !v->shape->empty() && !(*v->shape)[0].is_fixed();
}

// torchvision::nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor
// The kept indices in decreasing score order. ONNX NonMaxSuppression works per batch and class:
// boxes [1, N, 4], scores [1, 1, N], at most N kept, no score threshold; it accepts any diagonal
// pair of corners, so xyxy boxes need no reordering (IoU does not depend on the axis order).
// ONNX Runtime emits the kept boxes in selection order, which is decreasing score, as torchvision.
// The number kept depends on the data: the output dim is unknown.
void translate_nms(TranslateContext& ctx, const JitNode* node) {
  ir::Value* boxes = ctx.tensor_as(node->input(0), DType::Float32);
  ir::Value* scores = ctx.tensor_as(node->input(1), DType::Float32);
  const double iou = ctx.const_double(node->input(2));
  ir::Value* shape = typed(ctx.op("Shape", {scores}), DType::Int64);
  ir::Value* max_kept =
      typed(ctx.op("Gather", {shape, ctx.int64_vector({0})}, {{"axis", int64_t{0}}}), DType::Int64);
  ir::Value* selected = typed(ctx.op("NonMaxSuppression",
                                     {unsqueeze(ctx, boxes, {0}), unsqueeze(ctx, scores, {0, 1}),
                                      max_kept, float_vector(ctx, {iou}, DType::Float32)},
                                     {{"center_point_box", int64_t{0}}}),
                              DType::Int64);  // [K, 3]: batch, class, box
  selected->shape = ir::Shape{ir::Dim{}, ir::Dim::fixed(3)};
  ir::Value* kept = ctx.op("Gather", {selected, ctx.constant(ir::Tensor::scalar_int64(2))},
                           {{"axis", int64_t{1}}});
  ctx.bind(node->output(), kept);
  kept->shape = ir::Shape{ir::Dim{}};
}

// ONNX's RoI ops take boxes [K, 4] and their image's index apart; torchvision's rois [K, 5] carry
// the index in column 0.
ir::Value* roi_boxes(TranslateContext& ctx, ir::Value* rois) {
  return typed(
      ctx.op("Slice", {rois, ctx.int64_vector({1}), ctx.int64_vector({5}), ctx.int64_vector({1})}),
      rois->dtype);
}

ir::Value* roi_batch_indices(TranslateContext& ctx, ir::Value* rois) {
  ir::Value* column = typed(
      ctx.op("Gather", {rois, ctx.constant(ir::Tensor::scalar_int64(0))}, {{"axis", int64_t{1}}}),
      rois->dtype);
  return ctx.cast(column, DType::Int64);
}

void bind_pooled(TranslateContext& ctx, const JitValue* out, ir::Value* pooled, ir::Value* rois) {
  ctx.bind(out, pooled);
  if (leading_dim_unknown(rois) && pooled->shape && !pooled->shape->empty())
    (*pooled->shape)[0] = ir::Dim{};
}

// torchvision::roi_align(Tensor input, Tensor rois, float spatial_scale, int pooled_height,
//                        int pooled_width, int sampling_ratio, bool aligned) -> Tensor
// ONNX RoiAlign (mode avg, the average of the samples of each bin, as torchvision). aligned=True
// shifts boxes by half a pixel: coordinate_transformation_mode half_pixel, which exists from
// opset 16 (the ONNX writer refuses it below); aligned=False is output_half_pixel, the only
// mapping of older opsets. sampling_ratio <= 0 means adaptive in both (ONNX spells it 0).
void translate_roi_align(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* rois = ctx.tensor_as(node->input(1), x->dtype);
  const int64_t sampling_ratio = ctx.const_int(node->input(5));
  const bool aligned = ctx.const_bool(node->input(6));
  ir::Value* pooled = ctx.op("RoiAlign", {x, roi_boxes(ctx, rois), roi_batch_indices(ctx, rois)},
                             {{"mode", std::string("avg")},
                              {"output_height", ctx.const_int(node->input(3))},
                              {"output_width", ctx.const_int(node->input(4))},
                              {"sampling_ratio", sampling_ratio > 0 ? sampling_ratio : int64_t{0}},
                              {"spatial_scale", ctx.const_double(node->input(2))},
                              {"coordinate_transformation_mode",
                               std::string(aligned ? "half_pixel" : "output_half_pixel")}});
  bind_pooled(ctx, node->output(), pooled, rois);
}

// torchvision::roi_pool(Tensor input, Tensor rois, float spatial_scale, int pooled_height,
//                       int pooled_width) -> (Tensor output, Tensor argmax)
// ONNX MaxRoiPool takes torchvision's rois [K, 5] as they are. argmax (used for the backward
// pass only) has no ONNX form and is left unprovided.
void translate_roi_pool(TranslateContext& ctx, const JitNode* node) {
  ir::Value* x = ctx.tensor(node->input(0));
  ir::Value* rois = ctx.tensor_as(node->input(1), x->dtype);
  ir::Value* pooled = ctx.op("MaxRoiPool", {x, rois},
                             {{"pooled_shape", std::vector<int64_t>{ctx.const_int(node->input(3)),
                                                                    ctx.const_int(node->input(4))}},
                              {"spatial_scale", ctx.const_double(node->input(2))}});
  bind_pooled(ctx, node->output(0), pooled, rois);
}

// aten::_shape_as_tensor(Tensor self) -> Tensor
// torchvision's detection transform reads the image size this way when traced.
void translate_shape_as_tensor(TranslateContext& ctx, const JitNode* node) {
  bind_output(ctx, node, typed(ctx.op("Shape", {ctx.tensor(node->input(0))}), DType::Int64));
}

}  // namespace

std::vector<OpRule> detection_rules() {
  return {
      {"torchvision::nms", translate_nms,
       "NonMaxSuppression (one batch, one class) + Gather of the box index; output length "
       "known at run time only; OpenVINO NonMaxSuppression-9 cut to its valid_outputs"},
      {"torchvision::roi_align", translate_roi_align,
       "RoiAlign mode=avg (aligned=True: coordinate_transformation_mode half_pixel, opset 16+); "
       "OpenVINO ROIAlign-9"},
      {"torchvision::roi_pool", translate_roi_pool,
       "MaxRoiPool (the argmax output is not provided); OpenVINO ROIPooling-2"},
      {"aten::_shape_as_tensor", translate_shape_as_tensor, "Shape"},
  };
}

std::vector<KnownGap> detection_gaps() {
  return {
      {"torchvision::ps_roi_align",
       "position-sensitive RoI align has no ONNX operator: each output channel pools its own "
       "input channel group"},
      {"torchvision::ps_roi_pool",
       "position-sensitive RoI pooling has no ONNX operator: each output channel pools its own "
       "input channel group"},
      {"torchvision::deform_conv2d",
       "ONNX DeformConv needs opset 19 and this exporter writes opsets up to 17"},
  };
}

}  // namespace mlexport::frontend::torchscript
