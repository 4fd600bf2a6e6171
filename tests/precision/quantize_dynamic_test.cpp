// quantize_dynamic_int8: the quantized weights themselves, the IR around them, and numbers and
// sizes in ONNX Runtime against the float32 export of the same graph.
#include <gtest/gtest.h>

#include <cmath>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "mlexport/diagnostics.h"
#include "passes/precision.h"
#include "test_models.h"

namespace mlexport::precision_test {
namespace {

using ir::DType;
using ir::Tensor;
using passes::quantize_dynamic_int8;
using passes::QuantizeOptions;
using passes::QuantizeReport;
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

std::string test_name(const testing::TestParamInfo<Model>& info) {
  return info.param.name;
}

class Int8Models : public testing::TestWithParam<Model> {
 protected:
  void check(bool per_channel) {
    const Model& m = GetParam();
    ir::Graph ref, q;
    m.build(ref);
    run_default_pipeline(ref);
    m.build(q);
    run_default_pipeline(q);
    QuantizeOptions options;
    options.per_channel = per_channel;
    QuantizeReport report = quantize_dynamic_int8(q, options);
    expect_valid(q);
    EXPECT_EQ(report.quantized, m.weight_ops);
    EXPECT_EQ(report.skipped, m.small_weight_ops);
    const double weight_ratio =
        static_cast<double>(report.bytes_after) / static_cast<double>(report.bytes_before);
    EXPECT_GE(weight_ratio, 0.25);
    EXPECT_LE(weight_ratio, 0.30);
    EXPECT_EQ(nodes_of(q, "MatMulInteger").size() + nodes_of(q, "ConvInteger").size(),
              static_cast<size_t>(m.weight_ops));
    EXPECT_EQ(q.outputs()[0]->name, ref.outputs()[0]->name);
    EXPECT_EQ(q.outputs()[0]->dtype, DType::Float32);

    REQUIRE_ORT();
    TempDir dir;
    auto inputs = random_inputs(m.input_shapes, 5);
    RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
    RunOutcome b = emit_and_run(q, dir.file("int8.onnx"), inputs);
    ASSERT_EQ(b.outputs.size(), 1u);
    EXPECT_EQ(b.outputs[0].dtype, DType::Float32);
    Comparison c = compare(a.outputs[0], b.outputs[0]);
    EXPECT_GE(c.cosine, 0.99);
    const double file_ratio = static_cast<double>(b.file_bytes) / static_cast<double>(a.file_bytes);
    EXPECT_LE(file_ratio, 0.31);
    std::printf(
        "[ %s ] int8 (%s): cosine %.6f, scaled max diff %.2e, constants %llu -> %llu "
        "bytes (%.3fx), file %.3fx, %d quantized, %d skipped\n",
        m.name.c_str(), per_channel ? "per channel" : "per tensor", c.cosine, c.scaled_max_diff,
        static_cast<unsigned long long>(report.bytes_before),
        static_cast<unsigned long long>(report.bytes_after), weight_ratio, file_ratio,
        report.quantized, report.skipped);
  }
};

TEST_P(Int8Models, PerChannelMatchesFloat32InOnnxRuntimeAtAQuarterOfTheSize) {
  check(true);
}
TEST_P(Int8Models, PerTensorMatchesFloat32InOnnxRuntime) {
  check(false);
}

INSTANTIATE_TEST_SUITE_P(All, Int8Models, testing::ValuesIn(all_models()), test_name);

TEST(Int8Structure, TransformerAtOpset13) {
  REQUIRE_ORT();
  ir::Graph ref, q;
  build_transformer(ref);
  run_default_pipeline(ref, 13);
  build_transformer(q);
  run_default_pipeline(q, 13);
  EXPECT_EQ(quantize_dynamic_int8(q, QuantizeOptions{}).quantized, 6);
  expect_valid(q);
  TempDir dir;
  auto inputs = random_inputs({{2, 16, 256}}, 12);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs, 13);
  RunOutcome b = emit_and_run(q, dir.file("int8.onnx"), inputs, 13);
  EXPECT_GE(compare(a.outputs[0], b.outputs[0]).cosine, 0.99);
}

// MobileNet-style depthwise (group = channels, 288 weights) and pointwise convolutions.
void build_depthwise(ir::Graph& g) {
  Builder b(g, 26);
  ir::Value* x = b.input("x", {1, 32, 28, 28});
  ir::Value* dw = b.op(
      "Conv", {x, b.weight("dw", {32, 1, 3, 3}, 0.3), b.weight("dw_b", {32}, 0.1)}, {1, 32, 28, 28},
      {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}, {"group", int64_t{32}}});
  ir::Value* r = b.op("Relu", {dw}, {1, 32, 28, 28});
  b.output(b.op("Conv", {r, b.weight("pw", {64, 32, 1, 1}, 0.2)}, {1, 64, 28, 28},
                {{"kernel_shape", Ints{1, 1}}}),
           "y");
}

TEST(Int8Structure, DepthwiseAndPointwiseConvsRunInOnnxRuntime) {
  ir::Graph q;
  build_depthwise(q);
  QuantizeReport report = quantize_dynamic_int8(q, QuantizeOptions{});
  expect_valid(q);
  EXPECT_EQ(report.quantized, 2);
  auto convs = nodes_of(q, "ConvInteger");
  ASSERT_EQ(convs.size(), 2u);
  EXPECT_EQ(convs[0]->i("group", 1), 32);
  EXPECT_EQ(nodes_of(q, "Add").size(), 1u);  // only the depthwise conv has a bias

  REQUIRE_ORT();
  ir::Graph ref;
  build_depthwise(ref);
  TempDir dir;
  auto inputs = random_inputs({{1, 32, 28, 28}}, 13);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome b = emit_and_run(q, dir.file("int8.onnx"), inputs);
  EXPECT_GE(compare(a.outputs[0], b.outputs[0]).cosine, 0.99);
}

// q * scale reproduces every weight within half a step of its channel.
void expect_dequantizes_to(const Tensor& original, const Tensor& q, const Tensor& scale,
                           int channel_axis, double zero_point) {
  ASSERT_EQ(q.numel(), original.numel());
  const int64_t channels = q.shape[static_cast<size_t>(channel_axis)];
  ASSERT_EQ(scale.numel(), channels);
  const int64_t inner = channel_axis == 0 ? q.numel() / channels : 1;
  double worst = 0;
  for (int64_t i = 0; i < q.numel(); ++i) {
    const int64_t c = channel_axis == 0 ? i / inner : i % channels;
    const double s = scale.value_as_double(c);
    const double back = (q.value_as_double(i) - zero_point) * s;
    // Conv keeps the layout; MatMul weights here are [K, N] in both.
    worst = std::max(worst, std::fabs(back - original.value_as_double(i)) / s);
  }
  EXPECT_LE(worst, 0.5 + 1e-6);
}

TEST(Int8Structure, ConvWeightsAreUint8AroundZeroPoint128AndMatMulWeightsInt8) {
  ir::Graph g;
  Builder b(g, 21);
  ir::Value* x = b.input("x", {1, 16, 8, 8});
  ir::Value* w = b.weight("w", {32, 16, 3, 3}, 0.1);
  for (int64_t i = 0; i < 16 * 9; ++i) w->constant->data<float>()[i] *= 10;  // channel 0 larger
  const Tensor w_float = *w->constant;
  ir::Value* conv = b.op("Conv", {x, w}, {1, 32, 8, 8},
                         {{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}});
  ir::Value* flat = b.op("Flatten", {conv}, {1, 2048}, {{"axis", int64_t{1}}});
  ir::Value* m = b.weight("m", {2048, 16}, 0.05);
  const Tensor m_float = *m->constant;
  b.output(b.op("MatMul", {flat, m}, {1, 16}), "y");
  QuantizeReport report = quantize_dynamic_int8(g, QuantizeOptions{});
  expect_valid(g);
  EXPECT_EQ(report.quantized, 2);

  auto convs = nodes_of(g, "ConvInteger");
  ASSERT_EQ(convs.size(), 1u);
  EXPECT_EQ(convs[0]->ints("pads"), (Ints{1, 1, 1, 1}));
  const Tensor& wq = *convs[0]->inputs[1]->constant;
  EXPECT_EQ(wq.dtype, DType::UInt8);
  EXPECT_EQ(wq.shape, (Ints{32, 16, 3, 3}));
  const Tensor& zp = *convs[0]->inputs[3]->constant;
  EXPECT_EQ(zp.dtype, DType::UInt8);
  EXPECT_EQ(zp.numel(), 1);
  EXPECT_EQ(zp.value_as_int(0), 128);
  // The per-channel scale is the second factor of Mul(x_scale, w_scale), shaped [32, 1, 1].
  auto muls = nodes_of(g, "Mul");
  const Tensor* conv_scale = nullptr;
  const Tensor* mm_scale = nullptr;
  for (const ir::Node* n : muls) {
    if (!n->inputs[1]->is_constant()) continue;
    if (n->inputs[1]->constant->shape == Ints{32, 1, 1}) conv_scale = &*n->inputs[1]->constant;
    if (n->inputs[1]->constant->shape == Ints{16}) mm_scale = &*n->inputs[1]->constant;
  }
  ASSERT_NE(conv_scale, nullptr) << ir::print_graph(g);
  ASSERT_NE(mm_scale, nullptr) << ir::print_graph(g);
  expect_dequantizes_to(w_float, wq, *conv_scale, 0, 128);
  // Channel 0's weights are 10x larger, and so is its scale: per channel, not per tensor.
  EXPECT_GT(conv_scale->value_as_double(0), 5 * conv_scale->value_as_double(1));

  auto mms = nodes_of(g, "MatMulInteger");
  ASSERT_EQ(mms.size(), 1u);
  const Tensor& mq = *mms[0]->inputs[1]->constant;
  EXPECT_EQ(mq.dtype, DType::Int8);
  EXPECT_EQ(mq.shape, (Ints{2048, 16}));
  expect_dequantizes_to(m_float, mq, *mm_scale, 1, 0);
  EXPECT_EQ(mms[0]->inputs.size(), 3u);  // no weight zero point: symmetric
  EXPECT_EQ(nodes_of(g, "DynamicQuantizeLinear").size(), 2u);
}

TEST(Int8Structure, GemmWithTransposedWeightBecomesColumnsOfMatMulInteger) {
  ir::Graph g;
  Builder b(g, 22);
  ir::Value* x = b.input("x", {3, 64});
  ir::Value* w = b.weight("w", {32, 64}, 0.1);  // [N, K] with transB
  const Tensor w_float = *w->constant;
  b.output(b.op("Gemm", {x, w, b.weight("bias", {32}, 0.1)}, {3, 32}, {{"transB", int64_t{1}}}),
           "y");
  quantize_dynamic_int8(g, QuantizeOptions{});
  expect_valid(g);
  auto mms = nodes_of(g, "MatMulInteger");
  ASSERT_EQ(mms.size(), 1u);
  const Tensor& q = *mms[0]->inputs[1]->constant;
  ASSERT_EQ(q.shape, (Ints{64, 32}));
  // Element (k, n) of the int8 weight is B[n, k] / scale[n].
  const Tensor* scale = nullptr;
  for (const ir::Node* n : nodes_of(g, "Mul"))
    if (n->inputs[1]->is_constant()) scale = &*n->inputs[1]->constant;
  ASSERT_NE(scale, nullptr);
  for (int64_t k = 0; k < 64; ++k)
    for (int64_t n = 0; n < 32; ++n)
      EXPECT_NEAR(q.value_as_double(k * 32 + n) * scale->value_as_double(n),
                  w_float.value_as_double(n * 64 + k), 0.5 * scale->value_as_double(n) + 1e-7);
  EXPECT_EQ(nodes_of(g, "Add").size(), 1u);  // the bias
}

TEST(Int8Structure, GraphWithoutWeightsIsUnchanged) {
  ir::Graph g;
  Builder b(g, 23);
  ir::Value* x = b.input("x", {4, 256});
  ir::Value* y = b.input("w", {256, 256});
  ir::Value* mm = b.op("MatMul", {x, y}, {4, 256});
  b.output(b.op("Relu", {mm}, {4, 256}), "out");
  const std::string before = ir::print_graph(g);
  QuantizeReport report = quantize_dynamic_int8(g, QuantizeOptions{});
  EXPECT_EQ(ir::print_graph(g), before);
  EXPECT_EQ(report.quantized, 0);
  EXPECT_EQ(report.skipped, 0);
  EXPECT_EQ(report.bytes_before, report.bytes_after);
}

TEST(Int8Structure, SmallWeightsStayFloat) {
  ir::Graph g;
  Builder b(g, 24);
  ir::Value* x = b.input("x", {4, 15});
  b.output(b.op("MatMul", {x, b.weight("w", {15, 17}, 0.1)}, {4, 17}), "out");  // 255 elements
  const std::string before = ir::print_graph(g);
  QuantizeReport report = quantize_dynamic_int8(g, QuantizeOptions{});
  EXPECT_EQ(ir::print_graph(g), before);
  EXPECT_EQ(report.quantized, 0);
  EXPECT_EQ(report.skipped, 1);
}

// Two MatMuls share both their weight and their input (tied projections).
void build_shared(ir::Graph& g) {
  Builder b(g, 25);
  ir::Value* x = b.input("x", {4, 128});
  ir::Value* w = b.weight("w", {128, 128}, 0.1);
  b.output(b.op("Relu", {b.op("MatMul", {x, w}, {4, 128})}, {4, 128}), "a");
  b.output(b.op("MatMul", {x, w}, {4, 128}), "b");
}

TEST(Int8Structure, SharedWeightAndInputAreQuantizedOnce) {
  ir::Graph g;
  build_shared(g);
  QuantizeReport report = quantize_dynamic_int8(g, QuantizeOptions{});
  expect_valid(g);
  EXPECT_EQ(report.quantized, 2);
  EXPECT_EQ(nodes_of(g, "DynamicQuantizeLinear").size(), 1u);
  int int8_constants = 0;
  for (const ir::Value* c : g.constants()) int8_constants += c->dtype == DType::Int8;
  EXPECT_EQ(int8_constants, 1);
  EXPECT_EQ(g.outputs()[1]->name, "b");

  REQUIRE_ORT();
  ir::Graph ref;
  build_shared(ref);
  TempDir dir;
  auto inputs = random_inputs({{4, 128}}, 3);
  RunOutcome a = emit_and_run(ref, dir.file("fp32.onnx"), inputs);
  RunOutcome r = emit_and_run(g, dir.file("int8.onnx"), inputs);
  ASSERT_EQ(r.outputs.size(), 2u);
  for (size_t k = 0; k < 2; ++k) EXPECT_GE(compare(a.outputs[k], r.outputs[k]).cosine, 0.99);
}

TEST(Int8Errors, Float16GraphIsRefusedInOneLine) {
  ir::Graph g;
  build_mlp(g);
  passes::convert_to_fp16(g, passes::Fp16Options{});
  try {
    quantize_dynamic_int8(g, QuantizeOptions{});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("float16"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace mlexport::precision_test
