// The IR itself: tensors, printer, verifier.
#include <gtest/gtest.h>

#include "ir/graph.h"
#include "ir/printer.h"
#include "ir/verifier.h"

namespace mlexport::ir {
namespace {

TEST(Tensor, HalfConversionRoundTripsRepresentableValues) {
  for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.960464477539063e-08f})
    EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 4096), float_to_half(1.0f));  // rounds to nearest even
}

TEST(Tensor, CastConvertsValues) {
  Tensor t(DType::Float32, {3});
  t.data<float>()[0] = 1.7f;
  t.data<float>()[1] = -2.2f;
  t.data<float>()[2] = 0.0f;
  Tensor i = t.cast(DType::Int64);
  EXPECT_EQ(i.to_int_vector(), (std::vector<int64_t>{1, -2, 0}));
  Tensor b = t.cast(DType::Bool);
  EXPECT_EQ(b.to_int_vector(), (std::vector<int64_t>{1, 1, 0}));
}

TEST(Printer, PrintsNodesConstantsAndSymbolicDims) {
  Graph g;
  Value* x = g.add_input("input", DType::Float32, {Dim::named("batch_size"), Dim::fixed(4)});
  Value* two = g.add_constant(Tensor::scalar_of(DType::Float32, 2.0), "two");
  Node* mul = g.add_node("Mul", {x, two});
  mul->outputs[0]->shape = Shape{Dim::named("batch_size"), Dim::fixed(4)};
  Node* relu = g.add_node("LeakyRelu", {mul->outputs[0]}, 1, {{"alpha", 0.5}});
  relu->outputs[0]->name = "output";
  g.mark_output(relu->outputs[0]);
  EXPECT_EQ(print_graph(g),
            "graph(%input: f32[batch_size,4]) {\n"
            "  %Mul_0: f32[batch_size,4] = Mul(%input, %two: const f32[] {2})\n"
            "  %output: f32[*] = LeakyRelu(%Mul_0) {alpha=0.5}\n"
            "  return %output\n"
            "}\n");
}

TEST(Verifier, AcceptsWellFormedGraph) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2}));
  Node* n = g.add_node("Relu", {x});
  g.mark_output(n->outputs[0]);
  EXPECT_TRUE(verify_graph(g).empty());
}

TEST(Verifier, ReportsUseBeforeDefinitionAndMissingOutputs) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({2}));
  Value* later = g.new_value("later", DType::Float32);
  g.add_node("Add", {x, later});
  auto problems = verify_graph(g);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("uses %later before it is defined"), std::string::npos);
  EXPECT_EQ(problems[1], "graph has no outputs");
}

TEST(Graph, UniqueNamesDoNotCollide) {
  Graph g;
  EXPECT_EQ(g.unique_name("w"), "w");
  EXPECT_EQ(g.unique_name("w"), "w_1");
  EXPECT_EQ(g.unique_name("w_1"), "w_1_1");
}

}  // namespace
}  // namespace mlexport::ir
