// Elementwise and activation translators, each through OpenVINO IR and back, against the same IR
// emitted straight to ONNX (both run in ONNX Runtime).
#include "graph_builders.h"

namespace mlexport::testing {
namespace {

struct UnaryCase {
  const char* op;
  const char* ov_type;
  std::map<std::string, Attribute> attrs;
};

class UnaryTest : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryTest, MatchesOnnx) {
  REQUIRE_ORT();
  const UnaryCase& c = GetParam();
  Graph g;
  Value* x = input(g, {2, 3, 4});
  Value* in = x;
  // Domain-restricted functions get inputs inside their domain.
  std::string op = c.op;
  if (op == "Log" || op == "Sqrt" || op == "Acosh")
    in = op_(g, "Add", {op_(g, "Abs", {x}), scalar(g, 1.0)});
  if (op == "Asin" || op == "Acos" || op == "Atanh") in = op_(g, "Tanh", {x});
  g.mark_output(op_(g, c.op, {in}, c.attrs));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, c.ov_type), 1) << c.op << " should become " << c.ov_type;
}

INSTANTIATE_TEST_SUITE_P(
    Ops, UnaryTest,
    ::testing::Values(UnaryCase{"Relu", "ReLU", {}}, UnaryCase{"Sigmoid", "Sigmoid", {}},
                      UnaryCase{"Tanh", "Tanh", {}}, UnaryCase{"Exp", "Exp", {}},
                      UnaryCase{"Log", "Log", {}}, UnaryCase{"Sqrt", "Sqrt", {}},
                      UnaryCase{"Abs", "Abs", {}}, UnaryCase{"Erf", "Erf", {}},
                      UnaryCase{"Neg", "Negative", {}}, UnaryCase{"Floor", "Floor", {}},
                      UnaryCase{"Ceil", "Ceiling", {}}, UnaryCase{"Sin", "Sin", {}},
                      UnaryCase{"Cos", "Cos", {}}, UnaryCase{"Atan", "Atan", {}},
                      UnaryCase{"Asin", "Asin", {}}, UnaryCase{"Acosh", "Acosh", {}},
                      UnaryCase{"Sign", "Sign", {}}, UnaryCase{"Softplus", "SoftPlus", {}},
                      UnaryCase{"HardSwish", "HSwish", {}}, UnaryCase{"Round", "Round", {}},
                      UnaryCase{"Reciprocal", "Divide", {}},
                      UnaryCase{"HardSigmoid", "HardSigmoid", {{"alpha", 1.0 / 6}, {"beta", 0.5}}},
                      UnaryCase{"Elu", "Elu", {{"alpha", 0.7}}}, UnaryCase{"Selu", "Selu", {}},
                      UnaryCase{"LeakyRelu", "PRelu", {{"alpha", 0.1}}},
                      UnaryCase{"Softmax", "Softmax", {{"axis", int64_t{1}}}},
                      UnaryCase{"LogSoftmax", "LogSoftmax", {{"axis", int64_t{-1}}}},
                      UnaryCase{"Clip", "Clamp", {{"min", -0.5}, {"max", 0.5}}},
                      UnaryCase{"Identity", "Parameter", {}}),
    [](const ::testing::TestParamInfo<UnaryCase>& info) {
      return std::string(info.param.op) + "_" + std::to_string(info.index);
    });

// ONNX opset 17 has no Gelu: the reference is its definition written out.
TEST(OpenVinoElementwise, GeluBothApproximations) {
  REQUIRE_ORT();
  for (bool tanh_form : {false, true}) {
    Graph g, ref;
    Value* x = input(g, {2, 3, 8});
    std::map<std::string, Attribute> attrs;
    if (tanh_form) attrs["approximate"] = std::string("tanh");
    g.mark_output(op_(g, "Gelu", {x}, attrs));
    Value* rx = input(ref, {2, 3, 8});
    Value* inner;
    if (tanh_form) {
      Value* cube = op_(ref, "Mul", {op_(ref, "Mul", {rx, rx}), rx});
      Value* sum = op_(ref, "Add", {rx, op_(ref, "Mul", {cube, scalar(ref, 0.044715)})});
      inner = op_(ref, "Tanh", {op_(ref, "Mul", {sum, scalar(ref, std::sqrt(2.0 / M_PI))})});
    } else {
      inner = op_(ref, "Erf", {op_(ref, "Div", {rx, scalar(ref, std::sqrt(2.0))})});
    }
    Value* one_plus = op_(ref, "Add", {inner, scalar(ref, 1.0)});
    ref.mark_output(op_(ref, "Mul", {op_(ref, "Mul", {rx, scalar(ref, 0.5)}), one_plus}));
    SCOPED_TRACE(tanh_form);
    RoundTrip rt = round_trip(g, random_inputs(g), {}, &ref);
    EXPECT_LE(rt.max_abs_diff, 1e-5);
    EXPECT_NE(rt.xml.find(tanh_form ? "approximation_mode=\"tanh\"" : "approximation_mode=\"erf\""),
              std::string::npos);
  }
}

// OpenVINO has no Celu layer: it is written out with Maximum, Minimum and Exp.
TEST(OpenVinoElementwise, CeluIsDecomposed) {
  REQUIRE_ORT();
  for (double alpha : {1.0, 0.4}) {
    Graph g;
    Value* x = input(g, {2, 3, 8});
    g.mark_output(op_(g, "Celu", {op_(g, "Mul", {x, scalar(g, 3.0)})}, {{"alpha", alpha}}));
    SCOPED_TRACE(alpha);
    RoundTrip rt = expect_same(g, 2e-6);
    EXPECT_EQ(count_layers(rt.xml, "Exp"), 1);
  }
}

TEST(OpenVinoElementwise, ArithmeticWithBroadcasting) {
  REQUIRE_ORT();
  for (const char* kind : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
    Graph g;
    Value* a = input(g, {2, 3, 4}, DType::Float32, "a");
    Value* b = input(g, {3, 1}, DType::Float32, "b");
    g.mark_output(op_(g, kind, {a, b}));
    SCOPED_TRACE(kind);
    expect_same(g);
  }
}

TEST(OpenVinoElementwise, PowWithConstantExponent) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {4, 5});
  g.mark_output(op_(g, "Pow", {op_(g, "Abs", {x}), scalar(g, 1.5)}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "Power"), 1);
}

TEST(OpenVinoElementwise, IntegerDivAndModTruncateLikeOnnx) {
  REQUIRE_ORT();
  Graph g;
  Value* a = input(g, {12}, DType::Int64, "a");
  Value* d = g.add_constant(Tensor::vector_int64({3, -3, 5, 7, 2, -2, 3, 3, 4, 4, 5, 6}), "d");
  g.mark_output(op_(g, "Div", {a, d}, {}, DType::Int64));
  g.mark_output(op_(g, "Mod", {a, d}, {{"fmod", int64_t{0}}}, DType::Int64));
  g.mark_output(op_(g, "Mod", {a, d}, {{"fmod", int64_t{1}}}, DType::Int64));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "FloorMod"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Mod"), 1);
}

TEST(OpenVinoElementwise, CompareAndWhere) {
  REQUIRE_ORT();
  Graph g;
  Value* a = input(g, {3, 4}, DType::Float32, "a");
  Value* b = input(g, {4}, DType::Float32, "b");
  Value* lt = op_(g, "Less", {a, b}, {}, DType::Bool);
  Value* ge = op_(g, "GreaterOrEqual", {a, scalar(g, 0.0)}, {}, DType::Bool);
  Value* both = op_(g, "And", {lt, op_(g, "Not", {ge}, {}, DType::Bool)}, {}, DType::Bool);
  g.mark_output(op_(g, "Where", {both, a, b}));
  g.mark_output(op_(g, "Equal", {op_(g, "Floor", {a}), op_(g, "Floor", {b})}, {}, DType::Bool));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "Select"), 1);
  EXPECT_NE(rt.xml.find("precision=\"BOOL\""), std::string::npos);
}

TEST(OpenVinoElementwise, CastBothWays) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 5});
  Value* scaled = op_(g, "Mul", {x, scalar(g, 10.0)});
  Value* i = op_(g, "Cast", {scaled}, {{"to", int64_t(DType::Int64)}}, DType::Int64);
  g.mark_output(i);
  g.mark_output(op_(g, "Cast", {i}, {{"to", int64_t(DType::Float32)}}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "Convert"), 2);
  EXPECT_NE(rt.xml.find("destination_type=\"i64\""), std::string::npos);
}

TEST(OpenVinoElementwise, ClipWithOneBoundUsesMaximum) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 3});
  g.mark_output(op_(g, "Clip", {x, scalar(g, 0.0)}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "Maximum"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Clamp"), 0);
}

TEST(OpenVinoElementwise, ClipWithConstantInputsBecomesClamp) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 3});
  g.mark_output(op_(g, "Clip", {x, scalar(g, 0.0), scalar(g, 6.0)}));
  RoundTrip rt = expect_same(g);
  EXPECT_EQ(count_layers(rt.xml, "Clamp"), 1);
}

TEST(OpenVinoElementwise, PReluPerChannelSlope) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4, 4});
  Value* slope = g.add_constant(floats({3, 1, 1}, 7, 0.3f), "slope");
  g.mark_output(op_(g, "PRelu", {x, slope}));
  expect_same(g);
}

TEST(OpenVinoElementwise, VariadicSumAndMean) {
  REQUIRE_ORT();
  Graph g;
  Value* a = input(g, {2, 3}, DType::Float32, "a");
  Value* b = input(g, {2, 3}, DType::Float32, "b");
  Value* c = input(g, {3}, DType::Float32, "c");
  g.mark_output(op_(g, "Sum", {a, b, c}));
  g.mark_output(op_(g, "Mean", {a, b, c}));
  expect_same(g);
}

}  // namespace
}  // namespace mlexport::testing
