// Fourier transforms through ONNX DFT (opset 17; the writer refuses lower opsets, naming DFT):
// fft_fft/ifft/rfft/irfft/hfft/ihfft, their 2-D and n-D forms, stft and istft.
//
// Complex values are (real, imag) pairs in a trailing dim of 2, DFT's own layout; a real signal
// enters DFT with a trailing dim of 1. Every transform here is a chain of 1-D DFTs, one per
// axis, each with its own length fixed (cut or zero-padded) beforehand and its own norm factor.
// ONNX's inverse DFT divides by n, so the factor is what PyTorch's norm asks for relative to
// that. c2r (irfft) rebuilds the full Hermitian spectrum and keeps the real part of its
// inverse, which ignores the imaginary parts of the DC and Nyquist bins as PyTorch does.
#include <algorithm>
#include <cmath>
#include <optional>

#include "frontend/torchscript/op/spectral.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
// PyTorch's scale for a transform of length n, over the scale ONNX DFT applies (1 forward,
// 1/n inverse). `forward` is the direction PyTorch's norm names ("forward" scales those).
double norm_factor(const std::string& norm, int64_t n, bool forward, bool onnx_inverse) {
  if (norm != "backward" && norm != "forward" && norm != "ortho")
    throw Error(ExitCode::kUnsupportedOps, "norm '" + norm + "'");
  const double len = static_cast<double>(n);
  double wanted = 1.0;
  if (norm == "ortho")
    wanted = 1.0 / std::sqrt(len);
  else if ((norm == "forward") == forward)
    wanted = 1.0 / len;
  return onnx_inverse ? wanted * len : wanted;
}

void scale(TranslateContext& ctx, Signal& s, double factor) {
  if (factor != 1.0) s.x = typed(ctx.op("Mul", {s.x, ctx.scalar(factor, s.dt)}), s.dt);
}

// Whether axis d's length is only known when the model runs (the batch under --dynamic_axes).
bool length_varies(TranslateContext& ctx, int64_t d) {
  return d == 0 && ctx.dynamic_batch;
}

// The norm factor of a transform along an axis whose length n is computed in the graph.
void scale_by_computed_length(TranslateContext& ctx, Signal& s, int64_t d, const std::string& norm,
                              bool forward, bool onnx_inverse) {
  norm_factor(norm, 1, forward, onnx_inverse);  // refuses an unknown norm
  // factor = n^power: ortho -1/2 (+1 for ONNX's inverse), matching "forward"/"backward" -1.
  double power = 0.0;
  if (norm == "ortho")
    power = -0.5;
  else if ((norm == "forward") == forward)
    power = -1.0;
  if (onnx_inverse) power += 1.0;
  if (power == 0.0) return;
  ir::Value* shape = typed(ctx.op("Shape", {s.x}), ir::DType::Int64);
  ir::Value* n = typed(ctx.op("Gather", {shape, ctx.constant(ir::Tensor::scalar_int64(d), "axis")},
                              {{"axis", int64_t{0}}}),
                       ir::DType::Int64);
  ir::Value* len = ctx.cast(n, s.dt);
  ir::Value* factor = typed(ctx.op("Pow", {len, ctx.scalar(power, s.dt)}), s.dt);
  s.x = typed(ctx.op("Mul", {s.x, factor}), s.dt);
}

// Cuts or zero-pads axis `d` to length n (PyTorch's `n` and `s` arguments).
void fit_length(TranslateContext& ctx, Signal& s, int64_t d, int64_t n) {
  const int64_t len = s.sizes[static_cast<size_t>(d)];
  // Every transform passes here. Along the dynamic batch axis only the axis's own length works:
  // a cut or padding to a fixed length would be baked for the recorded batch.
  if (length_varies(ctx, d) && n != len)
    throw Error(ExitCode::kUnsupportedOps,
                "a Fourier transform along the dynamic batch axis with a length other than the "
                "axis's own (n or s); export with a fixed batch");
  if (n == len) return;
  if (n < len) {
    s.x = typed(
        ctx.op("Slice", {s.x, ctx.int64_vector({0}), ctx.int64_vector({n}), ctx.int64_vector({d})}),
        s.dt);
  } else {
    std::vector<int64_t> pads(static_cast<size_t>(2 * (s.rank() + 1)), 0);
    pads[static_cast<size_t>(s.rank() + 1 + d)] = n - len;
    s.x = typed(
        ctx.op("Pad", {s.x}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
        s.dt);
  }
  s.sizes[static_cast<size_t>(d)] = n;
}

// One DFT along complex axis d. DFT's first dim is a batch dim, so axis 0 gets a leading one.
void dft(TranslateContext& ctx, Signal& s, int64_t d, bool inverse, bool onesided) {
  ir::Value* x = s.x;
  int64_t axis = d;
  if (d == 0) {
    x = typed(ctx.op("Unsqueeze", {x}, {{"axes", std::vector<int64_t>{0}}}), s.dt);
    axis = 1;
  }
  ir::Value* y = typed(ctx.op("DFT", {x},
                              {{"axis", axis},
                               {"inverse", int64_t{inverse ? 1 : 0}},
                               {"onesided", int64_t{onesided ? 1 : 0}}}),
                       s.dt);
  if (d == 0) y = typed(ctx.op("Squeeze", {y}, {{"axes", std::vector<int64_t>{0}}}), s.dt);
  s.x = y;
  if (onesided) s.sizes[static_cast<size_t>(d)] = s.sizes[static_cast<size_t>(d)] / 2 + 1;
}

// A tensor argument as a Signal: pairs when complex, [..., 1] when real.
Signal signal_of(TranslateContext& ctx, const JitValue* v, ir::DType dt) {
  Signal s{ctx.tensor_as(v, dt), ctx.sizes(v), dt};
  if (!ctx.is_complex(v)) s.x = as_scale(ctx, s.x, s.rank());
  return s;
}

// A real signal with a zero imaginary part (c2r needs full pairs).
void make_complex(TranslateContext& ctx, Signal& s, bool real) {
  if (!real) return;
  std::vector<int64_t> pads(static_cast<size_t>(2 * (s.rank() + 1)), 0);
  pads.back() = 1;
  s.x = typed(
      ctx.op("Pad", {s.x}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
      s.dt);
}

// c2c along d at length n.
void c2c(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, bool inverse,
         const std::string& norm) {
  fit_length(ctx, s, d, n);
  dft(ctx, s, d, inverse, false);
  if (length_varies(ctx, d)) return scale_by_computed_length(ctx, s, d, norm, !inverse, inverse);
  scale(ctx, s, norm_factor(norm, n, !inverse, inverse));
}

// r2c along d at length n: the n / 2 + 1 bins of a real signal.
void r2c(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, const std::string& norm,
         bool forward) {
  fit_length(ctx, s, d, n);
  if (length_varies(ctx, d)) {
    scale_by_computed_length(ctx, s, d, norm, forward, false);  // linear: before the DFT
    return dft(ctx, s, d, false, true);
  }
  dft(ctx, s, d, false, true);
  scale(ctx, s, norm_factor(norm, n, forward, false));
}

// c2r along d: a real signal of length n from its n / 2 + 1 bins. The bins past them are the
// conjugates of bins n - m .. 1, read backwards.
void c2r(TranslateContext& ctx, Signal& s, int64_t d, int64_t n, const std::string& norm,
         bool forward) {
  if (length_varies(ctx, d))
    throw Error(ExitCode::kUnsupportedOps,
                "an inverse real transform (irfft) along the dynamic batch axis: its output "
                "length is part of the transform; export with a fixed batch");
  const int64_t m = n / 2 + 1;
  fit_length(ctx, s, d, m);
  if (n - m > 0) {
    ir::Value* mirrored =
        typed(ctx.op("Slice", {s.x, ctx.int64_vector({n - m}), ctx.int64_vector({0}),
                               ctx.int64_vector({d}), ctx.int64_vector({-1})}),
              s.dt);
    s.x = typed(ctx.op("Concat", {s.x, conjugate(ctx, mirrored)}, {{"axis", d}}), s.dt);
  }
  s.sizes[static_cast<size_t>(d)] = n;
  dft(ctx, s, d, true, false);
  s.x = as_scale(ctx, pair_part(ctx, s.x, s.rank(), 0), s.rank());
  scale(ctx, s, norm_factor(norm, n, forward, true));
}

namespace {

using ir::DType;

// --- arguments ---

std::string norm_arg(TranslateContext& ctx, const JitNode* node) {
  const JitValue* v = arg(node, "norm");
  return !v || ctx.is_none(v) ? "backward" : ctx.const_string(v);
}

// The axes and lengths of an n-D transform: PyTorch's `s` and `dim` (either may be None; -1 in
// s keeps that axis's length). Lengths are those of the input unless s says otherwise.
struct Axes {
  std::vector<int64_t> dims;
  std::vector<std::optional<int64_t>> lengths;
};

// Signal lengths (`n`, `s`). One computed from the input's shape (s=(x.size(-2), x.size(-1))) is
// taken at its recorded value when the transform leaves the batch axis alone: under
// --dynamic_axes only that axis varies, and validation at a second batch size checks the file.
std::vector<int64_t> lengths_arg(TranslateContext& ctx, const JitValue* v,
                                 const std::vector<int64_t>& dims) {
  const bool batch_untouched = std::find(dims.begin(), dims.end(), 0) == dims.end();
  if (!ctx.is_static(v) && ctx.dynamic_batch && batch_untouched) {
    const c10::IValue& r = ctx.recorded(v);
    if (r.isInt()) return {r.toInt()};
    if (r.isIntList()) return r.toIntVector();
  }
  if (ctx.recorded(v).isInt()) return {ctx.const_int(v)};
  return ctx.const_ints(v);
}

Axes axes_arg(TranslateContext& ctx, const JitNode* node, int64_t rank) {
  Axes a;
  const JitValue* s = arg(node, "s");
  const JitValue* dim = arg(node, "dim");
  const bool has_sizes = s && !ctx.is_none(s);
  if (dim && !ctx.is_none(dim)) {
    for (int64_t d : ctx.const_ints(dim)) a.dims.push_back(d < 0 ? d + rank : d);
  } else {
    const int64_t count =
        has_sizes ? static_cast<int64_t>(ctx.recorded(s).toIntVector().size()) : rank;
    for (int64_t d = rank - count; d < rank; ++d) a.dims.push_back(d);
  }
  std::vector<int64_t> sizes;
  if (has_sizes) sizes = lengths_arg(ctx, s, a.dims);
  for (size_t k = 0; k < a.dims.size(); ++k)
    a.lengths.push_back(k < sizes.size() && sizes[k] != -1 ? std::optional(sizes[k])
                                                           : std::nullopt);
  return a;
}

int64_t length_or(const std::optional<int64_t>& n, int64_t fallback) {
  return n ? *n : fallback;
}

std::optional<int64_t> n_arg(TranslateContext& ctx, const JitNode* node, int64_t dim) {
  const JitValue* n = arg(node, "n");
  if (!n || ctx.is_none(n)) return std::nullopt;
  return lengths_arg(ctx, n, {dim}).front();
}

void bind_signal(TranslateContext& ctx, const JitNode* node, Signal& s, bool real_out) {
  ir::Value* out = s.x;
  if (real_out)  // drop the trailing dim of 1
    out = typed(ctx.op("Squeeze", {out}, {{"axes", std::vector<int64_t>{s.rank()}}}), s.dt);
  ctx.bind(node->output(), out);
}

std::string kind_of(const JitNode* node) {
  return node->kind().toQualString();
}

// --- translators ---

// aten::fft_fft / fft_ifft / fft_rfft / fft_irfft / fft_hfft / fft_ihfft
//   (Tensor self, int? n=None, int dim=-1, str? norm=None) -> Tensor
void translate_fft_1d(TranslateContext& ctx, const JitNode* node) {
  const std::string kind = kind_of(node).substr(std::string("aten::fft_").size());
  const DType dt = ctx.dtype(node->output());
  const JitValue* self = node->input(0);
  Signal s = signal_of(ctx, self, dt);
  const int64_t d = ctx.dim_arg(arg(node, "dim"), s.rank());
  const std::optional<int64_t> n = n_arg(ctx, node, d);
  const int64_t len = s.sizes[static_cast<size_t>(d)];
  const std::string norm = norm_arg(ctx, node);
  if (kind == "fft" || kind == "ifft") {
    c2c(ctx, s, d, length_or(n, len), kind == "ifft", norm);
  } else if (kind == "rfft" || kind == "ihfft") {
    if (ctx.is_complex(self))
      throw Error(ExitCode::kUnsupportedOps, "a complex input (PyTorch refuses it too)");
    r2c(ctx, s, d, length_or(n, len), norm, kind == "rfft");
    if (kind == "ihfft") s.x = conjugate(ctx, s.x);
  } else {  // irfft, hfft: hfft(x) is irfft(conj(x)) with the forward transform's norm
    make_complex(ctx, s, !ctx.is_complex(self));
    if (kind == "hfft") s.x = conjugate(ctx, s.x);
    c2r(ctx, s, d, length_or(n, 2 * (len - 1)), norm, kind == "hfft");
    return bind_signal(ctx, node, s, true);
  }
  bind_signal(ctx, node, s, false);
}

// aten::fft_fft2 / fft_ifft2 / fft_fftn / fft_ifftn / fft_rfft2 / fft_rfftn / fft_irfft2 /
// fft_irfftn (Tensor self, int[]? s=None, int[]? dim=None, str? norm=None) -> Tensor
// rfftn is rfft over the last axis, then full transforms; irfftn the reverse.
void translate_fft_nd(TranslateContext& ctx, const JitNode* node) {
  std::string kind = kind_of(node).substr(std::string("aten::fft_").size());
  kind = kind.substr(0, kind.size() - 1);  // "fft2" / "fftn" -> "fft"
  const DType dt = ctx.dtype(node->output());
  const JitValue* self = node->input(0);
  Signal s = signal_of(ctx, self, dt);
  const Axes axes = axes_arg(ctx, node, s.rank());
  const std::string norm = norm_arg(ctx, node);
  auto len = [&](size_t k) { return s.sizes[static_cast<size_t>(axes.dims[k])]; };
  if (axes.dims.empty()) {
    make_complex(ctx, s, !ctx.is_complex(self));
    return bind_signal(ctx, node, s, false);
  }
  if (kind == "fft" || kind == "ifft") {
    for (size_t k = 0; k < axes.dims.size(); ++k)
      c2c(ctx, s, axes.dims[k], length_or(axes.lengths[k], len(k)), kind == "ifft", norm);
    return bind_signal(ctx, node, s, false);
  }
  const size_t last = axes.dims.size() - 1;
  if (kind == "rfft") {
    if (ctx.is_complex(self))
      throw Error(ExitCode::kUnsupportedOps, "a complex input (PyTorch refuses it too)");
    r2c(ctx, s, axes.dims[last], length_or(axes.lengths[last], len(last)), norm, true);
    for (size_t k = 0; k < last; ++k)
      c2c(ctx, s, axes.dims[k], length_or(axes.lengths[k], len(k)), false, norm);
    return bind_signal(ctx, node, s, false);
  }
  make_complex(ctx, s, !ctx.is_complex(self));  // irfft
  const int64_t n_last = length_or(axes.lengths[last], 2 * (len(last) - 1));
  for (size_t k = 0; k < last; ++k)
    c2c(ctx, s, axes.dims[k], length_or(axes.lengths[k], len(k)), true, norm);
  c2r(ctx, s, axes.dims[last], n_last, norm, false);
  bind_signal(ctx, node, s, true);
}

// aten::fft_fftshift / fft_ifftshift(Tensor self, int[1]? dim=None) -> Tensor
// A roll by n / 2 (fftshift) or by (n + 1) / 2 (ifftshift) along each dim (all when None), as
// two slices swapped; real or complex alike, since the pair axis is never rolled.
void translate_fftshift(TranslateContext& ctx, const JitNode* node) {
  const bool inverse = kind_of(node) == "aten::fft_ifftshift";
  const JitValue* self = node->input(0);
  const std::vector<int64_t> sizes = ctx.sizes(self);
  const int64_t rank = static_cast<int64_t>(sizes.size());
  const JitValue* dim = arg(node, "dim");
  std::vector<int64_t> dims;
  if (dim && !ctx.is_none(dim)) {
    for (int64_t d : ctx.const_ints(dim)) dims.push_back(d < 0 ? d + rank : d);
  } else {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  }
  ir::Value* x = ctx.tensor(self);
  for (int64_t d : dims) {
    const int64_t n = sizes[static_cast<size_t>(d)];
    const int64_t shift = inverse ? (n + 1) / 2 : n / 2;
    if (n == 0 || shift % n == 0) continue;
    if (d == 0 && ctx.dynamic_batch)
      throw Error(ExitCode::kUnsupportedOps,
                  "a shift along the dynamic batch axis; export with a fixed batch");
    auto part = [&](int64_t from, int64_t to) {
      return typed(ctx.op("Slice", {x, ctx.int64_vector({from}), ctx.int64_vector({to}),
                                    ctx.int64_vector({d})}),
                   x->dtype);
    };
    x = typed(ctx.op("Concat", {part(n - shift, n), part(0, n - shift)}, {{"axis", d}}), x->dtype);
  }
  ctx.bind(node->output(), x);
}

}  // namespace

std::vector<OpRule> spectral_rules() {
  std::vector<OpRule> rows;
  for (const char* kind : {"aten::fft_fft", "aten::fft_ifft"})
    rows.push_back({kind, translate_fft_1d, "DFT (+ Slice/Pad for n, Mul for norm)"});
  rows.push_back({"aten::fft_rfft", translate_fft_1d, "DFT onesided (+ Slice/Pad, Mul)"});
  rows.push_back({"aten::fft_ihfft", translate_fft_1d, "DFT onesided + Mul by (1, -1)"});
  for (const char* kind : {"aten::fft_irfft", "aten::fft_hfft"})
    rows.push_back({kind, translate_fft_1d,
                    "Slice (mirrored bins) + Concat + inverse DFT + Gather (real part)"});
  for (const char* kind :
       {"aten::fft_fft2", "aten::fft_ifft2", "aten::fft_fftn", "aten::fft_ifftn"})
    rows.push_back({kind, translate_fft_nd, "DFT per axis"});
  for (const char* kind : {"aten::fft_rfft2", "aten::fft_rfftn"})
    rows.push_back({kind, translate_fft_nd, "DFT onesided (last axis) + DFT per other axis"});
  for (const char* kind : {"aten::fft_irfft2", "aten::fft_irfftn"})
    rows.push_back({kind, translate_fft_nd, "inverse DFT per axis, c2r (as irfft) on the last"});
  for (const char* kind : {"aten::fft_fftshift", "aten::fft_ifftshift"})
    rows.push_back({kind, translate_fftshift, "Slice + Concat (a roll per axis)"});
  rows.push_back({"aten::stft", translate_stft,
                  "Gather (frames) + Mul (window) + DFT (onesided) + Transpose"});
  rows.push_back({"aten::istft", translate_istft,
                  "inverse DFT per frame + Mul (window) + Pad/Add (overlap-add) + Div "
                  "(window envelope) + Slice"});
  return rows;
}

}  // namespace mlexport::frontend::torchscript
