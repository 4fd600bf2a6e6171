// Short-time Fourier transforms: aten::stft and aten::istft (center padding of stft is done
// by torch.stft in Python before the op, so it arrives as aten::pad).
//
// stft gathers the frames with one constant index matrix, windows them and runs one DFT over
// the frame axis. istft inverts each frame (c2r, as irfft), windows it, overlap-adds the frames
// and divides by the overlap-added squared window (a constant: the window and the frame count
// are fixed). The overlap-add cuts each frame into r = ceil(n_fft / hop) hop-long pieces; piece
// j of frame f lands at (f + j) * hop, so padding piece j's frame axis by j in front and
// summing over j adds up every output position.
#include <algorithm>
#include <cmath>

#include "frontend/torchscript/op/spectral.h"
#include "mlexport/diagnostics.h"

namespace mlexport::frontend::torchscript {
namespace {

using ir::DType;

struct Frames {
  int64_t n_fft, hop, win_length;
};

Frames frames_arg(TranslateContext& ctx, const JitNode* node) {
  Frames f;
  f.n_fft = ctx.const_int(arg(node, "n_fft"));
  const JitValue* hop = arg(node, "hop_length");
  const JitValue* win = arg(node, "win_length");
  f.hop = hop && !ctx.is_none(hop) ? ctx.const_int(hop) : f.n_fft / 4;
  f.win_length = win && !ctx.is_none(win) ? ctx.const_int(win) : f.n_fft;
  return f;
}

// The window as PyTorch applies it: ones when None, centred in n_fft zeros when shorter.
at::Tensor window_of(TranslateContext& ctx, const JitNode* node, const Frames& f) {
  const JitValue* w = arg(node, "window");
  at::Tensor window;
  if (w && !ctx.is_none(w)) {
    if (!ctx.is_static(w))
      throw Error(ExitCode::kUnsupportedOps, "a window computed from the input");
    window = ctx.recorded(w).toTensor().to(at::kDouble);
    if (window.is_complex()) throw Error(ExitCode::kUnsupportedOps, "a complex window");
  } else {
    window = at::ones({f.win_length}, at::kDouble);
  }
  const int64_t left = (f.n_fft - window.size(0)) / 2;
  if (left > 0 || window.size(0) < f.n_fft)
    window = at::constant_pad_nd(window, {left, f.n_fft - window.size(0) - left});
  return window;
}

ir::Value* host_vector(TranslateContext& ctx, const at::Tensor& t, DType dt) {
  at::Tensor c = t.to(at::kDouble).contiguous();
  return float_vector(
      ctx, std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel()), dt);
}

bool optional_bool(TranslateContext& ctx, const JitNode* node, const char* name, bool fallback) {
  const JitValue* v = arg(node, name);
  return v && !ctx.is_none(v) ? ctx.const_bool(v) : fallback;
}

}  // namespace

// The .center overload pads inside the op, n_fft / 2 on each side of the time axis.
ir::Value* center_pad(TranslateContext& ctx, const JitNode* node, ir::Value* x, int64_t rank,
                      int64_t n_fft) {
  const JitValue* mode_arg = arg(node, "pad_mode");
  const std::string mode = mode_arg ? ctx.const_string(mode_arg) : "reflect";
  const std::string onnx_mode = mode == "reflect"     ? "reflect"
                                : mode == "constant"  ? "constant"
                                : mode == "replicate" ? "edge"
                                                      : "";
  if (onnx_mode.empty()) throw Error(ExitCode::kUnsupportedOps, "pad_mode '" + mode + "'");
  std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
  pads[static_cast<size_t>(rank - 1)] = pads.back() = n_fft / 2;
  return typed(ctx.op("Pad", {x}, {{"mode", onnx_mode}, {"pads", pads}, {"value", 0.0}}), x->dtype);
}

// aten::stft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None,
//            Tensor? window=None, bool normalized=False, bool? onesided=None,
//            bool? return_complex=None) -> Tensor
// aten::stft.center(..., Tensor? window=None, bool center=True, str pad_mode="reflect", ...)
void translate_stft(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);
  if (ctx.is_complex(self)) throw Error(ExitCode::kUnsupportedOps, "a complex signal");
  const DType dt = ctx.dtype(node->output());
  const Frames f = frames_arg(ctx, node);
  const at::Tensor window = window_of(ctx, node, f);
  const int64_t rank = ctx.rank(self);  // [T] or [B, T]
  if (rank == 1 && ctx.dynamic_batch)
    throw Error(ExitCode::kUnsupportedOps,
                "an unbatched signal with a dynamic batch (dim 0 is its time axis)");
  ir::Value* x = ctx.tensor_as(self, dt);
  int64_t length = ctx.sizes(self).back();
  if (optional_bool(ctx, node, "center", false)) {
    x = center_pad(ctx, node, x, rank, f.n_fft);
    length += 2 * (f.n_fft / 2);
  }
  const int64_t count = 1 + (length - f.n_fft) / f.hop;
  ir::Tensor index(DType::Int64, {count, f.n_fft});
  for (int64_t i = 0; i < count; ++i)
    for (int64_t k = 0; k < f.n_fft; ++k) index.data<int64_t>()[i * f.n_fft + k] = i * f.hop + k;
  ir::Value* frames = typed(
      ctx.op("Gather", {x, ctx.constant(std::move(index), "frames")}, {{"axis", rank - 1}}), dt);
  frames = typed(ctx.op("Mul", {frames, host_vector(ctx, window, dt)}), dt);
  std::vector<int64_t> sizes = ctx.sizes(self);
  sizes.back() = count;
  sizes.push_back(f.n_fft);
  Signal s{as_scale(ctx, frames, rank + 1), sizes, dt};
  dft(ctx, s, rank, false, optional_bool(ctx, node, "onesided", true));
  if (optional_bool(ctx, node, "normalized", false))
    scale(ctx, s, 1.0 / std::sqrt(static_cast<double>(f.n_fft)));
  // [.., frames, bins, 2] -> [.., bins, frames, 2]
  std::vector<int64_t> perm = {rank, rank - 1, rank + 1};
  if (rank == 2) perm.insert(perm.begin(), 0);
  ctx.bind(node->output(), typed(ctx.op("Transpose", {s.x}, {{"perm", perm}}), dt));
}

// aten::istft(Tensor self, int n_fft, int? hop_length=None, int? win_length=None,
//             Tensor? window=None, bool center=True, bool normalized=False,
//             bool? onesided=None, int? length=None, bool return_complex=False) -> Tensor
void translate_istft(TranslateContext& ctx, const JitNode* node) {
  const JitValue* self = node->input(0);  // [bins, frames] or [B, bins, frames], complex
  if (!ctx.is_complex(self)) throw Error(ExitCode::kUnsupportedOps, "a real spectrum");
  if (optional_bool(ctx, node, "return_complex", false))
    throw Error(ExitCode::kUnsupportedOps, "return_complex=True");
  const DType dt = ctx.dtype(node->output());
  const Frames f = frames_arg(ctx, node);
  const at::Tensor window = window_of(ctx, node, f);
  const int64_t rank = ctx.rank(self);
  if (rank == 2 && ctx.dynamic_batch)
    throw Error(ExitCode::kUnsupportedOps,
                "an unbatched spectrum with a dynamic batch (dim 0 is its frequency axis)");
  std::vector<int64_t> sizes = ctx.sizes(self);
  const int64_t count = sizes.back();
  std::swap(sizes[static_cast<size_t>(rank - 1)], sizes[static_cast<size_t>(rank - 2)]);
  std::vector<int64_t> perm = {rank - 1, rank - 2, rank};
  if (rank == 3) perm.insert(perm.begin(), 0);
  Signal s{typed(ctx.op("Transpose", {ctx.tensor(self)}, {{"perm", perm}}), dt), sizes, dt};

  // PyTorch inverts a full spectrum through its first n_fft / 2 + 1 bins too (c2r cuts them).
  const std::string norm = optional_bool(ctx, node, "normalized", false) ? "ortho" : "backward";
  c2r(ctx, s, rank - 1, f.n_fft, norm, false);
  ir::Value* y = typed(ctx.op("Squeeze", {s.x}, {{"axes", std::vector<int64_t>{rank}}}), dt);
  y = typed(ctx.op("Mul", {y, host_vector(ctx, window, dt)}), dt);  // [.., frames, n_fft]

  const int64_t pieces = (f.n_fft + f.hop - 1) / f.hop;
  if (pieces * f.hop > f.n_fft) {
    std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
    pads.back() = pieces * f.hop - f.n_fft;
    y = typed(
        ctx.op("Pad", {y}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
        dt);
  }
  ir::Value* sum = nullptr;
  for (int64_t j = 0; j < pieces; ++j) {
    ir::Value* piece =
        typed(ctx.op("Slice", {y, ctx.int64_vector({j * f.hop}),
                               ctx.int64_vector({(j + 1) * f.hop}), ctx.int64_vector({rank - 1})}),
              dt);
    std::vector<int64_t> pads(static_cast<size_t>(2 * rank), 0);
    pads[static_cast<size_t>(rank - 2)] = j;
    pads[static_cast<size_t>(2 * rank - 2)] = pieces - 1 - j;
    piece = typed(
        ctx.op("Pad", {piece}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
        dt);
    sum = sum ? typed(ctx.op("Add", {sum, piece}), dt) : piece;
  }
  const int64_t total = (count + pieces - 1) * f.hop;
  std::vector<int64_t> flat = {total};
  if (rank == 3) flat.insert(flat.begin(), 0);  // 0 keeps the batch dim
  y = typed(ctx.op("Reshape", {sum, ctx.int64_vector(flat)}), dt);

  // The squared window overlap-added over the frames: what each sample was weighted by.
  const int64_t expected = f.n_fft + f.hop * (count - 1);
  at::Tensor envelope = at::zeros({expected}, at::kDouble);
  const at::Tensor squared = window * window;
  for (int64_t i = 0; i < count; ++i) envelope.narrow(0, i * f.hop, f.n_fft).add_(squared);
  const int64_t start = optional_bool(ctx, node, "center", true) ? f.n_fft / 2 : 0;
  const int64_t out_length = ctx.sizes(node->output()).back();
  const int64_t end = std::min(start + out_length, expected);
  y = typed(ctx.op("Slice", {y, ctx.int64_vector({start}), ctx.int64_vector({end}),
                             ctx.int64_vector({rank - 2})}),
            dt);
  y = typed(ctx.op("Div", {y, host_vector(ctx, envelope.slice(0, start, end), dt)}), dt);
  if (start + out_length > expected) {  // a `length` past the signal: zeros, as in PyTorch
    std::vector<int64_t> pads(static_cast<size_t>(2 * (rank - 1)), 0);
    pads.back() = start + out_length - expected;
    y = typed(
        ctx.op("Pad", {y}, {{"mode", std::string("constant")}, {"pads", pads}, {"value", 0.0}}),
        dt);
  }
  ctx.bind(node->output(), y);
}

}  // namespace mlexport::frontend::torchscript
