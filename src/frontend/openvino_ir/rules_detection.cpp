// Scatter, NonZero, grid sampling, RoI and NMS layers and bit shifts -> ONNX-semantics IR nodes.
// Only variants whose OpenVINO semantics have an exact ONNX (opset <= 17) form are read; others
// are refused, so a validation never passes on a guess.
#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

ir::Value* cast_to(Reader& r, const LayerDesc& l, ir::Value* v, ir::DType t) {
  if (v->dtype == t) return v;
  return r.helper(l, "Cast", {v}, t, v->shape, {{"to", static_cast<int64_t>(t)}});
}

// A scalar or 1-element input as the 1-D, 1-element tensor ONNX's NMS takes.
ir::Value* one_element(Reader& r, const LayerDesc& l, size_t k, ir::DType t) {
  ir::Value* v = cast_to(r, l, r.input(l, k), t);
  ir::Value* shape = r.constant(ir::Tensor::vector_int64({1}), "one_element_shape");
  return r.helper(l, "Reshape", {v, shape}, t, ir::fixed_shape({1}));
}

// The layer's first output, made by `v` of dtype int64, in the port's integer type.
void set_index_output(Reader& r, const LayerDesc& l, size_t k, ir::Value* v) {
  ir::DType want = r.port_dtype(l.outputs.at(k));
  r.set_output(l, k, cast_to(r, l, v, want));
}

// OpenVINO reduction name -> ONNX's (opset 16-17 know add and mul only).
std::string onnx_reduction(Reader& r, const LayerDesc& l) {
  const std::string red = r.attr(l, "reduction", "none");
  if (red == "none") return "none";
  if (red == "sum") return "add";
  if (red == "prod") return "mul";
  throw r.unsupported(l, "reduction " + red);
}

}  // namespace

void rule_scatter_nd_update(Reader& r, const LayerDesc& l) {
  const std::string red = onnx_reduction(r, l);
  std::map<std::string, ir::Attribute> attrs;
  if (red != "none") attrs["reduction"] = red;
  ir::Value* idx = cast_to(r, l, r.input(l, 1), ir::DType::Int64);
  r.set_output(l, 0,
               r.node(l, "ScatterND", {r.input(l, 0), idx, r.input(l, 2)}, attrs)->outputs[0]);
}

void rule_scatter_elements_update(Reader& r, const LayerDesc& l) {
  const std::string red = onnx_reduction(r, l);
  if (red != "none" && !r.bool_attr(l, "use_init_val", true))
    throw r.unsupported(l, "use_init_val=false");
  std::map<std::string, ir::Attribute> attrs = {
      {"axis", static_cast<int64_t>(r.const_scalar(l, 3, "axis"))}};
  if (red != "none") attrs["reduction"] = red;
  ir::Value* idx = cast_to(r, l, r.input(l, 1), ir::DType::Int64);
  r.set_output(
      l, 0, r.node(l, "ScatterElements", {r.input(l, 0), idx, r.input(l, 2)}, attrs)->outputs[0]);
}

void rule_non_zero(Reader& r, const LayerDesc& l) {
  ir::Node* n = r.node(l, "NonZero", {r.input(l, 0)});
  n->outputs[0]->dtype = ir::DType::Int64;
  set_index_output(r, l, 0, n->outputs[0]);
}

void rule_grid_sample(Reader& r, const LayerDesc& l) {
  const std::string mode = r.attr(l, "mode", "bilinear");
  const std::string padding = r.attr(l, "padding_mode", "zeros");
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    throw r.unsupported(l, "mode " + mode);
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    throw r.unsupported(l, "padding_mode " + padding);
  r.set_output(l, 0,
               r.node(l, "GridSample", {r.input(l, 0), r.input(l, 1)},
                      {{"mode", mode},
                       {"padding_mode", padding},
                       {"align_corners", int64_t{r.bool_attr(l, "align_corners", false)}}})
                   ->outputs[0]);
}

// ROIAlign-3 has ONNX RoiAlign-10's coordinates (no shift, boxes at least 1 x 1): what -9 calls
// asymmetric, ONNX output_half_pixel. -9's half_pixel_for_nn (x * scale - 0.5, no minimum) is
// ONNX half_pixel; -9's half_pixel ((x + 0.5) * scale - 0.5) has no ONNX form.
void rule_roi_align(Reader& r, const LayerDesc& l) {
  const std::string mode = r.required(l, "mode");
  if (mode != "avg") throw r.unsupported(l, "mode " + mode);
  const std::string aligned =
      l.version == "opset3" ? "asymmetric" : r.attr(l, "aligned_mode", "asymmetric");
  std::string ctm;
  if (aligned == "asymmetric")
    ctm = "output_half_pixel";
  else if (aligned == "half_pixel_for_nn")
    ctm = "half_pixel";
  else
    throw r.unsupported(l, "aligned_mode " + aligned);
  ir::Value* batch = cast_to(r, l, r.input(l, 2), ir::DType::Int64);
  r.set_output(l, 0,
               r.node(l, "RoiAlign", {r.input(l, 0), r.input(l, 1), batch},
                      {{"mode", std::string("avg")},
                       {"output_height", r.required_int(l, "pooled_h")},
                       {"output_width", r.required_int(l, "pooled_w")},
                       {"sampling_ratio", r.required_int(l, "sampling_ratio")},
                       {"spatial_scale", r.required_float(l, "spatial_scale")},
                       {"coordinate_transformation_mode", ctm}})
                   ->outputs[0]);
}

// ROIPooling method=max is ONNX MaxRoiPool: the same rois layout, rounding and bins.
void rule_roi_pooling(Reader& r, const LayerDesc& l) {
  const std::string method = r.attr(l, "method", "max");
  if (method != "max") throw r.unsupported(l, "method " + method);
  r.set_output(l, 0,
               r.node(l, "MaxRoiPool", {r.input(l, 0), r.input(l, 1)},
                      {{"pooled_shape", std::vector<int64_t>{r.required_int(l, "pooled_h"),
                                                             r.required_int(l, "pooled_w")}},
                       {"spatial_scale", r.required_float(l, "spatial_scale")}})
                   ->outputs[0]);
}

// NonMaxSuppression-5/-9: selected_indices [number selected, 3] ordered by batch, class and
// decreasing score when sort_result_descending=false, which is ONNX's order; with true the rows
// are sorted by score across batches and classes, the same order only for one batch and one
// class. valid_outputs is the row count of ONNX's exact-size result. selected_scores has no
// ONNX output and is refused when used; so is Soft-NMS (a sigma other than 0).
void rule_non_max_suppression(Reader& r, const LayerDesc& l) {
  if (l.version != "opset5" && l.version != "opset9")
    throw r.unsupported(l, "this version (its output is padded to a fixed size)");
  if (l.outputs.size() > 1 && r.output_used(l, 1)) throw r.unsupported(l, "selected_scores");
  if (r.input_count(l) > 5 && r.const_scalar(l, 5, "soft_nms_sigma") != 0.0)
    throw r.unsupported(l, "Soft-NMS (soft_nms_sigma != 0)");
  if (r.bool_attr(l, "sort_result_descending", true)) {
    const auto& bd = r.in_dims(l, 0);
    const auto& sd = r.in_dims(l, 1);
    if (bd.size() != 3 || sd.size() != 3 || bd[0] != 1 || sd[1] != 1)
      throw r.unsupported(l, "sort_result_descending=true over more than one batch or class");
  }
  const std::string encoding = r.attr(l, "box_encoding", "corner");
  if (encoding != "corner" && encoding != "center")
    throw r.unsupported(l, "box_encoding " + encoding);
  // Absent inputs take OpenVINO's defaults: no boxes, IoU threshold 0 and score threshold 0
  // (lower scores are dropped, where ONNX without a threshold would keep them).
  auto given_or = [&](size_t k, ir::DType t, double fallback, const std::string& hint) {
    if (r.input_count(l) > k) return one_element(r, l, k, t);
    ir::Tensor v = ir::Tensor::scalar_of(t, fallback);
    v.shape = {1};
    return r.constant(v, hint);
  };
  std::vector<ir::Value*> ins = {r.input(l, 0), r.input(l, 1),
                                 given_or(2, ir::DType::Int64, 0, "nms_max_boxes"),
                                 given_or(3, ir::DType::Float32, 0, "nms_iou_threshold"),
                                 given_or(4, ir::DType::Float32, 0, "nms_score_threshold")};
  ir::Node* n = r.g.add_node("NonMaxSuppression", ins, 1,
                             {{"center_point_box", int64_t{encoding == "center" ? 1 : 0}}});
  n->source = l.name;
  ir::Value* selected = n->outputs[0];
  selected->dtype = ir::DType::Int64;
  selected->shape = ir::Shape{ir::Dim{}, ir::Dim::fixed(3)};
  set_index_output(r, l, 0, selected);
  if (l.outputs.size() > 2 && r.output_used(l, 2)) {
    ir::Value* count = r.helper(l, "Shape", {selected}, ir::DType::Int64, ir::fixed_shape({1}),
                                {{"start", int64_t{0}}, {"end", int64_t{1}}});
    set_index_output(r, l, 2, count);
  }
}

// BitwiseLeftShift/BitwiseRightShift-15 on unsigned integers are ONNX BitShift; ONNX has no
// shift of signed integers.
void rule_bitwise_shift(Reader& r, const LayerDesc& l) {
  const std::string mode = r.attr(l, "auto_broadcast", "numpy");
  if (mode != "numpy" && mode != "none") throw r.unsupported(l, "auto_broadcast=" + mode);
  ir::DType t = r.port_dtype(l.outputs.at(0));
  if (t != ir::DType::UInt8) throw r.unsupported(l, "a shift of " + std::string(ir::dtype_name(t)));
  const std::string direction = l.type == "BitwiseLeftShift" ? "LEFT" : "RIGHT";
  r.set_output(l, 0,
               r.node(l, "BitShift", {r.input(l, 0), r.input(l, 1)}, {{"direction", direction}})
                   ->outputs[0]);
}

}  // namespace mlexport::frontend::openvino_ir
