// Resize -> Interpolate-11 over the spatial axes (2..rank-1). ONNX's Resize takes sizes or scales
// for every axis; Interpolate-11 takes them for the axes it is given, so the batch and channel
// entries are left out (a constant that changes them is refused). Modes: nearest (with ONNX's
// nearest_mode), linear -> linear_onnx, cubic (cube_coeff = cubic_coeff_a); the coordinate
// transformation modes keep their ONNX names, tf_crop_and_resize excepted.
#include <cmath>

#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {
namespace {

std::string interpolate_mode(const ir::Node& n) {
  const std::string mode = n.s("mode", "nearest");
  if (mode == "nearest") return "nearest";
  if (mode == "linear") return "linear_onnx";
  if (mode == "cubic") return "cubic";
  throw unsupported_variant(n, "with mode " + mode);
}

// The spatial entries of a constant per-axis list; the leading (batch, channel) entries must be
// `unchanged` (the input's dims for sizes, 1 for scales).
template <typename T>
std::vector<T> spatial(const ir::Node& n, const std::vector<T>& all,
                       const std::vector<T>& unchanged, const char* what) {
  if (all.size() != unchanged.size() || all.size() < 3)
    throw unsupported_variant(
        n, std::string("with ") + what + " for " + std::to_string(all.size()) + " axes");
  for (size_t k = 0; k < 2; ++k)
    if (unchanged[k] >= 0 && all[k] != unchanged[k])
      throw unsupported_variant(
          n, std::string("that resizes the batch or channel axis (") + what + ")");
  return std::vector<T>(all.begin() + 2, all.end());
}

}  // namespace

void translate_resize(const ir::Node& n, Context& ctx) {
  OutRef x = ctx.in(n, 0);
  const Dims& in = ctx.dims(x);
  const size_t rank = in.size();
  const std::string coordinates = n.s("coordinate_transformation_mode", "half_pixel");
  if (coordinates == "tf_crop_and_resize")
    throw unsupported_variant(n, "with coordinate_transformation_mode tf_crop_and_resize");
  if (n.i("exclude_outside", 0)) throw unsupported_variant(n, "with exclude_outside=1");
  if (n.i("antialias", 0)) throw unsupported_variant(n, "with antialias=1");
  std::vector<int64_t> axes;
  for (size_t k = 2; k < rank; ++k) axes.push_back(static_cast<int64_t>(k));

  OutRef target;
  std::string calculation;
  const ir::Value* sizes = n.input(3);
  const ir::Value* scales = n.input(2);
  if (n.has("sizes") || sizes) {
    calculation = "sizes";
    if (n.has("sizes") || sizes->is_constant()) {
      const std::vector<int64_t> all =
          n.has("sizes") ? n.ints("sizes") : sizes->constant->to_int_vector();
      target = ctx.i64s(spatial<int64_t>(n, all, in, "sizes"), n.name + "/sizes");
    } else {  // computed at run time: its spatial entries
      OutRef given = ctx.in(n, 3);
      if (ctx.dtype(given) != ir::DType::Int64)
        given = ctx.convert(given, ir::DType::Int64, n.name + "/sizes_i64");
      target = ctx.b.add1(
          "Gather", "opset8", n.name + "/sizes",
          {given, ctx.i64s(axes, n.name + "/spatial"), ctx.i64_scalar(0, n.name + "/gather_axis")},
          {{"batch_dims", "0"}}, ir::DType::Int64, {static_cast<int64_t>(axes.size())});
    }
  } else if (n.has("scales") || (scales && scales->is_constant())) {
    calculation = "scales";
    const std::vector<double> all = n.has("scales")
                                        ? std::get<std::vector<double>>(n.attrs.at("scales"))
                                        : scales->constant->to_double_vector();
    std::vector<double> ones(all.size(), 1.0);
    const std::vector<double> kept = spatial<double>(n, all, ones, "scales");
    ir::Tensor t(ir::DType::Float32, {static_cast<int64_t>(kept.size())});
    for (size_t k = 0; k < kept.size(); ++k) t.data<float>()[k] = static_cast<float>(kept[k]);
    target = ctx.b.constant(t, n.name + "/scales");
  } else {
    throw unsupported_variant(n, "with scales computed at run time");
  }

  Attrs attrs = {{"mode", interpolate_mode(n)},
                 {"shape_calculation_mode", calculation},
                 {"coordinate_transformation_mode", coordinates},
                 {"nearest_mode", n.s("nearest_mode", "round_prefer_floor")},
                 {"antialias", "false"},
                 {"pads_begin", "0"},
                 {"pads_end", "0"},
                 {"cube_coeff", std::to_string(n.f("cubic_coeff_a", -0.75))}};
  ctx.bind_output(
      n, ctx.b.add1("Interpolate", "opset11", n.name, {x, target, ctx.i64s(axes, n.name + "/axes")},
                    attrs, ctx.dtype(x), ctx.dims(n.outputs[0])));
}

}  // namespace mlexport::emit::openvino
