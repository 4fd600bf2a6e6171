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
            "  %Mul_0: f32[batch_size,4] = Mul(%input, %two: const f32[] {2.0})\n"
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

namespace mlexport::ir {
namespace {

// If(cond, x): then x * 2, else x; captures are inputs of the branches.
struct IfGraph {
  Graph g;
  Value* x = nullptr;
  Node* node = nullptr;
  Subgraph then_branch = std::make_shared<Graph>(), else_branch = std::make_shared<Graph>();

  IfGraph() {
    Value* cond = g.add_input("cond", DType::Bool, {});
    x = g.add_input("x", DType::Float32, {Dim::fixed(3)});
    Value* tx = then_branch->add_input("x", DType::Float32, {Dim::fixed(3)});
    Value* two = then_branch->add_constant(Tensor::scalar_of(DType::Float32, 2.0), "two");
    then_branch->mark_output(then_branch->add_node("Mul", {tx, two})->outputs[0]);
    Value* ex = else_branch->add_input("x", DType::Float32, {Dim::fixed(3)});
    else_branch->mark_output(ex);
    node = g.add_node(
        "If", {cond, x}, 1,
        {{"then_branch", then_branch}, {"else_branch", else_branch}, {"captures", int64_t{1}}});
    g.mark_output(node->outputs[0]);
  }
};

TEST(ControlFlowIr, VerifierAcceptsClosedBranchesAndPrinterShowsThem) {
  IfGraph f;
  EXPECT_TRUE(verify_graph(f.g).empty());
  const std::string text = print_graph(f.g);
  EXPECT_NE(text.find("then_branch=graph(%x: f32[3])"), std::string::npos) << text;
  EXPECT_NE(text.find("Mul(%x, %two: const f32[] {2.0})"), std::string::npos) << text;
}

TEST(ControlFlowIr, VerifierRejectsAnOuterValueUsedWithoutCapture) {
  IfGraph f;
  // The then-branch reads the outer %x directly instead of its own input.
  f.then_branch->nodes()[0]->inputs[0] = f.x;
  auto problems = verify_graph(f.g);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("subgraph"), std::string::npos) << problems[0];
}

TEST(ControlFlowIr, VerifierRejectsCapturesThatDoNotLineUp) {
  IfGraph f;
  f.node->attrs["captures"] = int64_t{0};
  EXPECT_FALSE(verify_graph(f.g).empty());
}

}  // namespace
}  // namespace mlexport::ir
