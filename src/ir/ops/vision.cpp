// Resizing, sampling, detection and spectral ops.
#include <cmath>

#include "ir/ops/dims.h"
#include "ir/ops/families.h"

namespace mlexport::ir::ops {
namespace {

// The IR's Resize carries `sizes` or `scales` as attributes when known (ONNX: floor(dim * scale)).
ShapeResult resize_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  Shape out = *x;
  if (auto sizes = n.ints("sizes"); !sizes.empty()) {
    if (sizes.size() != x->size()) return std::nullopt;
    for (size_t k = 0; k < out.size(); ++k) out[k] = dim_of(sizes[k]);
    return one(out);
  }
  auto it = n.attrs.find("scales");
  const auto* scales =
      it == n.attrs.end() ? nullptr : std::get_if<std::vector<double>>(&it->second);
  if (!scales || scales->size() != x->size()) return one(unknown_shape(x->size()));
  for (size_t k = 0; k < out.size(); ++k) {
    if ((*scales)[k] == 1.0) continue;
    const double size =
        out[k].is_fixed() ? std::floor(static_cast<double>(out[k].size) * (*scales)[k]) : -1.0;
    // A scale of a hostile file can give no size at all (negative, NaN, past int64).
    out[k] = size >= 0 && size < 0x1p62 ? Dim::fixed(static_cast<int64_t>(size)) : unknown_dim();
  }
  return one(out);
}

ShapeResult grid_sample_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* g = env.shape(n.input(1));
  if (!x || !g || x->size() != 4 || g->size() != 4) return std::nullopt;
  return one({(*x)[0], (*x)[1], (*g)[1], (*g)[2]});
}

ShapeResult roi_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  const Shape* rois = env.shape(n.input(1));
  if (!x || !rois || x->size() != 4 || rois->empty()) return std::nullopt;
  const std::vector<int64_t> pooled =
      n.op == "MaxRoiPool" ? n.ints("pooled_shape")
                           : std::vector<int64_t>{n.i("output_height", 1), n.i("output_width", 1)};
  if (pooled.size() != 2) return std::nullopt;
  return one({(*rois)[0], (*x)[1], dim_of(pooled[0]), dim_of(pooled[1])});
}

ShapeResult nms_rule(const Node&, const ShapeEnv&) {
  return one({unknown_dim(), Dim::fixed(3)});
}

// Input [..., n, 1 or 2]; output [..., n or n/2+1, 2].
ShapeResult dft_rule(const Node& n, const ShapeEnv& env) {
  const Shape* x = env.shape(n.input(0));
  if (!x) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(x->size());
  const int64_t axis = n.i("axis", 1);
  if (rank < 2 || axis < 0 || axis >= rank - 1) return std::nullopt;
  Shape out = *x;
  out.back() = Dim::fixed(2);
  Dim& len = out[static_cast<size_t>(axis)];
  if (n.i("onesided", 0)) len = len.is_fixed() ? Dim::fixed(len.size / 2 + 1) : unknown_dim();
  return one(out);
}

}  // namespace

std::vector<OpDef> vision_ops() {
  std::vector<OpDef> ops = {
      make_op("Resize", 1, 4,
              {{"coordinate_transformation_mode", kString, 11},
               {"cubic_coeff_a", kFloat, 11},
               {"exclude_outside", kInt, 11},
               {"extrapolation_value", kFloat, 11},
               {"mode", kString},
               {"nearest_mode", kString, 11},
               {"scales", AttrKind::Floats, kIrOnly, 10},
               {"sizes", AttrKind::Ints, kIrOnly, 11}},
              resize_rule, 10),
      make_op("GridSample", 2, 2,
              {{"align_corners", kInt}, {"mode", kString}, {"padding_mode", kString}},
              grid_sample_rule, 16),
      make_op("RoiAlign", 3, 3,
              {{"coordinate_transformation_mode", kString, 16},
               {"mode", kString},
               {"output_height", kInt},
               {"output_width", kInt},
               {"sampling_ratio", kInt},
               {"spatial_scale", kFloat}},
              roi_rule, 10),
      make_op("MaxRoiPool", 2, 2, {{"pooled_shape", AttrKind::Ints}, {"spatial_scale", kFloat}},
              roi_rule, 1),
      make_op("NonMaxSuppression", 2, 5, {{"center_point_box", kInt}}, nms_rule, 10),
      make_op("DFT", 1, 2, {{"axis", kInt}, {"inverse", kInt}, {"onesided", kInt}}, dft_rule, 17),
  };
  for (OpDef& d : ops) {
    if (d.name == "NonMaxSuppression") {
      d.type = TypeRule::Int64;
      d.traits |= kDataDependentShape;
    }
  }
  return ops;
}

}  // namespace mlexport::ir::ops
