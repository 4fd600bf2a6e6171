// Dynamic int8 quantization of MatMul / Gemm / Conv weights (--quantize int8), the way ONNX
// Runtime's quantize_dynamic does it:
//   x -> DynamicQuantizeLinear -> x_q (uint8), x_scale, x_zero_point     (per tensor, at run time)
//   y = Cast<float>(MatMulInteger(x_q, w_q, x_zero_point)) * (x_scale * w_scale) [+ bias]
// Weights are symmetric: zero point 0, w_scale = max|w| / 127 per output channel (or per tensor),
// so the weight zero point input is omitted. ONNX Runtime fuses this pattern into its
// DynamicQuantizeMatMul / MatMulIntegerToFloat kernels (seen in its optimized model).
//
// Conv, measured with ONNX Runtime 1.30's CPU provider (64->64 channels, 3x3, 56x56 input):
// ConvInteger with int8 weights runs but takes 10.6 ms against 2.9 ms for the float Conv, and a
// per-channel weight zero point is refused ("Non per-tensor quantization is not supported").
// Its uint8 path with one zero point takes 2.0-2.3 ms. So Conv weights are stored as
// uint8 = int8 + 128 with the scalar zero point 128: the same bytes and values as int8, with
// the per-channel scales applied after ConvInteger. Weight-only DequantizeLinear(int8) -> Conv
// was the other candidate: as small and a little more accurate (cosine 0.99997 vs 0.99992),
// but no faster than float (2.8 ms).
#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "mlexport/diagnostics.h"
#include "passes/precision.h"
#include "passes/rewriter.h"

namespace mlexport::passes {
namespace {

using ir::DType;

// Smaller weights stay float: saving under 768 bytes is not worth five more nodes and a
// run-time quantization of the input.
constexpr int64_t kMinWeightElements = 256;
constexpr double kInt8Max = 127.0;  // symmetric range [-127, 127]
constexpr uint8_t kConvZeroPoint = 128;

uint64_t constant_bytes(const ir::Graph& graph) {
  uint64_t total = 0;
  for (const ir::Value* v : graph.constants()) total += v->constant->nbytes();
  return total;
}

// Where a weight's elements go and which output channel each belongs to.
struct WeightLayout {
  std::vector<int64_t> shape;  // of the quantized tensor
  int64_t channels = 1;        // output channels (1 for per-tensor)
  // Source element index -> (destination index, channel).
  std::function<std::pair<int64_t, int64_t>(int64_t)> place;
};

struct QuantizedWeight {
  ir::Value* weight = nullptr;      // int8 [K, N] (MatMul, Gemm) or uint8 [M, C/g, k...] (Conv)
  ir::Value* zero_point = nullptr;  // Conv only: uint8 scalar 128
  ir::Value* scale = nullptr;       // float32: [N], [M, 1, ..., 1] or a scalar
};

class Int8Quantizer {
 public:
  Int8Quantizer(ir::Graph& graph, const QuantizeOptions& options)
      : graph_(graph), options_(options) {}

  QuantizeReport run() {
    report_.bytes_before = constant_bytes(graph_);
    std::vector<ir::Node*> candidates;
    for (const auto& n : graph_.nodes())
      if (n->op == "MatMul" || n->op == "Gemm" || n->op == "Conv") candidates.push_back(n.get());
    for (const ir::Node* n : candidates)  // before anything changes
      if (const ir::Value* w = n->input(1); w && w->is_constant() && w->dtype == DType::Float16)
        throw bad_input("int8 quantization needs float32 weights, but " + n->name + " (" + n->op +
                        ") has float16 ones: a float16 model, or one already converted to fp16");
    for (ir::Node* n : candidates) {
      const ir::Value* w = n->input(1);       // the weight of all three
      if (!w || !w->is_constant()) continue;  // activation x activation: not a weight op
      bool done = n->op == "Conv" ? conv(*n) : matmul(*n);
      ++(done ? report_.quantized : report_.skipped);
    }
    graph_.collect_garbage();  // the float weights
    report_.bytes_after = constant_bytes(graph_);
    return report_;
  }

 private:
  ir::Graph& graph_;
  const QuantizeOptions& options_;
  QuantizeReport report_;
  std::map<const ir::Value*, std::array<ir::Value*, 3>> activations_;
  // A weight shared by several nodes is quantized once per layout and Gemm alpha.
  enum Layout { kColumns, kTransposedColumns, kConvChannels };
  std::map<std::tuple<const ir::Value*, Layout, double>, QuantizedWeight> weights_;

  static bool usable_weight(const ir::Value* w) {
    return w && w->is_constant() && w->dtype == DType::Float32 &&
           w->constant->numel() >= kMinWeightElements;
  }
  static bool float_activation(const ir::Value* x) {
    return x && !x->is_constant() && x->dtype == DType::Float32;
  }

  // Symmetric quantization into `layout`; `scale_shape` is the shape of a per-channel scale.
  QuantizedWeight quantize(const ir::Value* w, const WeightLayout& layout, double multiplier,
                           bool as_uint8, const std::vector<int64_t>& scale_shape) {
    const ir::Tensor& src = *w->constant;
    const float* values = src.data<float>();
    const int64_t n = src.numel();
    std::vector<double> max_abs(static_cast<size_t>(layout.channels), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      double& m = max_abs[static_cast<size_t>(layout.place(i).second)];
      if (std::isfinite(values[i])) m = std::max(m, std::fabs(static_cast<double>(values[i])));
    }
    std::vector<double> scale(max_abs.size());
    for (size_t c = 0; c < scale.size(); ++c) scale[c] = max_abs[c] > 0 ? max_abs[c] / kInt8Max : 1;

    ir::Tensor q(as_uint8 ? DType::UInt8 : DType::Int8, layout.shape);
    for (int64_t i = 0; i < n; ++i) {
      auto [to, c] = layout.place(i);
      double v = std::nearbyint(values[i] / scale[static_cast<size_t>(c)]);
      v = std::isnan(v) ? 0.0 : std::clamp(v, -kInt8Max, kInt8Max);  // infinities: +-127
      if (as_uint8)
        q.data<uint8_t>()[to] = static_cast<uint8_t>(v + kConvZeroPoint);
      else
        q.data<int8_t>()[to] = static_cast<int8_t>(v);
    }
    ir::Tensor s(DType::Float32, layout.channels == 1 ? std::vector<int64_t>{} : scale_shape);
    for (size_t c = 0; c < scale.size(); ++c)
      s.data<float>()[c] = static_cast<float>(scale[c] * multiplier);

    QuantizedWeight out;
    out.weight = graph_.add_constant(std::move(q), w->name + (as_uint8 ? "_uint8" : "_int8"));
    out.scale = graph_.add_constant(std::move(s), w->name + "_scale");
    if (as_uint8)
      out.zero_point = graph_.add_constant(ir::Tensor::scalar_of(DType::UInt8, kConvZeroPoint),
                                           w->name + "_zero_point");
    return out;
  }

  // x_q, x_scale, x_zero_point of an activation, quantized once before its first consumer.
  std::array<ir::Value*, 3> quantized_activation(ir::Value* x, const ir::Node& consumer) {
    if (auto it = activations_.find(x); it != activations_.end()) return it->second;
    auto node = graph_.make_detached_node("DynamicQuantizeLinear", {x}, 3);
    node->source = consumer.source;
    node->source_op = consumer.source_op;
    ir::Node* n = graph_.insert_node(graph_.index_of(&consumer), std::move(node));
    n->outputs[0]->dtype = DType::UInt8;
    n->outputs[0]->shape = x->shape;
    n->outputs[1]->dtype = DType::Float32;
    n->outputs[1]->shape = ir::Shape{};
    n->outputs[2]->dtype = DType::UInt8;
    n->outputs[2]->shape = ir::Shape{};
    std::array<ir::Value*, 3> out = {n->outputs[0], n->outputs[1], n->outputs[2]};
    activations_[x] = out;
    return out;
  }

  static ir::Value* typed(ir::Value* v, DType dtype, std::optional<ir::Shape> shape) {
    v->dtype = dtype;
    v->shape = std::move(shape);
    return v;
  }

  // Cast(integer product) * (x_scale * w_scale) + bias, replacing `node`'s output.
  void finish(ir::Node& node, ir::Value* product, ir::Value* x_scale, const QuantizedWeight& w,
              ir::Value* bias) {
    const auto& out_shape = node.outputs[0]->shape;
    Rewriter r(graph_, &node);
    std::map<std::string, ir::Attribute> to_float = {{"to", static_cast<int64_t>(DType::Float32)}};
    ir::Value* y = typed(r.op("Cast", {product}, to_float), DType::Float32, out_shape);
    ir::Value* scale = typed(r.op("Mul", {x_scale, w.scale}), DType::Float32, w.scale->shape);
    y = typed(r.op("Mul", {y, scale}), DType::Float32, out_shape);
    if (bias) y = typed(r.op("Add", {y, bias}), DType::Float32, out_shape);
    replace_node_output(graph_, &node, y);
  }

  // MatMul(x, W[K, N]) and Gemm(x, B, C) with transA = 0.
  bool matmul(ir::Node& n) {
    const bool gemm = n.op == "Gemm";
    ir::Value* x = n.input(0);
    const ir::Value* b = n.input(1);
    if (!float_activation(x) || !usable_weight(b) || b->constant->shape.size() != 2) return false;
    if (gemm && n.i("transA", 0) != 0) return false;
    const bool trans_b = gemm && n.i("transB", 0) != 0;
    const double alpha = gemm ? n.f("alpha", 1.0) : 1.0;
    const double beta = gemm ? n.f("beta", 1.0) : 1.0;
    ir::Value* c = gemm ? n.input(2) : nullptr;
    if (c && c->dtype != DType::Float32) return false;

    auto key = std::make_tuple(b, trans_b ? kTransposedColumns : kColumns, alpha);
    auto it = weights_.find(key);
    if (it == weights_.end()) {
      const int64_t rows = b->constant->shape[0], cols = b->constant->shape[1];
      const int64_t k = trans_b ? cols : rows, channels = trans_b ? rows : cols;
      WeightLayout layout;
      layout.shape = {k, channels};
      layout.channels = options_.per_channel ? channels : 1;
      const bool per_channel = options_.per_channel;
      layout.place = [=](int64_t i) -> std::pair<int64_t, int64_t> {
        const int64_t row = i / cols, col = i % cols;
        const int64_t kk = trans_b ? col : row, ch = trans_b ? row : col;
        return {kk * channels + ch, per_channel ? ch : 0};
      };
      it = weights_.emplace(key, quantize(b, layout, alpha, false, {channels})).first;
    }
    const QuantizedWeight& w = it->second;

    ir::Value* bias = c;
    if (c && beta != 1.0) {
      if (c->is_constant()) {
        ir::Tensor scaled = c->constant->cast(DType::Float64);
        for (int64_t i = 0; i < scaled.numel(); ++i) scaled.data<double>()[i] *= beta;
        bias = graph_.add_constant(scaled.cast(DType::Float32), c->name + "_beta");
      } else {
        Rewriter r(graph_, &n);
        bias = typed(r.op("Mul", {c, r.scalar(beta, DType::Float32)}), DType::Float32, c->shape);
      }
    }
    auto [x_q, x_scale, x_zero] = quantized_activation(x, n);
    Rewriter r(graph_, &n);
    ir::Value* product =
        typed(r.op("MatMulInteger", {x_q, w.weight, x_zero}), DType::Int32, n.outputs[0]->shape);
    finish(n, product, x_scale, w, bias);
    return true;
  }

  // Conv(x, W[M, C/group, k...], B[M]).
  bool conv(ir::Node& n) {
    ir::Value* x = n.input(0);
    const ir::Value* wv = n.input(1);
    ir::Value* b = n.input(2);
    if (!float_activation(x) || !usable_weight(wv) || wv->constant->shape.size() < 3) return false;
    if (b && !(b->is_constant() && b->dtype == DType::Float32)) return false;
    const std::vector<int64_t>& wshape = wv->constant->shape;
    const int64_t channels = wshape[0];
    if (b && b->constant->numel() != channels) return false;
    // Per-channel factors broadcast over [N, M, spatial...] as [M, 1, ..., 1].
    std::vector<int64_t> channel_shape(wshape.size() - 1, 1);
    channel_shape[0] = channels;

    auto key = std::make_tuple(wv, kConvChannels, 1.0);
    auto it = weights_.find(key);
    if (it == weights_.end()) {
      WeightLayout layout;
      layout.shape = wshape;
      layout.channels = options_.per_channel ? channels : 1;
      const int64_t inner = wv->constant->numel() / channels;
      const bool per_channel = options_.per_channel;
      layout.place = [=](int64_t i) -> std::pair<int64_t, int64_t> {
        return {i, per_channel ? i / inner : 0};
      };
      it = weights_.emplace(key, quantize(wv, layout, 1.0, true, channel_shape)).first;
    }
    const QuantizedWeight& w = it->second;

    ir::Value* bias = nullptr;
    if (b) {
      ir::Tensor reshaped = *b->constant;  // shares the bytes; only the shape differs
      reshaped.shape = channel_shape;
      bias = graph_.add_constant(std::move(reshaped), b->name);
    }
    auto [x_q, x_scale, x_zero] = quantized_activation(x, n);
    Rewriter r(graph_, &n);
    ir::Value* product = typed(r.op("ConvInteger", {x_q, w.weight, x_zero, w.zero_point}, n.attrs),
                               DType::Int32, n.outputs[0]->shape);
    finish(n, product, x_scale, w, bias);
    return true;
  }
};

}  // namespace

QuantizeReport quantize_dynamic_int8(ir::Graph& graph, const QuantizeOptions& options) {
  if (ir::has_control_flow(graph))
    throw Error(ExitCode::kUnsupportedOps,
                "int8 quantization of a model with control flow (If/Loop) is not supported; export "
                "it in fp32");
  return Int8Quantizer(graph, options).run();
}

}  // namespace mlexport::passes
