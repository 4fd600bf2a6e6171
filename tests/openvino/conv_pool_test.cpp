// Convolution, pooling, matrix and normalization translators and their attribute variants.
#include "graph_builders.h"

namespace mlexport::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using V = std::vector<int64_t>;

struct ConvCase {
  const char* name;
  V input, weight;
  Attrs attrs;
  bool bias;
  const char* ov_type;
};

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesOnnx) {
  REQUIRE_ORT();
  const ConvCase& c = GetParam();
  Graph g;
  Value* x = input(g, c.input);
  std::vector<Value*> ins = {x, weight(g, c.weight, 11)};
  if (c.bias) ins.push_back(weight(g, {c.weight[0]}, 12));
  g.mark_output(op_(g, "Conv", ins, c.attrs));
  RoundTrip rt = expect_same(g, 2e-5);
  EXPECT_EQ(count_layers(rt.xml, c.ov_type, "opset1"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Variants, ConvTest,
    ::testing::Values(
        ConvCase{"plain", {1, 3, 8, 8}, {4, 3, 3, 3}, {}, true, "Convolution"},
        ConvCase{"pads_strides",
                 {2, 3, 9, 9},
                 {5, 3, 3, 3},
                 {{"pads", V{1, 0, 2, 1}}, {"strides", V{2, 2}}},
                 true,
                 "Convolution"},
        ConvCase{"dilations",
                 {1, 2, 10, 10},
                 {3, 2, 3, 3},
                 {{"dilations", V{2, 3}}, {"pads", V{1, 1, 1, 1}}},
                 false,
                 "Convolution"},
        ConvCase{"group",
                 {1, 4, 6, 6},
                 {6, 2, 3, 3},
                 {{"group", int64_t{2}}, {"pads", V{1, 1, 1, 1}}},
                 true,
                 "GroupConvolution"},
        ConvCase{"depthwise",
                 {1, 6, 7, 7},
                 {6, 1, 3, 3},
                 {{"group", int64_t{6}}, {"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}},
                 true,
                 "GroupConvolution"},
        ConvCase{"conv1d", {2, 3, 11}, {4, 3, 5}, {{"pads", V{2, 2}}}, true, "Convolution"},
        ConvCase{"same_upper",
                 {1, 2, 7, 7},
                 {3, 2, 3, 3},
                 {{"auto_pad", std::string("SAME_UPPER")}, {"strides", V{2, 2}}},
                 false,
                 "Convolution"}),
    [](const ::testing::TestParamInfo<ConvCase>& info) { return std::string(info.param.name); });

TEST(OpenVinoConv, ConvTransposeWithGroupsAndOutputPadding) {
  REQUIRE_ORT();
  for (int64_t group : {1, 2}) {
    Graph g;
    Value* x = input(g, {1, 4, 5, 5});
    Value* w = weight(g, {4, 3, 3, 3}, 21);
    Value* b = weight(g, {3 * group}, 22);
    g.mark_output(op_(g, "ConvTranspose", {x, w, b},
                      {{"strides", V{2, 2}},
                       {"pads", V{1, 1, 1, 1}},
                       {"output_padding", V{1, 1}},
                       {"group", group}}));
    SCOPED_TRACE(group);
    RoundTrip rt = expect_same(g, 2e-5);
    EXPECT_EQ(count_layers(rt.xml,
                           group == 1 ? "ConvolutionBackpropData" : "GroupConvolutionBackpropData"),
              1);
  }
}

TEST(OpenVinoPool, MaxPoolVariants) {
  REQUIRE_ORT();
  const std::vector<Attrs> variants = {
      {{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"pads", V{1, 1, 1, 1}}},
      {{"kernel_shape", V{2, 2}}, {"strides", V{2, 2}}},
      {{"kernel_shape", V{3, 3}}, {"strides", V{2, 2}}, {"ceil_mode", int64_t{1}}},
      {{"kernel_shape", V{2, 2}}, {"dilations", V{2, 2}}},
  };
  for (size_t k = 0; k < variants.size(); ++k) {
    Graph g;
    Value* x = input(g, {1, 3, 10, 10});
    g.mark_output(op_(g, "MaxPool", {x}, variants[k]));
    SCOPED_TRACE(k);
    RoundTrip rt = expect_same(g, 0.0);
    EXPECT_EQ(count_layers(rt.xml, "MaxPool", "opset8"), 1);
    EXPECT_NE(rt.xml.find("index_element_type=\"i64\""), std::string::npos);
  }
}

TEST(OpenVinoPool, CeilModeWhoseLastWindowStartsInPaddingUsesCeilTorch) {
  REQUIRE_ORT();
  // 5 + 1 pad, kernel 2, stride 2, ceil: OpenVINO's "ceil" would give 4 windows, ONNX 3.
  // libonnx 1.12's shape inference still counts 4, so the pooled value is not a graph output
  // (whose shape ONNX would check); ONNX Runtime runs the same rule in both paths.
  Graph g;
  Value* x = input(g, {1, 2, 5, 5});
  Value* p = op_(g, "MaxPool", {x},
                 {{"kernel_shape", V{2, 2}},
                  {"strides", V{2, 2}},
                  {"pads", V{1, 1, 1, 1}},
                  {"ceil_mode", int64_t{1}}});
  g.mark_output(op_(g, "ReduceSum", {p}, {{"keepdims", int64_t{0}}}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "MaxPool", "opset14"), 1);
  EXPECT_NE(rt.xml.find("rounding_type=\"ceil_torch\""), std::string::npos);
}

TEST(OpenVinoPool, MaxPoolIndicesOutput) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 6, 6});
  ir::Node* n = g.add_node("MaxPool", {x}, 2, {{"kernel_shape", V{2, 2}}, {"strides", V{2, 2}}});
  n->outputs[1]->dtype = DType::Int64;
  g.mark_output(n->outputs[0]);
  g.mark_output(n->outputs[1]);
  expect_same(g, 0.0);
}

TEST(OpenVinoPool, AveragePoolCountIncludePadBothWays) {
  REQUIRE_ORT();
  for (int64_t include : {0, 1}) {
    Graph g;
    Value* x = input(g, {1, 3, 9, 9});
    g.mark_output(op_(g, "AveragePool", {x},
                      {{"kernel_shape", V{3, 3}},
                       {"strides", V{2, 2}},
                       {"pads", V{1, 1, 1, 1}},
                       {"count_include_pad", include}}));
    SCOPED_TRACE(include);
    RoundTrip rt = expect_same(g);
    EXPECT_NE(rt.xml.find(include ? "exclude-pad=\"false\"" : "exclude-pad=\"true\""),
              std::string::npos);
  }
}

TEST(OpenVinoPool, GlobalPoolsBecomeReductions) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 4, 5, 3});
  g.mark_output(op_(g, "GlobalAveragePool", {x}));
  g.mark_output(op_(g, "GlobalMaxPool", {x}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "ReduceMean"), 1);
  EXPECT_EQ(count_layers(rt.xml, "ReduceMax"), 1);
}

TEST(OpenVinoLinear, MatMulShapes) {
  REQUIRE_ORT();
  const std::vector<std::pair<V, V>> shapes = {
      {{3, 4}, {4, 5}}, {{2, 3, 4}, {4, 6}}, {{2, 1, 3, 4}, {5, 4, 2}}, {{4}, {4, 3}}};
  for (const auto& [a, b] : shapes) {
    Graph g;
    Value* x = input(g, a, DType::Float32, "a");
    Value* y = input(g, b, DType::Float32, "b");
    g.mark_output(op_(g, "MatMul", {x, y}));
    expect_same(g, 1e-5);
  }
}

TEST(OpenVinoLinear, GemmTransposesAlphaBeta) {
  REQUIRE_ORT();
  struct Case {
    Attrs attrs;
    V a, b;
    bool c;
  };
  const std::vector<Case> cases = {
      {{{"transB", int64_t{1}}}, {2, 6}, {5, 6}, true},
      {{{"transA", int64_t{1}}}, {6, 2}, {6, 5}, true},
      {{{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 0.5}, {"beta", 2.0}},
       {6, 2},
       {5, 6},
       true},
      {{{"alpha", 3.0}}, {2, 6}, {6, 5}, false},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    Graph g;
    Value* x = input(g, cases[k].a);
    std::vector<Value*> ins = {x, weight(g, cases[k].b, 31)};
    if (cases[k].c) ins.push_back(weight(g, {5}, 32));
    g.mark_output(op_(g, "Gemm", ins, cases[k].attrs));
    SCOPED_TRACE(k);
    RoundTrip rt = expect_same(g, 1e-5);
    EXPECT_EQ(count_layers(rt.xml, "MatMul"), 1);
  }
}

TEST(OpenVinoNorm, BatchNormalization) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 4, 5, 5});
  Tensor var = floats({4}, 44);
  for (int k = 0; k < 4; ++k) var.data<float>()[k] = std::abs(var.data<float>()[k]) + 0.5f;
  g.mark_output(op_(
      g, "BatchNormalization",
      {x, weight(g, {4}, 41), weight(g, {4}, 42), weight(g, {4}, 43), g.add_constant(var, "var")},
      {{"epsilon", 1e-3}}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "BatchNormInference", "opset5"), 1);
}

TEST(OpenVinoNorm, LayerNormalizationWithAndWithoutBias) {
  REQUIRE_ORT();
  for (bool bias : {true, false}) {
    Graph g;
    Value* x = input(g, {2, 5, 8});
    std::vector<Value*> ins = {x, weight(g, {8}, 51)};
    if (bias) ins.push_back(weight(g, {8}, 52));
    g.mark_output(op_(g, "LayerNormalization", ins, {{"axis", int64_t{-1}}, {"epsilon", 1e-5}}));
    SCOPED_TRACE(bias);
    RoundTrip rt = expect_same(g);
    EXPECT_EQ(count_layers(rt.xml, "MVN", "opset6"), 1);
  }
}

TEST(OpenVinoNorm, LayerNormalizationOverTwoAxes) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4, 5});
  g.mark_output(op_(g, "LayerNormalization", {x, weight(g, {4, 5}, 53), weight(g, {4, 5}, 54)},
                    {{"axis", int64_t{2}}}));
  expect_same(g);
}

TEST(OpenVinoNorm, InstanceNormalization) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 6, 6});
  g.mark_output(op_(g, "InstanceNormalization", {x, weight(g, {3}, 55), weight(g, {3}, 56)}));
  expect_same(g);
}

}  // namespace
}  // namespace mlexport::testing
