// Hand-built IR graphs for the precision tests, with seeded weights big enough for the size
// figures to mean something, and helpers to emit them and run them in ONNX Runtime.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace mlexport::precision_test {

// Adds nodes with their output dtype and shape set, as the frontend does.
class Builder {
 public:
  Builder(ir::Graph& graph, uint32_t seed) : g(graph), rng_(seed) {}

  ir::Value* input(const std::string& name, std::vector<int64_t> shape,
                   ir::DType dtype = ir::DType::Float32);
  // N(0, stddev^2) float32 constant.
  ir::Value* weight(const std::string& name, std::vector<int64_t> shape, double stddev);
  ir::Value* filled(const std::string& name, std::vector<int64_t> shape, float value);
  ir::Value* ints(const std::string& name, std::vector<int64_t> values);
  ir::Value* op(const std::string& type, std::vector<ir::Value*> inputs, std::vector<int64_t> shape,
                std::map<std::string, ir::Attribute> attrs = {},
                ir::DType dtype = ir::DType::Float32);
  void output(ir::Value* v, const std::string& name);

  ir::Graph& g;

 private:
  std::mt19937 rng_;
};

// conv(3->64) - bn - relu - conv(64->64, stride 2) - relu - maxpool - flatten - gemm(4096->64)
// - relu - gemm(64->10). Input [2,3,32,32], output "logits" [2,10].
void build_cnn(ir::Graph& g);
// gemm(256->256, transB) - relu - matmul(256x256) + bias - tanh - gemm(256->10, alpha, beta)
// - gemm(10->10, 100 weights). Input [8,256], output "y" [8,10].
void build_mlp(ir::Graph& g);
// Pre-norm transformer block: LayerNorm, Q/K/V/O projections (256x256), 4-head attention with
// Softmax, LayerNorm, MLP 256->1024->256 with an Erf GELU, residuals. Input [2,16,256].
void build_transformer(ir::Graph& g);

struct Model {
  std::string name;
  std::function<void(ir::Graph&)> build;
  std::vector<std::vector<int64_t>> input_shapes;
  int weight_ops;  // MatMul/Gemm/Conv nodes with weights of 256 elements or more
  int small_weight_ops;
};
std::vector<Model> all_models();
// gtest prints parameters in test names: the model's name, not its bytes.
inline void PrintTo(const Model& m, std::ostream* os) {
  *os << m.name;
}

// Seeded N(0,1) inputs.
std::vector<ir::Tensor> random_inputs(const std::vector<std::vector<int64_t>>& shapes,
                                      uint32_t seed);

struct Comparison {
  double scaled_max_diff = 0;  // max|a-b| / max(1, max|a|)
  double cosine = 1;
};
Comparison compare(const ir::Tensor& reference, const ir::Tensor& other);

// The graph's pipeline at default settings for `opset` (as the exporter runs it before the
// precision passes), with the verifier after every pass.
void run_default_pipeline(ir::Graph& g, int opset = 17);

std::string ort_unavailable_reason();  // empty when ONNX Runtime can be used

// A private directory removed with the object.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct RunOutcome {
  uint64_t file_bytes = 0;
  std::vector<ir::Tensor> outputs;
};
// Emits at `opset` and runs the file in ONNX Runtime.
RunOutcome emit_and_run(const ir::Graph& g, const std::string& path,
                        const std::vector<ir::Tensor>& inputs, int opset = 17);

// Nodes of `op` in the graph.
std::vector<const ir::Node*> nodes_of(const ir::Graph& g, const std::string& op);

}  // namespace mlexport::precision_test
