// Float32 -> float16 conversion of constants and computation (--precision fp16).
//
// Each node that reads or writes a float32 value is planned as one of
//   half:  runs in float16; its float32 inputs arrive as float16, its float32 outputs become
//   float16 float: stays float32; float16 inputs are cast back first as-is: accepts any input type
//   (Shape, Cast to a non-float type) and is left alone.
// Casts are shared: a value is cast at most once per direction, and casting a cast's output back
// returns the value it came from, so no Cast pair ever round-trips through float16.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mlexport/diagnostics.h"
#include "passes/precision.h"
#include "passes/rewriter.h"

namespace mlexport::passes {
namespace {

using ir::DType;

// Opset-17 schemas with no float16 for the float tensors they read or write (found by scanning
// libonnx 1.12's schema registry), or with float32-only inputs (scales of Resize, Upsample and
// the quantization ops).
const std::set<std::string> kNoFloat16Schema = {"Celu",
                                                "IsInf",
                                                "Range",
                                                "TfIdfVectorizer",
                                                "Resize",
                                                "Upsample",
                                                "NonMaxSuppression",
                                                "QuantizeLinear",
                                                "DequantizeLinear",
                                                "DynamicQuantizeLinear",
                                                "QLinearConv",
                                                "QLinearMatMul"};

// Kept float32 on purpose. Measured with ONNX Runtime 1.30's CPU provider on this x86 machine:
// it has float16 kernels for almost no compute op (Conv, MatMul, Relu, Erf... get Casts that ORT
// inserts itself), so the figures that matter are accuracy and node count:
// - Softmax, LogSoftmax: with no float16 kernel ORT expands the function body into 5-7 nodes,
//   each wrapped in Casts; in float32 it is one kernel between two Casts, and the sum of
//   exponentials stays float32 on runtimes that would compute it in float16.
// - Resize: no float16 kernel in ORT either, and its scales input is float32-only.
// - sum-like reductions and CumSum: results grow with the extent and overflow float16 (65504).
// - InstanceNormalization and friends: variance sums in the op's type on some runtimes.
//   LayerNormalization is not here: ORT has a float16 kernel that accumulates in float32
//   (measured: over 4096 elements of N(50, 20^2) it is within float16 output rounding, 1.5e-3).
// - Erf stays float16: measured within 4.1e-4 of float32, the size of float16 rounding.
// - DFT, STFT: each output is a sum over the whole transformed axis, like ReduceSum.
// - ops whose output type comes from a dtype attribute, and ops holding subgraphs.
const std::set<std::string> kKeepFloat32 = {"Softmax",
                                            "LogSoftmax",
                                            "ReduceSum",
                                            "ReduceSumSquare",
                                            "ReduceL1",
                                            "ReduceL2",
                                            "ReduceLogSum",
                                            "ReduceLogSumExp",
                                            "ReduceProd",
                                            "CumSum",
                                            "DFT",
                                            "STFT",
                                            "InstanceNormalization",
                                            "GroupNormalization",
                                            "MeanVarianceNormalization",
                                            "LpNormalization",
                                            "RandomNormal",
                                            "RandomUniform",
                                            "RandomNormalLike",
                                            "RandomUniformLike",
                                            "Multinomial",
                                            "Bernoulli",
                                            "EyeLike",
                                            "Constant",
                                            "If",
                                            "Loop",
                                            "Scan"};

// Means over more elements than this stay float32: a float16 running sum of ~1000 terms drifts
// by about 1e-2 (sqrt(n) roundings of 2^-11) on runtimes that accumulate in float16.
constexpr int64_t kMaxFloat16MeanExtent = 1024;

constexpr double kFloat16Max = 65504.0;

// Ops the quantization pass emits: their float scales (~1e-5) would lose precision in float16.
const std::set<std::string> kQuantizedOps = {"DynamicQuantizeLinear", "MatMulInteger",
                                             "ConvInteger"};

// Finite values beyond float16's range become its largest value instead of infinity; real
// infinities (attention masks) stay infinite.
ir::Tensor to_half(const ir::Tensor& t) {
  ir::Tensor out(DType::Float16, t.shape);
  const float* src = t.data<float>();
  uint16_t* dst = out.data<uint16_t>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    float v = src[i];
    if (std::isfinite(v)) v = static_cast<float>(std::clamp<double>(v, -kFloat16Max, kFloat16Max));
    dst[i] = ir::float_to_half(v);
  }
  return out;
}

// Number of elements each output of a mean averages; nullopt when not known at export time.
std::optional<int64_t> mean_extent(const ir::Node& n) {
  const ir::Value* x = n.input(0);
  if (!x || !x->shape) return std::nullopt;
  const ir::Shape& shape = *x->shape;
  const auto rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> axes;
  if (n.op == "GlobalAveragePool") {
    for (int64_t k = 2; k < rank; ++k) axes.push_back(k);
  } else if (const ir::Value* a = n.input(1)) {
    if (!a->is_constant()) return std::nullopt;
    axes = a->constant->to_int_vector();
  } else {
    axes = n.ints("axes");
  }
  if (axes.empty()) {
    if (n.i("noop_with_empty_axes", 0) != 0) return 1;
    for (int64_t k = 0; k < rank; ++k) axes.push_back(k);
  }
  int64_t count = 1;
  for (int64_t axis : axes) {
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank || !shape[static_cast<size_t>(axis)].is_fixed())
      return std::nullopt;
    count *= shape[static_cast<size_t>(axis)].size;
  }
  return count;
}

enum class Mode { kAsIs, kHalf, kFloat };

class Fp16Converter {
 public:
  Fp16Converter(ir::Graph& graph, const Fp16Options& options) : graph_(graph), options_(options) {}

  Fp16Report run() {
    for (const auto& n : graph_.nodes())
      if (kQuantizedOps.count(n->op))
        throw bad_input("fp16 conversion of an int8-quantized graph is not supported (node " +
                        n->name + " is " + n->op + "); choose fp16 or int8");
    for (const std::string& entry : options_.keep_float32) {
      bool matched = false;
      for (const auto& n : graph_.nodes()) matched = matched || kept_float32(*n, {entry});
      if (!matched) report_.unmatched_keep_float32.push_back(entry);
    }
    collect_float32_values();
    find_data_values();
    for (const auto& n : graph_.nodes()) plan_.emplace_back(n.get(), mode_of(*n));
    plan_constants();
    if (!options_.keep_io_fp32)
      for (ir::Value* v : graph_.inputs())
        if (f32_.count(v)) v->dtype = DType::Float16;
    for (auto [node, mode] : plan_) {
      if (mode == Mode::kHalf) to_half_node(*node);
      if (mode == Mode::kFloat) to_float_node(*node);
    }
    fix_outputs();
    graph_.collect_garbage();  // constants replaced by float16 copies
    return report_;
  }

 private:
  ir::Graph& graph_;
  const Fp16Options& options_;
  Fp16Report report_;
  std::set<const ir::Value*> f32_;   // values that were float32 before the pass
  std::set<const ir::Value*> data_;  // values computed from tensor data, not only from shapes
  std::vector<std::pair<ir::Node*, Mode>> plan_;
  std::map<const ir::Value*, ir::Value*> half_of_, float_of_;  // the other-precision twin

  void collect_float32_values() {
    auto note = [&](const ir::Value* v) {
      if (v && v->dtype == DType::Float32) f32_.insert(v);
    };
    for (const ir::Value* v : graph_.inputs()) note(v);
    for (const ir::Value* v : graph_.outputs()) note(v);
    for (const auto& n : graph_.nodes()) {
      for (const ir::Value* v : n->inputs) note(v);
      for (const ir::Value* v : n->outputs) note(v);
    }
  }

  // Float arithmetic on sizes (Shape -> Cast -> Mul -> Floor -> Cast) stays float32 so that
  // sizes above 2048 keep every digit.
  void find_data_values() {
    data_.insert(graph_.inputs().begin(), graph_.inputs().end());
    for (const auto& n : graph_.nodes()) {
      if (n->op == "Shape" || n->op == "Size") continue;
      bool from_data = n->op == "ConstantOfShape";  // a tensor of the data's size
      for (const ir::Value* v : n->inputs) from_data = from_data || (v && data_.count(v));
      if (from_data) data_.insert(n->outputs.begin(), n->outputs.end());
    }
  }

  bool touches_float32(const ir::Node& n) const {
    for (const ir::Value* v : n.inputs)
      if (v && f32_.count(v)) return true;
    for (const ir::Value* v : n.outputs)
      if (f32_.count(v)) return true;
    return false;
  }

  Mode mode_of(const ir::Node& n) const {
    if (!touches_float32(n) || n.op == "Shape" || n.op == "Size") return Mode::kAsIs;
    const bool from_data = !n.outputs.empty() && data_.count(n.outputs[0]);
    if (n.op == "Cast") {
      if (n.i("to", -1) != static_cast<int64_t>(DType::Float32)) return Mode::kAsIs;
      return from_data ? Mode::kHalf : Mode::kFloat;
    }
    if (!from_data) return Mode::kFloat;
    if (kNoFloat16Schema.count(n.op) || kKeepFloat32.count(n.op)) return Mode::kFloat;
    if (kept_float32(n, options_.keep_float32)) return Mode::kFloat;
    // Mean and InvStdDev outputs of LayerNormalization are float32 whatever X is.
    if (n.op == "LayerNormalization" && n.outputs.size() > 1) return Mode::kFloat;
    if (n.op == "ReduceMean" || n.op == "GlobalAveragePool") {
      auto extent = mean_extent(n);
      if (!extent || *extent > kMaxFloat16MeanExtent) return Mode::kFloat;
    }
    return Mode::kHalf;
  }

  // A float32 constant is converted in place when nothing needs it in float32; otherwise the
  // float16 users get a float16 copy. The original keeps the dtype a graph output asks for.
  void plan_constants() {
    std::set<ir::Value*> half_users, float_users;
    for (auto [node, mode] : plan_) {
      if (mode == Mode::kAsIs) continue;
      for (ir::Value* v : node->inputs)
        if (v && v->is_constant() && f32_.count(v))
          (mode == Mode::kHalf ? half_users : float_users).insert(v);
    }
    for (ir::Value* v : graph_.outputs())
      if (v->is_constant() && f32_.count(v))
        (options_.keep_io_fp32 ? float_users : half_users).insert(v);
    const auto& outs = graph_.outputs();
    for (ir::Value* v : half_users) {
      ++report_.converted_constants;
      const bool half_output =
          !options_.keep_io_fp32 && std::find(outs.begin(), outs.end(), v) != outs.end();
      if (!float_users.count(v) || half_output) {
        if (float_users.count(v)) float_of_[v] = graph_.add_constant(*v->constant, v->name);
        v->constant = to_half(*v->constant);
        v->dtype = DType::Float16;
      } else {
        half_of_[v] = graph_.add_constant(to_half(*v->constant), v->name + "_fp16");
      }
    }
  }

  ir::Value* cast(ir::Value* v, DType to, const ir::Node* before) {
    std::map<std::string, ir::Attribute> attrs = {{"to", static_cast<int64_t>(to)}};
    ir::Value* out = Rewriter(graph_, before).op("Cast", {v}, std::move(attrs));
    out->dtype = to;
    out->shape = v->shape;
    ++report_.casts_inserted;
    return out;
  }

  ir::Value* as_half(ir::Value* v, const ir::Node* consumer) {
    if (v->dtype == DType::Float16) return v;
    if (auto it = half_of_.find(v); it != half_of_.end()) return it->second;
    ir::Value* h = cast(v, DType::Float16, consumer);
    half_of_[v] = h;
    float_of_[h] = v;
    return h;
  }

  ir::Value* as_float(ir::Value* v, const ir::Node* consumer) {
    if (v->dtype == DType::Float32) return v;
    if (auto it = float_of_.find(v); it != float_of_.end()) return it->second;
    ir::Value* f = cast(v, DType::Float32, consumer);
    float_of_[v] = f;
    half_of_[f] = v;
    return f;
  }

  void to_half_node(ir::Node& n) {
    for (ir::Value*& v : n.inputs)
      if (v && f32_.count(v)) v = as_half(v, &n);
    for (ir::Value* v : n.outputs)
      if (f32_.count(v)) v->dtype = DType::Float16;
    if (n.op == "Cast") n.attrs["to"] = static_cast<int64_t>(DType::Float16);
    if (n.op == "ConstantOfShape") {
      auto it = n.attrs.find("value");
      if (it == n.attrs.end()) {  // the default is a float32 zero
        n.attrs["value"] = to_half(ir::Tensor(DType::Float32, {1}));
      } else if (auto* t = std::get_if<ir::Tensor>(&it->second); t && t->dtype == DType::Float32) {
        it->second = to_half(*t);
      }
    }
  }

  void to_float_node(ir::Node& n) {
    for (ir::Value*& v : n.inputs)
      if (v && f32_.count(v)) v = as_float(v, &n);
  }

  // Outputs keep their names; the value that ends up in the other precision is renamed.
  void fix_outputs() {
    const DType want = options_.keep_io_fp32 ? DType::Float32 : DType::Float16;
    std::map<ir::Value*, ir::Value*> replaced;
    for (ir::Value*& slot : graph_.outputs()) {
      if (!f32_.count(slot) || slot->dtype == want) continue;
      auto it = replaced.find(slot);
      if (it == replaced.end()) {
        ir::Value* v = slot;
        auto& twins = want == DType::Float32 ? float_of_ : half_of_;
        ir::Value* w = twins.count(v) ? twins[v] : nullptr;
        if (!w) {
          ir::Node* c = graph_.add_node("Cast", {v}, 1, {{"to", static_cast<int64_t>(want)}});
          w = c->outputs[0];
          w->dtype = want;
          w->shape = v->shape;
          ++report_.casts_inserted;
        }
        const std::string name = v->name;
        v->name = graph_.unique_name(name + (v->dtype == DType::Float16 ? "_fp16" : "_fp32"));
        w->name = name;
        it = replaced.emplace(v, w).first;
      }
      slot = it->second;
    }
  }
};

}  // namespace

bool kept_float32(const ir::Node& node, const std::vector<std::string>& entries) {
  const std::string scope = ir::split_source(node.source).first;
  for (const std::string& entry : entries) {
    if (entry.empty()) continue;
    if (entry == node.op || entry == node.source_op || entry == scope) return true;
    // A module's scope covers the modules inside it ("encoder" covers "encoder.layers.0").
    if (scope.size() > entry.size() && scope.compare(0, entry.size(), entry) == 0 &&
        (scope[entry.size()] == '.' || scope[entry.size()] == '/'))
      return true;
  }
  return false;
}

Fp16Report convert_to_fp16(ir::Graph& graph, const Fp16Options& options) {
  if (ir::has_control_flow(graph))
    throw Error(ExitCode::kUnsupportedOps,
                "fp16 conversion of a model with control flow (If/Loop) is not supported; export "
                "it in fp32");
  return Fp16Converter(graph, options).run();
}

}  // namespace mlexport::passes
