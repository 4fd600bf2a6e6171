// Interpolate-11 (and Interpolate-4's data, sizes, scales, axes) -> ONNX Resize. Interpolate
// resizes only the axes it is given; Resize takes every axis, so the others keep their size
// (scale 1). Modes: nearest, linear_onnx -> linear, cubic; pads must be zero.
#include <algorithm>

#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {
namespace {

std::string resize_mode(Reader& r, const LayerDesc& l) {
  const std::string mode = r.required(l, "mode");
  if (mode == "nearest") return "nearest";
  if (mode == "linear_onnx") return "linear";
  if (mode == "cubic") return "cubic";
  throw r.unsupported(l, "mode " + mode);
}

}  // namespace

void rule_interpolate(Reader& r, const LayerDesc& l) {
  const std::vector<int64_t>& in = r.in_dims(l, 0);
  const int64_t rank = static_cast<int64_t>(in.size());
  for (const char* pad : {"pads_begin", "pads_end"})
    for (int64_t p : r.ints_attr(l, pad))
      if (p != 0) throw r.unsupported(l, std::string("non-zero ") + pad);
  if (r.bool_attr(l, "antialias", false)) throw r.unsupported(l, "antialias");
  const bool v4 = l.version == "opset4";
  const bool by_sizes = r.required(l, "shape_calculation_mode") == "sizes";
  // Interpolate-4: (data, sizes, scales[, axes]); Interpolate-11: (data, sizes_or_scales[, axes]).
  const size_t target_port = v4 && !by_sizes ? 2 : 1;
  const size_t axes_port = v4 ? 3 : 2;
  std::vector<int64_t> axes;
  if (r.input_count(l) > axes_port) {
    axes = r.const_ints(l, axes_port, "axes");
  } else {
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  }
  for (int64_t& a : axes) a = a < 0 ? a + rank : a;

  std::map<std::string, ir::Attribute> attrs = {
      {"mode", resize_mode(r, l)},
      {"coordinate_transformation_mode", r.attr(l, "coordinate_transformation_mode", "half_pixel")},
      {"nearest_mode", r.attr(l, "nearest_mode", "round_prefer_floor")},
      {"cubic_coeff_a", r.float_attr(l, "cube_coeff", -0.75)}};
  ir::Value* x = r.input(l, 0);
  ir::Value* sizes_input = nullptr;
  if (by_sizes) {
    const ir::Tensor* given = r.const_input(l, target_port);
    const bool static_dims = std::all_of(in.begin(), in.end(), [](int64_t d) { return d >= 0; });
    if (given && static_dims) {
      std::vector<int64_t> sizes = in;
      const std::vector<int64_t> values = given->to_int_vector();
      if (values.size() != axes.size()) throw r.malformed(l, "sizes and axes differ in length");
      for (size_t k = 0; k < axes.size(); ++k) sizes.at(static_cast<size_t>(axes[k])) = values[k];
      attrs["sizes"] = sizes;
    } else {
      // Shape(x) with the resized axes replaced: ScatterElements of the given sizes.
      ir::Value* shape = r.helper(l, "Shape", {x}, ir::DType::Int64, ir::fixed_shape({rank}));
      ir::Value* target = r.input(l, target_port);
      if (target->dtype != ir::DType::Int64)
        target = r.helper(l, "Cast", {target}, ir::DType::Int64, target->shape,
                          {{"to", static_cast<int64_t>(ir::DType::Int64)}});
      ir::Value* where = r.constant(ir::Tensor::vector_int64(axes), "interpolate_axes");
      sizes_input = r.helper(l, "ScatterElements", {shape, where, target}, ir::DType::Int64,
                             ir::fixed_shape({rank}), {{"axis", int64_t{0}}});
    }
  } else {
    const ir::Tensor* given = r.const_input(l, target_port);
    if (!given) throw r.unsupported(l, "scales computed at run time");
    std::vector<double> scales(static_cast<size_t>(rank), 1.0);
    const std::vector<double> values = given->to_double_vector();
    if (values.size() != axes.size()) throw r.malformed(l, "scales and axes differ in length");
    for (size_t k = 0; k < axes.size(); ++k) scales.at(static_cast<size_t>(axes[k])) = values[k];
    attrs["scales"] = scales;
  }
  std::vector<ir::Value*> inputs = {x};
  if (sizes_input) inputs = {x, nullptr, nullptr, sizes_input};
  r.set_output(l, 0, r.node(l, "Resize", inputs, attrs)->outputs[0]);
}

}  // namespace mlexport::frontend::openvino_ir
