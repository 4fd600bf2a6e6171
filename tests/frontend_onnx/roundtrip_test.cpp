// ONNX file -> IR -> ONNX (emit::emit_onnx), both files run in ONNX Runtime on the same seeded
// inputs: the re-emitted file must compute what the original computes (max abs diff <= 1e-5).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "emit/onnx/onnx_emitter.h"
#include "frontend/onnx/onnx_source.h"
#include "passes/pass.h"
#include "runtime/onnx_file_reference.h"
#include "runtime/onnxruntime_runner.h"
#include "support.h"

namespace mlexport::frontend::onnx {
namespace {

namespace fs = std::filesystem;
using testing::fixture;
using testing::max_abs_diff;
using testing::random_tensor;

constexpr double kMaxAbsDiff = 1e-5;

// Inputs for every graph input: fixed dims as they are, symbolic ones 3 (so a dynamic batch or
// sequence is really exercised), unknown rank 2x3x4x5.
std::vector<ir::Tensor> example_inputs(const ir::Graph& graph, uint32_t seed) {
  std::vector<ir::Tensor> inputs;
  for (const ir::Value* v : graph.inputs()) {
    std::vector<int64_t> shape = {2, 3, 4, 5};
    if (v->shape) {
      shape.clear();
      for (const ir::Dim& d : *v->shape) shape.push_back(d.is_fixed() ? d.size : 3);
    }
    inputs.push_back(random_tensor(v->dtype, shape, seed++));
  }
  return inputs;
}

bool skip_without_onnxruntime() {
  std::string why;
  if (runtime::onnxruntime_available(&why)) return false;
  std::cout << "[  SKIPPED ] ONNX Runtime is not available: " << why << "\n";
  return true;
}

// Emits `graph` at `opset`, runs it and compares with `reference` (the original's outputs).
void expect_same_outputs(const ir::Graph& graph, int opset, const std::vector<ir::Tensor>& inputs,
                         const std::vector<ir::Tensor>& reference, const std::string& out_dir,
                         double tolerance, bool scaled) {
  SCOPED_TRACE("emitted at opset " + std::to_string(opset));
  const std::string path = (fs::path(out_dir) / ("op" + std::to_string(opset) + ".onnx")).string();
  emit::OnnxOptions options;
  options.opset_version = opset;
  ASSERT_NO_THROW(emit::emit_onnx(graph, path, options));
  const runtime::RunResult got = runtime::run_onnxruntime(path, inputs);
  ASSERT_EQ(got.outputs.size(), reference.size());
  for (size_t k = 0; k < reference.size(); ++k) {
    SCOPED_TRACE("output " + std::to_string(k));
    EXPECT_EQ(got.outputs[k].dtype, reference[k].dtype);
    EXPECT_EQ(got.outputs[k].shape, reference[k].shape);
    double scale = 1;
    if (scaled)
      for (int64_t i = 0; i < reference[k].numel(); ++i)
        scale = std::max(scale, std::fabs(reference[k].value_as_double(i)));
    EXPECT_LE(max_abs_diff(reference[k], got.outputs[k]) / scale, tolerance);
  }
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, ReEmittedFileMatchesOriginal) {
  if (skip_without_onnxruntime()) GTEST_SKIP() << "ONNX Runtime is not available";
  const std::string path = fixture(GetParam() + ".onnx");
  ASSERT_FALSE(path.empty());
  OnnxImport imported = import_onnx(path, ImportOptions{});
  ASSERT_TRUE(imported.graph);
  const std::vector<ir::Tensor> inputs = example_inputs(*imported.graph, 7);
  const std::vector<ir::Tensor> reference = runtime::run_onnxruntime(path, inputs).outputs;
  std::string out_dir = testing::scratch_dir(fs::path(GetParam()).filename().string());
  expect_same_outputs(*imported.graph, 17, inputs, reference, out_dir, kMaxAbsDiff, false);
  // The emitter's own opset adaptation, back to the file's opset where it can write it.
  if (imported.opset >= 11 && imported.opset < 17)
    expect_same_outputs(*imported.graph, imported.opset, inputs, reference, out_dir, kMaxAbsDiff,
                        false);
  fs::remove_all(out_dir);
}

const std::vector<std::string> kHelperCases = {"squeeze_11",
                                               "squeeze_13",
                                               "squeeze_all_13",
                                               "unsqueeze_11",
                                               "unsqueeze_13",
                                               "reducemean_11",
                                               "reducemean_13",
                                               "reducesum_11",
                                               "reducesum_13",
                                               "reducesum_noop_13",
                                               "split_11",
                                               "split_13",
                                               "split_equal_13",
                                               "pad_10",
                                               "pad_11",
                                               "pad_reflect_13",
                                               "pad_edge_11",
                                               "clip_10",
                                               "clip_min_11",
                                               "clip_max_13",
                                               "clip_int_13",
                                               "slice_9",
                                               "slice_10",
                                               "slice_neg_13",
                                               "resize_nearest_10",
                                               "resize_down_10",
                                               "resize_linear_10",
                                               "resize_align_11",
                                               "resize_sizes_11",
                                               "resize_cubic_13",
                                               "resize_sizes_13",
                                               "upsample_9",
                                               "upsample_linear_7",
                                               "softmax_axis1_11",
                                               "softmax_default_9",
                                               "softmax_last_11",
                                               "logsoftmax_axis2_11",
                                               "hardmax_axis1_11",
                                               "batchnorm_spatial_7",
                                               "batchnorm_per_activation_7",
                                               "dropout_7",
                                               "dropout_12",
                                               "topk_9",
                                               "scatter_9",
                                               "onehot_9",
                                               "roialign_10",
                                               "float16_13",
                                               "constants_13",
                                               "initializer_input_7",
                                               "typed_fields_13",
                                               "symbolic_13",
                                               "old_cnn_7",
                                               "external/conv"};

const std::vector<std::string> kTorchCases = {
    "resnet18_op11",           "resnet18_op13",           "resnet18_op17",
    "mobilenet_v3_small_op11", "mobilenet_v3_small_op13", "mobilenet_v3_small_op17",
    "transformer_op11",        "transformer_op13",        "transformer_op17"};

std::string case_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Ops, RoundTrip, ::testing::ValuesIn(kHelperCases), case_name);
INSTANTIATE_TEST_SUITE_P(Torch, RoundTrip, ::testing::ValuesIn(kTorchCases), case_name);

// The path a user's conversion takes: import, the pass pipeline (verifier after every pass),
// emit. Folding BatchNormalization into Conv rounds differently, so the difference is scaled by
// the output's magnitude as the validation bands are.
class WithPasses : public ::testing::TestWithParam<std::string> {};

TEST_P(WithPasses, OptimizedFileMatchesOriginal) {
  if (skip_without_onnxruntime()) GTEST_SKIP() << "ONNX Runtime is not available";
  const std::string path = fixture(GetParam() + ".onnx");
  ASSERT_FALSE(path.empty());
  OnnxSourceModel source(path);
  const std::vector<ir::Tensor> inputs = example_inputs(*import_onnx(path, {}).graph, 11);
  auto graph = source.to_ir(inputs, ImportOptions{});
  passes::PassContext context;
  passes::PipelineOptions pipeline;
  pipeline.verify_each = true;
  ASSERT_NO_THROW(passes::run_pipeline(*graph, context, pipeline));
  const std::vector<ir::Tensor> reference =
      runtime::OnnxFileReference(path, source.input_shapes()).run(inputs);
  std::string out_dir = testing::scratch_dir("passes_" + GetParam());
  expect_same_outputs(*graph, 17, inputs, reference, out_dir, kMaxAbsDiff, true);
  fs::remove_all(out_dir);
}

INSTANTIATE_TEST_SUITE_P(Torch, WithPasses, ::testing::ValuesIn(kTorchCases), case_name);
INSTANTIATE_TEST_SUITE_P(Old, WithPasses,
                         ::testing::Values(std::string("old_cnn_7"),
                                           std::string("batchnorm_per_activation_7"),
                                           std::string("softmax_axis1_11")),
                         case_name);

// A file exported with batch 1 becomes batch-dynamic: the emitted file at batch 2 computes what
// the original computes for each of the two samples.
TEST(DynamicBatch, FixedBatchFileRunsAtAnotherBatchSize) {
  if (skip_without_onnxruntime()) GTEST_SKIP() << "ONNX Runtime is not available";
  const std::string path = fixture("resnet18_op11.onnx");
  ASSERT_FALSE(path.empty());
  OnnxSourceModel source(path);
  ASSERT_EQ(source.default_input_shapes(), (std::vector<std::vector<int64_t>>{{1, 3, 64, 64}}));
  runtime::OnnxFileReference original(path, source.input_shapes());
  ImportOptions options;
  options.dynamic_batch = true;
  const ir::Tensor pair = random_tensor(ir::DType::Float32, {2, 3, 64, 64}, 3);
  auto graph = source.to_ir({pair}, options);
  ASSERT_EQ(graph->inputs().size(), 1u);
  EXPECT_EQ((*graph->inputs()[0]->shape)[0], ir::Dim::named("batch_size"));
  EXPECT_EQ((*graph->outputs()[0]->shape)[0], ir::Dim::named("batch_size"));

  std::string out_dir = testing::scratch_dir("dynamic_batch");
  const std::string out = out_dir + "/dynamic.onnx";
  emit::emit_onnx(*graph, out, emit::OnnxOptions{});
  const ir::Tensor both = runtime::run_onnxruntime(out, {pair}).outputs.at(0);
  ASSERT_EQ(both.shape, (std::vector<int64_t>{2, 10}));
  for (int64_t b = 0; b < 2; ++b) {
    ir::Tensor one(ir::DType::Float32, {1, 3, 64, 64});
    std::memcpy(one.raw(), pair.raw() + b * one.nbytes(), one.nbytes());
    const ir::Tensor ref = original.run({one}).at(0);
    ir::Tensor row(ir::DType::Float32, {1, 10});
    std::memcpy(row.raw(), both.raw() + b * row.nbytes(), row.nbytes());
    EXPECT_LE(max_abs_diff(ref, row), kMaxAbsDiff) << "sample " << b;
  }
  // The reference runs the batch-1 file at batch 2 sample by sample, as validation asks it to.
  const ir::Tensor stacked = original.run({pair}).at(0);
  EXPECT_EQ(stacked.shape, both.shape);
  EXPECT_LE(max_abs_diff(stacked, both), kMaxAbsDiff);
  fs::remove_all(out_dir);
}

}  // namespace
}  // namespace mlexport::frontend::onnx
