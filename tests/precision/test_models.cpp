#include "test_models.h"

#include <stdlib.h>

#include <cmath>
#include <stdexcept>

#include "emit/onnx/onnx_emitter.h"
#include "ir/verifier.h"
#include "passes/pass.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::precision_test {

using ir::DType;
using ir::Tensor;
using Ints = std::vector<int64_t>;

ir::Value* Builder::input(const std::string& name, std::vector<int64_t> shape, DType dtype) {
  return g.add_input(name, dtype, ir::fixed_shape(shape));
}

ir::Value* Builder::weight(const std::string& name, std::vector<int64_t> shape, double stddev) {
  std::normal_distribution<float> dist(0.0f, static_cast<float>(stddev));
  Tensor t(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng_);
  return g.add_constant(std::move(t), name);
}

ir::Value* Builder::filled(const std::string& name, std::vector<int64_t> shape, float value) {
  Tensor t(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return g.add_constant(std::move(t), name);
}

ir::Value* Builder::ints(const std::string& name, std::vector<int64_t> values) {
  return g.add_constant(Tensor::vector_int64(values), name);
}

ir::Value* Builder::op(const std::string& type, std::vector<ir::Value*> inputs,
                       std::vector<int64_t> shape, std::map<std::string, ir::Attribute> attrs,
                       DType dtype) {
  ir::Node* n = g.add_node(type, std::move(inputs), 1, std::move(attrs));
  n->outputs[0]->dtype = dtype;
  n->outputs[0]->shape = ir::fixed_shape(shape);
  return n->outputs[0];
}

void Builder::output(ir::Value* v, const std::string& name) {
  v->name = name;
  g.mark_output(v);
}

namespace {

ir::Value* scalar(ir::Graph& g, double v) {
  return g.add_constant(Tensor::scalar_of(DType::Float32, v), "c");
}

// LayerNormalization scale around 1, bias around 0.
ir::Value* layer_norm(Builder& b, ir::Value* x, const std::string& name, const Ints& shape) {
  ir::Value* scale = b.weight(name + ".weight", {shape.back()}, 0.1);
  for (int64_t i = 0; i < shape.back(); ++i) scale->constant->data<float>()[i] += 1.0f;
  ir::Value* bias = b.weight(name + ".bias", {shape.back()}, 0.1);
  return b.op("LayerNormalization", {x, scale, bias}, shape,
              {{"axis", int64_t{-1}}, {"epsilon", 1e-5}});
}

ir::Value* linear(Builder& b, ir::Value* x, const std::string& name, int64_t in, int64_t out,
                  Ints out_shape) {
  ir::Value* w = b.weight(name + ".weight", {in, out}, 1.0 / std::sqrt(static_cast<double>(in)));
  ir::Value* y = b.op("MatMul", {x, w}, out_shape);
  return b.op("Add", {y, b.weight(name + ".bias", {out}, 0.02)}, out_shape);
}

}  // namespace

void build_cnn(ir::Graph& g) {
  Builder b(g, 11);
  const Ints k3 = {3, 3}, pad1 = {1, 1, 1, 1};
  ir::Value* x = b.input("input", {2, 3, 32, 32});
  ir::Value* c1 = b.op("Conv",
                       {x, b.weight("conv1.weight", {64, 3, 3, 3}, std::sqrt(2.0 / 27)),
                        b.weight("conv1.bias", {64}, 0.1)},
                       {2, 64, 32, 32}, {{"kernel_shape", k3}, {"pads", pad1}});
  ir::Value* scale = b.weight("bn.weight", {64}, 0.1);
  ir::Value* var = b.weight("bn.running_var", {64}, 0.1);
  for (int64_t i = 0; i < 64; ++i) {
    scale->constant->data<float>()[i] += 1.0f;
    var->constant->data<float>()[i] = std::fabs(var->constant->data<float>()[i]) + 0.5f;
  }
  ir::Value* bn =
      b.op("BatchNormalization",
           {c1, scale, b.weight("bn.bias", {64}, 0.1), b.weight("bn.running_mean", {64}, 0.1), var},
           {2, 64, 32, 32}, {{"epsilon", 1e-5}});
  ir::Value* r1 = b.op("Relu", {bn}, {2, 64, 32, 32});
  ir::Value* c2 =
      b.op("Conv",
           {r1, b.weight("conv2.weight", {64, 64, 3, 3}, std::sqrt(2.0 / 576)),
            b.weight("conv2.bias", {64}, 0.1)},
           {2, 64, 16, 16}, {{"kernel_shape", k3}, {"pads", pad1}, {"strides", Ints{2, 2}}});
  ir::Value* r2 = b.op("Relu", {c2}, {2, 64, 16, 16});
  ir::Value* p =
      b.op("MaxPool", {r2}, {2, 64, 8, 8}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  ir::Value* f = b.op("Flatten", {p}, {2, 4096}, {{"axis", int64_t{1}}});
  ir::Value* g1 = b.op("Gemm",
                       {f, b.weight("fc1.weight", {64, 4096}, std::sqrt(2.0 / 4096)),
                        b.weight("fc1.bias", {64}, 0.1)},
                       {2, 64}, {{"transB", int64_t{1}}});
  ir::Value* r3 = b.op("Relu", {g1}, {2, 64});
  ir::Value* logits =
      b.op("Gemm", {r3, b.weight("fc2.weight", {10, 64}, 0.125), b.weight("fc2.bias", {10}, 0.1)},
           {2, 10}, {{"transB", int64_t{1}}});
  b.output(logits, "logits");
}

void build_mlp(ir::Graph& g) {
  Builder b(g, 12);
  ir::Value* x = b.input("x", {8, 256});
  ir::Value* h1 = b.op(
      "Gemm", {x, b.weight("fc1.weight", {256, 256}, 1.0 / 16), b.weight("fc1.bias", {256}, 0.1)},
      {8, 256}, {{"transB", int64_t{1}}});
  ir::Value* r = b.op("Relu", {h1}, {8, 256});
  ir::Value* h2 =
      b.op("MatMul", {r, b.weight("fc2.weight", {256, 256}, std::sqrt(2.0 / 256))}, {8, 256});
  ir::Value* t =
      b.op("Tanh", {b.op("Add", {h2, b.weight("fc2.bias", {256}, 0.1)}, {8, 256})}, {8, 256});
  // transB = 0, alpha and beta not 1: quantization folds them into the scale and the bias.
  ir::Value* h3 = b.op(
      "Gemm", {t, b.weight("fc3.weight", {256, 10}, 1.0 / 16), b.weight("fc3.bias", {10}, 0.1)},
      {8, 10}, {{"alpha", 0.5}, {"beta", 2.0}});
  ir::Value* y = b.op("Gemm",
                      {h3, b.weight("fc4.weight", {10, 10}, 0.3),  // 100: stays float
                       b.weight("fc4.bias", {10}, 0.1)},
                      {8, 10}, {{"transB", int64_t{1}}});
  b.output(y, "y");
}

void build_transformer(ir::Graph& g) {
  Builder b(g, 13);
  const int64_t B = 2, S = 16, D = 256, H = 4, Dh = 64, F = 1024;
  const Ints tokens = {B, S, D};
  ir::Value* x = b.input("x", tokens);
  ir::Value* ln1 = layer_norm(b, x, "ln1", tokens);
  ir::Value* q = linear(b, ln1, "q", D, D, tokens);
  ir::Value* k = linear(b, ln1, "k", D, D, tokens);
  ir::Value* v = linear(b, ln1, "v", D, D, tokens);
  ir::Value* split = b.ints("heads_shape", {B, S, H, Dh});
  auto heads = [&](ir::Value* t, Ints perm, Ints shape) {
    ir::Value* r = b.op("Reshape", {t, split}, {B, S, H, Dh});
    return b.op("Transpose", {r}, shape, {{"perm", perm}});
  };
  ir::Value* qh = heads(q, {0, 2, 1, 3}, {B, H, S, Dh});
  ir::Value* kt = heads(k, {0, 2, 3, 1}, {B, H, Dh, S});
  ir::Value* vh = heads(v, {0, 2, 1, 3}, {B, H, S, Dh});
  ir::Value* scores = b.op("MatMul", {qh, kt}, {B, H, S, S});
  scores = b.op("Mul", {scores, scalar(g, 1.0 / std::sqrt(static_cast<double>(Dh)))}, {B, H, S, S});
  ir::Value* attn = b.op("Softmax", {scores}, {B, H, S, S}, {{"axis", int64_t{-1}}});
  ir::Value* ctx = b.op("MatMul", {attn, vh}, {B, H, S, Dh});
  ctx = b.op("Transpose", {ctx}, {B, S, H, Dh}, {{"perm", Ints{0, 2, 1, 3}}});
  ctx = b.op("Reshape", {ctx, b.ints("merge_shape", tokens)}, tokens);
  ir::Value* x2 = b.op("Add", {x, linear(b, ctx, "o", D, D, tokens)}, tokens);
  ir::Value* ln2 = layer_norm(b, x2, "ln2", tokens);
  const Ints wide = {B, S, F};
  ir::Value* h = linear(b, ln2, "fc1", D, F, wide);
  // GELU: 0.5 * h * (1 + erf(h / sqrt(2)))
  ir::Value* e = b.op("Erf", {b.op("Div", {h, scalar(g, std::sqrt(2.0))}, wide)}, wide);
  ir::Value* gelu =
      b.op("Mul", {b.op("Mul", {h, b.op("Add", {e, scalar(g, 1.0)}, wide)}, wide), scalar(g, 0.5)},
           wide);
  ir::Value* y = b.op("Add", {x2, linear(b, gelu, "fc2", F, D, tokens)}, tokens);
  b.output(y, "y");
}

std::vector<Model> all_models() {
  return {
      {"cnn", build_cnn, {{2, 3, 32, 32}}, 4, 0},
      {"mlp", build_mlp, {{8, 256}}, 3, 1},
      {"transformer", build_transformer, {{2, 16, 256}}, 6, 0},
  };
}

std::vector<Tensor> random_inputs(const std::vector<std::vector<int64_t>>& shapes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<Tensor> out;
  for (const auto& shape : shapes) {
    Tensor t(DType::Float32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    out.push_back(std::move(t));
  }
  return out;
}

Comparison compare(const Tensor& reference, const Tensor& other) {
  if (reference.shape != other.shape || reference.numel() == 0)
    throw std::runtime_error("compare: shapes differ or are empty");
  double max_diff = 0, max_abs = 0, dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < reference.numel(); ++i) {
    const double a = reference.value_as_double(i), b = other.value_as_double(i);
    max_diff = std::max(max_diff, std::fabs(a - b));
    max_abs = std::max(max_abs, std::fabs(a));
    dot += a * b;
    na += a * a;
    nb += b * b;
  }
  Comparison c;
  c.scaled_max_diff = max_diff / std::max(1.0, max_abs);
  c.cosine = (na == 0 || nb == 0) ? (na == nb ? 1.0 : 0.0) : dot / std::sqrt(na * nb);
  if (std::isnan(max_diff) || std::isnan(c.cosine)) c = {INFINITY, 0.0};
  return c;
}

void run_default_pipeline(ir::Graph& g, int opset) {
  passes::PipelineOptions options;
  options.verify_each = true;
  passes::PassContext context;
  context.opset_version = opset;
  passes::run_pipeline(g, context, options);
}

std::string ort_unavailable_reason() {
  std::string why;
  if (runtime::onnxruntime_available(&why)) return {};
  return why.empty() ? "unknown reason" : why;
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "precision_test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunOutcome emit_and_run(const ir::Graph& g, const std::string& path,
                        const std::vector<Tensor>& inputs, int opset) {
  RunOutcome out;
  emit::OnnxOptions options;
  options.opset_version = opset;
  out.file_bytes = emit::emit_onnx(g, path, options).bytes;
  out.outputs = runtime::run_onnxruntime(path, inputs).outputs;
  return out;
}

std::vector<const ir::Node*> nodes_of(const ir::Graph& g, const std::string& op) {
  std::vector<const ir::Node*> out;
  for (const auto& n : g.nodes())
    if (n->op == op) out.push_back(n.get());
  return out;
}

}  // namespace mlexport::precision_test
