// Resize in every opset it has, and Upsample (deprecated at 10), as opset-17 Resize.
#include "frontend/onnx/op/rules.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace mlexport::frontend::onnx {

using ir::Tensor;
using ir::Value;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Upsample-7/9 and Resize-10 map output to input coordinates with x / scale (Resize's
// "asymmetric"). For nearest, ONNX Runtime (the reference that runs the original file) rounds up
// along shrunk axes and down along grown ones (measured with onnxruntime-node 1.30); one Resize
// has one nearest_mode, so both directions in one node cannot be expressed.
bool asymmetric_resize(NodeDraft& n, ImportContext& ctx, std::optional<std::vector<double>> scales,
                       Value* runtime_scales) {
  const std::string mode = lower(n.string_attr("mode", "nearest"));
  if (mode != "nearest" && mode != "linear")
    return report(n, ctx, "mode '" + mode + "' is not one Resize has");
  std::map<std::string, ir::Attribute> attrs = {
      {"mode", mode}, {"coordinate_transformation_mode", std::string("asymmetric")}};
  if (mode == "nearest") {
    if (!scales)
      return report(n, ctx,
                    "nearest resizing with scales computed at run time (ONNX Runtime rounds "
                    "shrunk and grown axes differently, so the scales must be known)");
    const bool shrinks =
        std::any_of(scales->begin(), scales->end(), [](double s) { return s < 1; });
    const bool grows = std::any_of(scales->begin(), scales->end(), [](double s) { return s > 1; });
    if (shrinks && grows)
      return report(n, ctx,
                    "nearest resizing that grows some axes and shrinks others (rounded two ways "
                    "by ONNX Runtime; one opset-17 Resize rounds one way)");
    attrs["nearest_mode"] = std::string(shrinks ? "ceil" : "floor");
  }
  Value* x = n.input(0);
  n.op = "Resize";
  n.inputs = {x};
  if (scales)
    attrs["scales"] = *scales;
  else
    n.inputs = {x, nullptr, runtime_scales};
  n.attrs = std::move(attrs);
  return true;
}

std::optional<std::vector<double>> constant_doubles(const NodeDraft& n, size_t k) {
  const Tensor* t = n.constant_input(k);
  if (!t) return std::nullopt;
  return t->to_double_vector();
}

}  // namespace

bool upsample(NodeDraft& n, ImportContext& ctx) {
  if (n.input(1)) return asymmetric_resize(n, ctx, constant_doubles(n, 1), n.input(1));
  auto it = n.attrs.find("scales");  // Upsample-7
  if (it == n.attrs.end() || !std::holds_alternative<std::vector<double>>(it->second))
    return report(n, ctx, "it has no scales");
  return asymmetric_resize(n, ctx, std::get<std::vector<double>>(it->second), nullptr);
}

// Resize-11/13: roi, scales and sizes are inputs (Resize-11 wants empty tensors for the unused
// ones). Static scales/sizes become IR attributes; roi only matters for tf_crop_and_resize.
bool resize(NodeDraft& n, ImportContext& ctx) {
  if (ctx.opset() < 11) return asymmetric_resize(n, ctx, constant_doubles(n, 1), n.input(1));
  const bool crop =
      n.string_attr("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize";
  const Tensor* roi = n.constant_input(1);
  if (!crop || (roi && roi->numel() == 0)) n.drop_input(1);
  if (const Tensor* scales = n.constant_input(2)) {
    if (scales->numel() > 0) n.attrs["scales"] = scales->to_double_vector();
    n.drop_input(2);
  }
  if (const Tensor* sizes = n.constant_input(3)) {
    std::vector<int64_t> values;
    if (sizes->numel() > 0 && !int_operand(n, ctx, *sizes, "sizes", values)) return false;
    if (!values.empty()) n.attrs["sizes"] = values;
    n.drop_input(3);
  }
  return true;
}

}  // namespace mlexport::frontend::onnx
