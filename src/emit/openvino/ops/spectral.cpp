// ONNX DFT (opset 17) -> OpenVINO DFT-7 / IDFT-7 / RDFT-9. Both keep complex values as a trailing
// dim of 2 and count the transformed axis the same way (the trailing dim is not an axis); both
// leave the forward transform unscaled and scale the inverse by 1/n. ONNX feeds a real signal
// as a trailing dim of 1: the one-sided transform of it is RDFT-9 on the signal without that dim,
// the full one is DFT-7 on the signal with a zero imaginary part.
#include "emit/openvino/ops/ops.h"

namespace mlexport::emit::openvino {

void translate_dft(const ir::Node& n, Context& ctx) {
  if (n.input(1)) throw unsupported_variant(n, "with a dft_length input");
  const bool inverse = n.i("inverse", 0) != 0;
  const bool onesided = n.i("onesided", 0) != 0;
  if (inverse && onesided) throw unsupported_variant(n, "with inverse=1 and onesided=1");
  OutRef x = ctx.in(n, 0);
  const Dims in = ctx.dims(x);
  const size_t rank = in.size();
  if (rank < 2 || (in.back() != 1 && in.back() != 2))
    throw unsupported_variant(n, "whose last dim is not a known 1 (real) or 2 (complex)");
  const int64_t axis = n.i("axis", 1);
  if (axis < 1 || axis > static_cast<int64_t>(rank) - 2)
    throw unsupported_variant(n, "along axis " + std::to_string(axis));
  const bool real = in.back() == 1;
  OutRef axes = ctx.i64s({axis}, n.name + "/axes");
  Dims out = in;
  out.back() = 2;
  if (onesided) {
    if (!real) throw unsupported_variant(n, "one-sided on a complex signal");
    OutRef last = ctx.i64s({static_cast<int64_t>(rank) - 1}, n.name + "/real_axis");
    Dims signal(in.begin(), in.end() - 1);
    OutRef s =
        ctx.b.add1("Squeeze", "opset1", n.name + "/real", {x, last}, {}, ctx.dtype(x), signal);
    int64_t& len = out[static_cast<size_t>(axis)];
    if (len >= 0) len = len / 2 + 1;
    ctx.bind_output(
        n, ctx.b.add1("RDFT", "opset9", n.name, {s, axes}, {}, ctx.dtype(x), std::move(out)));
    return;
  }
  if (real) {
    std::vector<int64_t> begin(rank, 0), end(rank, 0);
    end.back() = 1;
    x = ctx.b.add1("Pad", "opset1", n.name + "/complex",
                   {x, ctx.i64s(begin, n.name + "/pads_begin"), ctx.i64s(end, n.name + "/pads_end"),
                    ctx.scalar(ctx.dtype(x), 0.0, n.name + "/zero")},
                   {{"pad_mode", "constant"}}, ctx.dtype(x), out);
  }
  ctx.bind_output(n, ctx.b.add1(inverse ? "IDFT" : "DFT", "opset7", n.name, {x, axes}, {},
                                ctx.dtype(x), std::move(out)));
}

}  // namespace mlexport::emit::openvino
