// DFT-7 / IDFT-7 / RDFT-9 -> ONNX DFT (opset 17), one ONNX DFT per transformed axis: transforms
// along different axes commute, and IDFT's 1/prod(n) is the product of each axis's 1/n. ONNX's
// axis 0 is a batch dim, so a transform along axis 0 is refused, as is a signal_size input.
#include "frontend/openvino_ir/rules.h"

namespace mlexport::frontend::openvino_ir {

namespace {

// The transformed axes, each in [1, signal rank) where the signal rank excludes the trailing
// complex dim of DFT/IDFT inputs.
std::vector<int64_t> signal_axes(Reader& r, const LayerDesc& l, int64_t signal_rank) {
  if (r.input_count(l) > 2) throw r.unsupported(l, "a signal_size input");
  std::vector<int64_t> axes = r.const_ints(l, 1, "axes");
  if (axes.empty()) throw r.malformed(l, "no axes");
  for (int64_t& a : axes) {
    if (a < 0) a += signal_rank;
    if (a < 1 || a >= signal_rank)
      throw r.unsupported(l, "a transform along axis " + std::to_string(a));
  }
  return axes;
}

ir::Value* onnx_dft(Reader& r, const LayerDesc& l, ir::Value* x, int64_t axis, bool inverse,
                    bool onesided) {
  return r.helper(l, "DFT", {x}, x->dtype, std::nullopt,
                  {{"axis", axis},
                   {"inverse", int64_t{inverse ? 1 : 0}},
                   {"onesided", int64_t{onesided ? 1 : 0}}});
}

}  // namespace

void rule_dft(Reader& r, const LayerDesc& l) {
  const auto& in = r.in_dims(l, 0);
  if (in.size() < 2 || in.back() != 2) throw r.unsupported(l, "an input without a last dim of 2");
  const std::vector<int64_t> axes = signal_axes(r, l, static_cast<int64_t>(in.size()) - 1);
  ir::Value* y = r.input(l, 0);
  for (int64_t a : axes) y = onnx_dft(r, l, y, a, l.type == "IDFT", false);
  y->shape = r.port_shape(l.outputs.at(0));
  r.set_output(l, 0, y);
}

// RDFT: the one-sided transform along the last listed axis of the real signal (given to ONNX
// with a trailing dim of 1), then full transforms along the others.
void rule_rdft(Reader& r, const LayerDesc& l) {
  const auto& in = r.in_dims(l, 0);
  const std::vector<int64_t> axes = signal_axes(r, l, static_cast<int64_t>(in.size()));
  ir::Shape shape;
  for (int64_t d : in) shape.push_back(d >= 0 ? ir::Dim::fixed(d) : ir::Dim{});
  shape.push_back(ir::Dim::fixed(1));
  ir::Value* x = r.input(l, 0);
  ir::Value* y = r.helper(l, "Unsqueeze", {x}, x->dtype, shape,
                          {{"axes", std::vector<int64_t>{static_cast<int64_t>(in.size())}}});
  y = onnx_dft(r, l, y, axes.back(), false, true);
  for (size_t k = 0; k + 1 < axes.size(); ++k) y = onnx_dft(r, l, y, axes[k], false, false);
  y->shape = r.port_shape(l.outputs.at(0));
  r.set_output(l, 0, y);
}

}  // namespace mlexport::frontend::openvino_ir
