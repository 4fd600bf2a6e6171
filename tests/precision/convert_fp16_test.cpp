// convert_to_fp16: structure of the converted IR, and numbers and file size in ONNX Runtime
// against the float32 export of the same graph.
#include <gtest/gtest.h>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "mlexport/diagnostics.h"
#include "passes/precision.h"
#include "test_models.h"

namespace mlexport::precision_test {
namespace {

using ir::DType;
using ir::Tensor;
using passes::convert_to_fp16;
using passes::Fp16Options;
using passes::Fp16Report;
using Ints = std::vector<int64_t>;

#define REQUIRE_ORT()                                                            \
  do {                                                                           \
    if (std::string why = ort_unavailable_reason(); !why.empty())                \
      GTEST_SKIP() << "ONNX Runtime (tools/ort-runner) is unavailable: " << why; \
  } while (0)

void expect_valid(const ir::Graph& g) {
  auto problems = ir::verify_graph(g);
  EXPECT_TRUE(problems.empty()) << problems.front() << "\n" << ir::print_graph(g);
}

// Every float constant of at least `min_elements` has `dtype`.
void expect_float_constants(const ir::Graph& g, DType dtype, int64_t min_elements = 64) {
  for (const ir::Value* c : g.constants()) {
    if (!ir::is_floating(c->dtype) || c->constant->numel() < min_elements) continue;
    EXPECT_EQ(c->dtype, dtype) << "%" << c->name;
  }
}

const ir::Node* producer_of_input(const ir::Node* n, size_t k) {
  return n->inputs[k]->producer;
}

std::string test_name(const testing::TestParamInfo<Model>& info) {
  return info.param.name;
}

class Fp16Models : public testing::TestWithParam<Model> {};

TEST_P(Fp16Models, MatchFloat32InOnnxRuntimeAtHalfTheSize) {
  const Model& m = GetParam();
  ir::Graph ref, half;
  m.build(ref);
  run_default_pipeline(ref);
  m.build(half);
  run_default_pipeline(half);
  Fp16Report report = convert_to_fp16(half, Fp16Options{});
  expect_valid(half);
  EXPECT_GT(report.converted_constants, 0);
  EXPECT_GE(report.casts_inserted, 2);  // at least the input and the output
  expect_float_constants(half, DType::Float16);
  ASSERT_EQ(half.inputs().size(), 1u);
  EXPECT_EQ(half.inputs()[0]->dtype, DType::Float32);
  EXPECT_EQ(half.outputs()[0]->dtype, DType::Float32);
  EXPECT_EQ(half.outputs()[0]->name, ref.outputs()[0]->name);

  REQUIRE_ORT();
  TempDir dir;
  auto inputs = random_inputs(m.input_shapes, 5);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome b = emit_and_run(half, dir.file("fp16.onnx"), inputs);
  ASSERT_EQ(b.outputs.size(), 1u);
  EXPECT_EQ(b.outputs[0].dtype, DType::Float32);
  Comparison c = compare(a.outputs[0], b.outputs[0]);
  EXPECT_LE(c.scaled_max_diff, 1e-2);
  EXPECT_GE(c.cosine, 0.9999);
  const double ratio = static_cast<double>(b.file_bytes) / static_cast<double>(a.file_bytes);
  EXPECT_GT(ratio, 0.45);
  EXPECT_LT(ratio, 0.55);
  std::printf(
      "[ %s ] fp16: scaled max diff %.2e, cosine %.6f, file %llu -> %llu bytes (%.3fx), "
      "%d constants, %d casts\n",
      m.name.c_str(), c.scaled_max_diff, c.cosine, static_cast<unsigned long long>(a.file_bytes),
      static_cast<unsigned long long>(b.file_bytes), ratio, report.converted_constants,
      report.casts_inserted);
}

TEST_P(Fp16Models, Float16InputsAndOutputsWithoutKeepIo) {
  const Model& m = GetParam();
  ir::Graph ref, half;
  m.build(ref);
  run_default_pipeline(ref);
  m.build(half);
  run_default_pipeline(half);
  Fp16Options options;
  options.keep_io_fp32 = false;
  convert_to_fp16(half, options);
  expect_valid(half);
  for (const ir::Value* v : half.inputs()) EXPECT_EQ(v->dtype, DType::Float16) << v->name;
  for (const ir::Value* v : half.outputs()) EXPECT_EQ(v->dtype, DType::Float16) << v->name;
  EXPECT_EQ(half.outputs()[0]->name, ref.outputs()[0]->name);

  REQUIRE_ORT();
  TempDir dir;
  auto inputs = random_inputs(m.input_shapes, 6);
  std::vector<Tensor> half_inputs;
  for (const Tensor& t : inputs) half_inputs.push_back(t.cast(DType::Float16));
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome b = emit_and_run(half, dir.file("fp16.onnx"), half_inputs);
  ASSERT_EQ(b.outputs.size(), 1u);
  EXPECT_EQ(b.outputs[0].dtype, DType::Float16);
  EXPECT_LE(compare(a.outputs[0], b.outputs[0]).scaled_max_diff, 1e-2);
}

INSTANTIATE_TEST_SUITE_P(All, Fp16Models, testing::ValuesIn(all_models()), test_name);

// Without the pipeline BatchNormalization is still there, and runs in float16.
TEST(Fp16Structure, UnfoldedBatchNormRunsInFloat16) {
  ir::Graph ref, half;
  build_cnn(ref);
  build_cnn(half);
  convert_to_fp16(half, Fp16Options{});
  expect_valid(half);
  auto bn = nodes_of(half, "BatchNormalization");
  ASSERT_EQ(bn.size(), 1u);
  for (const ir::Value* v : bn[0]->inputs) EXPECT_EQ(v->dtype, DType::Float16);

  REQUIRE_ORT();
  TempDir dir;
  auto inputs = random_inputs({{2, 3, 32, 32}}, 10);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome b = emit_and_run(half, dir.file("fp16.onnx"), inputs);
  EXPECT_LE(compare(a.outputs[0], b.outputs[0]).scaled_max_diff, 1e-2);
}

TEST(Fp16Structure, TransformerKeepsSoftmaxInFloat32AndSharesCasts) {
  ir::Graph g;
  build_transformer(g);
  std::map<std::string, std::vector<int64_t>> shapes_before;
  for (const ir::Value* c : g.constants())
    if (c->dtype == DType::Int64) shapes_before[c->name] = c->constant->to_int_vector();
  Fp16Report report = convert_to_fp16(g, Fp16Options{});
  expect_valid(g);

  auto softmax = nodes_of(g, "Softmax");
  ASSERT_EQ(softmax.size(), 1u);
  EXPECT_EQ(softmax[0]->inputs[0]->dtype, DType::Float32);
  EXPECT_EQ(softmax[0]->outputs[0]->dtype, DType::Float32);
  ASSERT_NE(producer_of_input(softmax[0], 0), nullptr);
  EXPECT_EQ(producer_of_input(softmax[0], 0)->op, "Cast");
  for (const ir::Node* ln : nodes_of(g, "LayerNormalization"))
    for (const ir::Value* v : ln->inputs) EXPECT_EQ(v->dtype, DType::Float16);
  for (const ir::Node* mm : nodes_of(g, "MatMul")) {
    EXPECT_EQ(mm->inputs[1]->dtype, DType::Float16);
    EXPECT_EQ(mm->outputs[0]->dtype, DType::Float16);
  }
  for (const ir::Node* n : nodes_of(g, "Erf")) EXPECT_EQ(n->outputs[0]->dtype, DType::Float16);
  // x -> float16 once (shared by LayerNorm and the residual), around Softmax, and the output.
  EXPECT_EQ(report.casts_inserted, 4);
  EXPECT_EQ(nodes_of(g, "Cast").size(), 4u);
  // Integer tensors untouched.
  for (const ir::Value* c : g.constants()) {
    if (c->dtype != DType::Int64) continue;
    ASSERT_TRUE(shapes_before.count(c->name)) << c->name;
    EXPECT_EQ(c->constant->to_int_vector(), shapes_before[c->name]);
  }
  EXPECT_EQ(shapes_before.size(), 2u);
}

// At opset 13 LayerNormalization is lowered to ReduceMean / Sub / Mul / Sqrt / Div first.
TEST(Fp16Structure, TransformerAtOpset13) {
  ir::Graph ref, half;
  build_transformer(ref);
  run_default_pipeline(ref, 13);
  build_transformer(half);
  run_default_pipeline(half, 13);
  ASSERT_TRUE(nodes_of(half, "LayerNormalization").empty());
  convert_to_fp16(half, Fp16Options{});
  expect_valid(half);
  // Means over 256 elements convert; where the IR does not know the extent (the variance's input
  // has no inferred shape) the mean stays float32.
  auto means = nodes_of(half, "ReduceMean");
  ASSERT_EQ(means.size(), 4u);
  for (const ir::Node* n : means)
    EXPECT_EQ(n->outputs[0]->dtype, n->inputs[0]->shape ? DType::Float16 : DType::Float32);
  EXPECT_EQ(means[0]->outputs[0]->dtype, DType::Float16);

  REQUIRE_ORT();
  TempDir dir;
  auto inputs = random_inputs({{2, 16, 256}}, 11);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs, 13);
  RunOutcome b = emit_and_run(half, dir.file("fp16.onnx"), inputs, 13);
  EXPECT_LE(compare(a.outputs[0], b.outputs[0]).scaled_max_diff, 1e-2);
}

// Resize, a sum and a mean over 16384 elements stay float32; a mean over 8 converts.
void build_resize_and_reductions(ir::Graph& g) {
  Builder b(g, 3);
  ir::Value* x = b.input("x", {1, 8, 64, 64});
  ir::Value* r = b.op("Relu", {x}, {1, 8, 64, 64});
  ir::Value* up =
      b.op("Resize", {r}, {1, 8, 128, 128},
           {{"scales", std::vector<double>{1, 1, 2, 2}}, {"mode", std::string("linear")}});
  ir::Value* mean_big =
      b.op("ReduceMean", {up}, {1, 8, 1, 1}, {{"axes", Ints{2, 3}}, {"keepdims", int64_t{1}}});
  ir::Value* mean_small =
      b.op("ReduceMean", {up}, {1, 1, 128, 128}, {{"axes", Ints{1}}, {"keepdims", int64_t{1}}});
  ir::Value* sum =
      b.op("ReduceSum", {up}, {1, 8, 128, 1}, {{"axes", Ints{3}}, {"keepdims", int64_t{1}}});
  b.output(b.op("Sigmoid", {mean_big}, {1, 8, 1, 1}), "mean_big");
  b.output(b.op("Sigmoid", {mean_small}, {1, 1, 128, 128}), "mean_small");
  b.output(b.op("Sigmoid", {sum}, {1, 8, 128, 1}), "sum");
}

TEST(Fp16Structure, ResizeSumsAndLargeMeansStayFloat32) {
  ir::Graph g;
  build_resize_and_reductions(g);
  convert_to_fp16(g, Fp16Options{});
  expect_valid(g);
  auto resize = nodes_of(g, "Resize");
  ASSERT_EQ(resize.size(), 1u);
  EXPECT_EQ(resize[0]->inputs[0]->dtype, DType::Float32);
  EXPECT_EQ(nodes_of(g, "Relu")[0]->outputs[0]->dtype, DType::Float16);
  auto means = nodes_of(g, "ReduceMean");
  ASSERT_EQ(means.size(), 2u);
  EXPECT_EQ(means[0]->outputs[0]->dtype, DType::Float32);  // over 128 x 128
  EXPECT_EQ(means[1]->outputs[0]->dtype, DType::Float16);  // over 8 channels
  EXPECT_EQ(nodes_of(g, "ReduceSum")[0]->outputs[0]->dtype, DType::Float32);

  REQUIRE_ORT();
  ir::Graph ref;
  build_resize_and_reductions(ref);
  TempDir dir;
  auto inputs = random_inputs({{1, 8, 64, 64}}, 7);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome b = emit_and_run(g, dir.file("fp16.onnx"), inputs);
  ASSERT_EQ(b.outputs.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(b.outputs[k].dtype, DType::Float32);
    EXPECT_LE(compare(a.outputs[k], b.outputs[k]).scaled_max_diff, 1e-2) << "output " << k;
  }
}

// Shape -> Cast -> Mul -> Cast -> Reshape: a size of 4099 has no exact float16.
void build_shape_arithmetic(ir::Graph& g) {
  Builder b(g, 4);
  ir::Value* x = b.input("x", {1, 4099});
  ir::Value* shape = b.op("Shape", {x}, {2}, {}, DType::Int64);
  ir::Value* f = b.op("Cast", {shape}, {2}, {{"to", static_cast<int64_t>(DType::Float32)}});
  ir::Value* m = b.op("Mul", {f, b.filled("one", {2}, 1.0f)}, {2});
  ir::Value* i = b.op("Cast", {m}, {2}, {{"to", static_cast<int64_t>(DType::Int64)}}, DType::Int64);
  ir::Value* r = b.op("Relu", {x}, {1, 4099});
  b.output(b.op("Reshape", {r, i}, {1, 4099}), "y");
}

TEST(Fp16Structure, ShapeArithmeticStaysFloat32) {
  ir::Graph g;
  build_shape_arithmetic(g);
  Fp16Report report = convert_to_fp16(g, Fp16Options{});
  expect_valid(g);
  EXPECT_EQ(nodes_of(g, "Mul")[0]->outputs[0]->dtype, DType::Float32);
  EXPECT_EQ(nodes_of(g, "Mul")[0]->inputs[1]->dtype, DType::Float32);
  EXPECT_EQ(nodes_of(g, "Relu")[0]->outputs[0]->dtype, DType::Float16);
  EXPECT_EQ(report.converted_constants, 0);

  REQUIRE_ORT();
  TempDir dir;
  auto inputs = random_inputs({{1, 4099}}, 8);
  RunOutcome b = emit_and_run(g, dir.file("fp16.onnx"), inputs);
  ASSERT_EQ(b.outputs.size(), 1u);
  EXPECT_EQ(b.outputs[0].shape, (Ints{1, 4099}));
}

TEST(Fp16Structure, IntegerGraphIsUnchanged) {
  ir::Graph g;
  Builder b(g, 5);
  ir::Value* x = b.input("x", {4}, DType::Int64);
  ir::Value* y = b.op("Add", {x, b.ints("k", {1, 2, 3, 4})}, {4}, {}, DType::Int64);
  b.output(b.op("Mul", {y, x}, {4}, {}, DType::Int64), "y");
  const std::string before = ir::print_graph(g);
  Fp16Report report = convert_to_fp16(g, Fp16Options{});
  EXPECT_EQ(ir::print_graph(g), before);
  EXPECT_EQ(report.converted_constants, 0);
  EXPECT_EQ(report.casts_inserted, 0);
}

// A constant used in float16 (Add) and float32 (CumSum: a sum) and also returned as an output;
// an output ("a") that is also consumed.
void build_shared_constant(ir::Graph& g) {
  Builder b(g, 6);
  ir::Value* x = b.input("x", {4, 300});
  ir::Value* c = b.weight("c", {300}, 1.0);
  ir::Value* a = b.op("Relu", {b.op("Add", {x, c}, {4, 300})}, {4, 300});
  ir::Value* cum = b.op("CumSum", {c, b.g.add_constant(Tensor::scalar_int64(0), "axis")}, {300});
  b.output(a, "a");
  b.output(b.op("Add", {b.op("Sigmoid", {a}, {4, 300}), cum}, {4, 300}), "b");
  b.g.mark_output(c);
}

TEST(Fp16Structure, SharedConstantConstantOutputAndConsumedOutput) {
  for (bool keep_io : {true, false}) {
    SCOPED_TRACE(keep_io ? "keep_io_fp32" : "float16 io");
    ir::Graph g;
    build_shared_constant(g);
    Fp16Options options;
    options.keep_io_fp32 = keep_io;
    Fp16Report report = convert_to_fp16(g, options);
    expect_valid(g);
    EXPECT_EQ(report.converted_constants, 1);
    const DType io = keep_io ? DType::Float32 : DType::Float16;
    ASSERT_EQ(g.outputs().size(), 3u);
    EXPECT_EQ(g.outputs()[0]->name, "a");
    EXPECT_EQ(g.outputs()[1]->name, "b");
    EXPECT_EQ(g.outputs()[2]->name, "c");
    for (const ir::Value* v : g.outputs()) EXPECT_EQ(v->dtype, io) << v->name;
    EXPECT_EQ(nodes_of(g, "CumSum")[0]->inputs[0]->dtype, DType::Float32);
    EXPECT_EQ(nodes_of(g, "Add")[0]->inputs[1]->dtype, DType::Float16);

    if (!ort_unavailable_reason().empty()) continue;
    ir::Graph ref;
    build_shared_constant(ref);
    TempDir dir;
    auto inputs = random_inputs({{4, 300}}, 9);
    RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
    if (!keep_io) inputs[0] = inputs[0].cast(DType::Float16);
    RunOutcome r = emit_and_run(g, dir.file("fp16.onnx"), inputs);
    ASSERT_EQ(r.outputs.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(r.outputs[k].dtype, io);
      EXPECT_LE(compare(a.outputs[k], r.outputs[k]).scaled_max_diff, 1e-2) << "output " << k;
    }
  }
}

TEST(Fp16Structure, OutOfRangeConstantsClampButInfinitiesStay) {
  ir::Graph g;
  Builder b(g, 7);
  ir::Value* x = b.input("x", {4});
  ir::Value* c = b.filled("c", {4}, 0.0f);
  float* v = c->constant->data<float>();
  v[0] = 1e6f;
  v[1] = -1e6f;
  v[2] = -INFINITY;
  v[3] = 1.5f;
  b.output(b.op("Add", {x, c}, {4}), "y");
  convert_to_fp16(g, Fp16Options{});
  const Tensor& t = *nodes_of(g, "Add")[0]->inputs[1]->constant;
  ASSERT_EQ(t.dtype, DType::Float16);
  EXPECT_EQ(t.value_as_double(0), 65504.0);
  EXPECT_EQ(t.value_as_double(1), -65504.0);
  EXPECT_EQ(t.value_as_double(2), -INFINITY);
  EXPECT_EQ(t.value_as_double(3), 1.5);
}

TEST(Fp16Errors, QuantizedGraphIsRefusedInOneLine) {
  ir::Graph g;
  build_mlp(g);
  passes::quantize_dynamic_int8(g, passes::QuantizeOptions{});
  try {
    convert_to_fp16(g, Fp16Options{});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("int8"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace mlexport::precision_test
