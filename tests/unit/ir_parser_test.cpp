// The IR's text form read back (ir/parser.h), and passes tested as IR text before and after.
#include <gtest/gtest.h>

#include "ir/ops/infer.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "mlexport/diagnostics.h"
#include "passes/pass.h"

namespace mlexport::ir {
namespace {

// Parses, checks the graph, and prints it again.
std::string reprint(const std::string& text) {
  auto g = parse_graph(text);
  const auto problems = verify_graph(*g);
  EXPECT_TRUE(problems.empty()) << problems.front();
  return print_graph(*g);
}

std::string parse_error(const std::string& text) {
  try {
    parse_graph(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    return e.what();
  }
  return "(parsed)";
}

TEST(Parser, ReadsBackWhatThePrinterWrites) {
  const std::string text =
      "graph(%input: f32[batch_size,3,4], %mask: bool[*]) {\n"
      "  %Mul_0: f32[batch_size,3,4] = Mul(%input, %scale: const f32[3,1] {0.5,-2.0,1e-07})\n"
      "  %parts: f32[?,3,2], %rest: f32[?,3,2] = Split(%Mul_0) {axis=2, split=[2,2]}\n"
      "  %sum: f32[?,3,2] = Add(%parts, %rest)\n"
      "  %clip: f32[?,3,2] = Clip(%sum, _, %hi: const f32[] {6.0})\n"
      "  %pad: f32[*] = Pad(%clip) {mode=\"constant\", pads=[0,0,0,0,0,1]}\n"
      "  %up: f32[*] = Resize(%pad) {mode=\"nearest\", scales=[1.0,1.0,1.5]}\n"
      "  %fill: i64[*] = ConstantOfShape(%dims: const i64[1] {2}) {value=tensor i64[1] {-1}}\n"
      "  %y: f32[*], %yh: f32[*] = RNN(%clip, %w: const f32[2,1,2] {1.0,2.0,3.0,4.0}, "
      "%r: const f32[2,1,1] {0.5,0.25}) {activations=[\"Tanh\",\"Relu\"], "
      "direction=\"bidirectional\", hidden_size=1}\n"
      "  return %up, %y, %fill, %scale: const f32[3,1] {0.5,-2.0,1e-07}\n"
      "}\n";
  const std::string printed = reprint(text);
  EXPECT_NE(printed.find("%scale: const f32[3,1] {0.5,-2.0,1e-07}"), std::string::npos);
  EXPECT_NE(printed.find("{axis=2, split=[2,2]}"), std::string::npos) << printed;
  EXPECT_NE(printed.find("Clip(%sum, _, %hi: const f32[] {6.0})"), std::string::npos);
  EXPECT_NE(printed.find("{mode=\"nearest\", scales=[1.0,1.0,1.5]}"), std::string::npos);
  EXPECT_NE(printed.find("{value=tensor i64[1] {-1}}"), std::string::npos) << printed;
  EXPECT_NE(printed.find("{activations=[\"Tanh\",\"Relu\"], direction=\"bidirectional\""),
            std::string::npos)
      << printed;
  EXPECT_EQ(reprint(printed), printed);  // a fixed point after one round
}

TEST(Parser, KeepsDimsDtypesAndExactValues) {
  auto g = parse_graph(
      "graph(%x: f16[batch,?,8]) {\n"
      "  %y: f16[batch,?,8] = Mul(%x, %c: const f64[2] {0.1,3.0000000000000004})\n"
      "  return %y\n"
      "}\n");
  Value* x = g->inputs().at(0);
  EXPECT_EQ(x->dtype, DType::Float16);
  ASSERT_TRUE(x->shape);
  EXPECT_EQ((*x->shape)[0], Dim::named("batch"));
  EXPECT_FALSE((*x->shape)[1].is_fixed());
  EXPECT_TRUE((*x->shape)[1].symbol.empty());
  EXPECT_EQ((*x->shape)[2], Dim::fixed(8));
  const Tensor& c = *g->nodes().at(0)->inputs.at(1)->constant;
  EXPECT_EQ(c.dtype, DType::Float64);
  EXPECT_EQ(c.data<double>()[0], 0.1);
  EXPECT_EQ(c.data<double>()[1], 3.0000000000000004);
}

// A constant over 8 values prints as its type only by default; with every value printed, the
// text reads back to the same values.
TEST(Parser, ReadsBackLargeConstantsPrintedInFull) {
  Graph g;
  Value* x = g.add_input("x", DType::Float32, fixed_shape({1, 12}));
  Tensor w(DType::Float32, {12});
  for (int k = 0; k < 12; ++k) w.data<float>()[k] = 0.1f * static_cast<float>(k) - 0.55f;
  Node* mul = g.add_node("Mul", {x, g.add_constant(w, "w")});
  mul->outputs[0]->shape = fixed_shape({1, 12});
  g.mark_output(mul->outputs[0]);
  const std::string brief = print_graph(g);
  EXPECT_NE(brief.find("%w: const f32[12])"), std::string::npos) << brief;
  EXPECT_NE(parse_error(brief), "(parsed)");
  const std::string full = print_graph(g, {.max_constant_values = -1});
  auto back = parse_graph(full);
  const Tensor& read = *back->nodes().at(0)->inputs.at(1)->constant;
  ASSERT_EQ(read.numel(), 12);
  for (int k = 0; k < 12; ++k) EXPECT_EQ(read.data<float>()[k], w.data<float>()[k]) << k;
  EXPECT_EQ(print_graph(*back, {.max_constant_values = -1}), full);
}

TEST(Parser, ReadsSubgraphs) {
  const std::string text =
      "graph(%c: bool[], %x: f32[2]) {\n"
      "  %out: f32[2] = If(%c, %x) {captures=1, else_branch=graph(%x_else: f32[2]) {\n"
      "      %n: f32[2] = Neg(%x_else)\n"
      "      return %n\n"
      "    }, then_branch=graph(%x_then: f32[2]) {\n"
      "      return %x_then\n"
      "    }}\n"
      "  return %out\n"
      "}\n";
  auto g = parse_graph(text);
  EXPECT_TRUE(verify_graph(*g).empty());
  Graph* else_branch = g->nodes().at(0)->subgraph("else_branch");
  ASSERT_NE(else_branch, nullptr);
  EXPECT_EQ(else_branch->nodes().at(0)->op, "Neg");
  EXPECT_EQ(print_graph(*g), text);
}

TEST(Parser, NamesTheLineAndTheProblem) {
  EXPECT_NE(parse_error("graph(%x: f32[2]) {\n  %y: f32[2] = Relu(%z)\n  return %y\n}\n")
                .find("line 2: use of undefined value %z"),
            std::string::npos);
  EXPECT_NE(parse_error("graph(%x: q8[2]) {\n  return %x\n}\n").find("unknown dtype 'q8'"),
            std::string::npos);
  EXPECT_NE(parse_error("graph(%x: f32[2]) {\n  %y: f32[2] = Add(%x, %c: const f32[2] {1})\n"
                        "  return %y\n}\n")
                .find("1 values for a tensor of 2 elements"),
            std::string::npos);
  EXPECT_NE(parse_error("graph(%x: f32[2]) {\n  %y: f32[2] = Add(%x, %c: const f32[9])\n"
                        "  return %y\n}\n")
                .find("expected the constant's values in braces"),
            std::string::npos);
  EXPECT_NE(parse_error("graph(%x: f32[2]) {\n  %x: f32[2] = Relu(%x)\n  return %x\n}\n")
                .find("value %x is defined twice"),
            std::string::npos);
  EXPECT_NE(parse_error("graph(%x: f32[2]) {\n  return %x\n}\n}").find("text after the end"),
            std::string::npos);
}

// --- passes as IR text before and after ---

std::string after(bool (*pass)(Graph&, const passes::PassContext&), const std::string& before,
                  passes::PassContext context = {}) {
  auto g = parse_graph(before);
  pass(*g, context);
  const auto problems = verify_graph(*g);
  EXPECT_TRUE(problems.empty()) << problems.front();
  return print_graph(*g);
}

TEST(PassText, FoldConstantsEvaluatesConstantSubgraphs) {
  EXPECT_EQ(after(passes::fold_constants,
                  "graph(%x: f32[2]) {\n"
                  "  %s: f32[2] = Add(%a: const f32[2] {1.0,2.0}, %b: const f32[2] {0.5,0.5})\n"
                  "  %y: f32[2] = Mul(%x, %s)\n"
                  "  return %y\n"
                  "}\n"),
            "graph(%x: f32[2]) {\n"
            "  %y: f32[2] = Mul(%x, %s_folded: const f32[2] {1.5,2.5})\n"
            "  return %y\n"
            "}\n");
}

TEST(PassText, RemoveIdentitiesForwardsTheirInputs) {
  EXPECT_EQ(after(passes::remove_identities,
                  "graph(%x: f32[2]) {\n"
                  "  %i: f32[2] = Identity(%x)\n"
                  "  %y: f32[2] = Relu(%i)\n"
                  "  return %y\n"
                  "}\n"),
            "graph(%x: f32[2]) {\n"
            "  %y: f32[2] = Relu(%x)\n"
            "  return %y\n"
            "}\n");
}

TEST(PassText, InferShapesFillsUnknownShapes) {
  EXPECT_EQ(after(passes::infer_shapes,
                  "graph(%x: f32[2,1,3], %y: f32[4,1], %c: bool[4,3]) {\n"
                  "  %t: f32[*] = Transpose(%x) {perm=[2,0,1]}\n"
                  "  %s: f32[*] = Add(%x, %y)\n"
                  "  %i: f32[*] = Cast(%s) {to=8}\n"
                  "  %w: f32[*] = Where(%c, %y, %x)\n"
                  "  %n: f32[*] = Shape(%t)\n"
                  "  return %i, %w, %n\n"
                  "}\n"),
            "graph(%x: f32[2,1,3], %y: f32[4,1], %c: bool[4,3]) {\n"
            "  %t: f32[3,2,1] = Transpose(%x) {perm=[2,0,1]}\n"
            "  %s: f32[2,4,3] = Add(%x, %y)\n"
            "  %i: i64[2,4,3] = Cast(%s) {to=8}\n"
            "  %w: f32[2,4,3] = Where(%c, %y, %x)\n"
            "  %n: i64[3] = Shape(%t)\n"
            "  return %i, %w, %n\n"
            "}\n");
}

TEST(PassText, InferShapesFollowsEachOpsRule) {
  EXPECT_EQ(
      after(passes::infer_shapes,
            "graph(%x: f32[batch,1,8,8]) {\n"
            "  %c: f32[*] = Conv(%x, %w: const f32[2,1,2,2] {1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0}) "
            "{pads=[1,1,1,1], strides=[2,2]}\n"
            "  %p: f32[*] = MaxPool(%c) {ceil_mode=1, kernel_shape=[3,3], strides=[2,2]}\n"
            "  %r: f32[*] = Reshape(%p, %s: const i64[2] {0,-1})\n"
            "  %g: f32[*] = Gather(%r, %i: const i64[2] {0,1}) {axis=1}\n"
            "  %m: f32[*] = MatMul(%g, %v: const f32[2,4] {1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0})\n"
            "  %k: f32[*], %j: f32[*] = TopK(%m, %n: const i64[1] {3}) {axis=-1}\n"
            "  %d: f32[*] = ReduceMean(%k) {axes=[1], keepdims=0}\n"
            "  %z: f32[*] = NonZero(%m)\n"
            "  return %d, %j, %z\n"
            "}\n"),
      "graph(%x: f32[batch,1,8,8]) {\n"
      "  %c: f32[batch,2,5,5] = Conv(%x, %w: const f32[2,1,2,2] {1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0}) "
      "{pads=[1,1,1,1], strides=[2,2]}\n"
      "  %p: f32[batch,2,2,2] = MaxPool(%c) {ceil_mode=1, kernel_shape=[3,3], "
      "strides=[2,2]}\n"
      "  %r: f32[batch,8] = Reshape(%p, %s: const i64[2] {0,-1})\n"
      "  %g: f32[batch,2] = Gather(%r, %i: const i64[2] {0,1}) {axis=1}\n"
      "  %m: f32[batch,4] = MatMul(%g, %v: const f32[2,4] {1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0})\n"
      "  %k: f32[batch,3], %j: i64[batch,3] = TopK(%m, %n: const i64[1] {3}) {axis=-1}\n"
      "  %d: f32[batch] = ReduceMean(%k) {axes=[1], keepdims=0}\n"
      "  %z: i64[2,?] = NonZero(%m)\n"
      "  return %d, %j, %z\n"
      "}\n");
}

// Shapes carried as data (Shape, Gather, Unsqueeze, Concat, Slice, integer arithmetic) reach
// the Reshape, Expand and ConstantOfShape that read them, named sizes included.
TEST(PassText, InferShapesFollowsShapesCarriedAsData) {
  EXPECT_EQ(after(passes::infer_shapes,
                  "graph(%x: f32[batch,3,4,4]) {\n"
                  "  %s: i64[*] = Shape(%x)\n"
                  "  %b: i64[*] = Gather(%s, %zero: const i64[] {0}) {axis=0}\n"
                  "  %u: i64[*] = Unsqueeze(%b, %axes: const i64[1] {0})\n"
                  "  %t: i64[*] = Concat(%u, %rest: const i64[1] {-1}) {axis=0}\n"
                  "  %r: f32[*] = Reshape(%x, %t)\n"
                  "  %hw: i64[*] = Slice(%s, %from: const i64[1] {2}, %to: const i64[1] {4})\n"
                  "  %twice: i64[*] = Mul(%hw, %two: const i64[] {2})\n"
                  "  %k: i64[*] = Concat(%u, %c: const i64[1] {1}, %twice) {axis=0}\n"
                  "  %z: f32[*] = ConstantOfShape(%k)\n"
                  "  %k3: i64[*] = Concat(%u, %three: const i64[1] {3}, %twice) {axis=0}\n"
                  "  %e: f32[*] = Expand(%z, %k3)\n"
                  "  return %r, %e\n"
                  "}\n"),
            "graph(%x: f32[batch,3,4,4]) {\n"
            "  %s: i64[4] = Shape(%x)\n"
            "  %b: i64[] = Gather(%s, %zero: const i64[] {0}) {axis=0}\n"
            "  %u: i64[1] = Unsqueeze(%b, %axes: const i64[1] {0})\n"
            "  %t: i64[2] = Concat(%u, %rest: const i64[1] {-1}) {axis=0}\n"
            "  %r: f32[batch,48] = Reshape(%x, %t)\n"
            "  %hw: i64[2] = Slice(%s, %from: const i64[1] {2}, %to: const i64[1] {4})\n"
            "  %twice: i64[2] = Mul(%hw, %two: const i64[] {2})\n"
            "  %k: i64[4] = Concat(%u, %c: const i64[1] {1}, %twice) {axis=0}\n"
            "  %z: f32[batch,1,8,8] = ConstantOfShape(%k)\n"
            "  %k3: i64[4] = Concat(%u, %three: const i64[1] {3}, %twice) {axis=0}\n"
            "  %e: f32[batch,3,8,8] = Expand(%z, %k3)\n"
            "  return %r, %e\n"
            "}\n");
}

TEST(PassText, InferShapesReadsAnEinsumEquation) {
  EXPECT_EQ(after(passes::infer_shapes,
                  "graph(%a: f32[batch,4,5], %b: f32[1,5,6], %v: f32[3,2,7]) {\n"
                  "  %m: f32[*] = Einsum(%a, %b) {equation=\"bij, bjk -> bki\"}\n"
                  "  %t: f32[*] = Einsum(%v) {equation=\"...ij\"}\n"
                  "  %s: f32[*] = Einsum(%a, %b) {equation=\"...ij,...jk\"}\n"
                  "  return %m, %t, %s\n"
                  "}\n"),
            "graph(%a: f32[batch,4,5], %b: f32[1,5,6], %v: f32[3,2,7]) {\n"
            "  %m: f32[batch,6,4] = Einsum(%a, %b) {equation=\"bij, bjk -> bki\"}\n"
            "  %t: f32[3,2,7] = Einsum(%v) {equation=\"...ij\"}\n"
            "  %s: f32[batch,4,6] = Einsum(%a, %b) {equation=\"...ij,...jk\"}\n"
            "  return %m, %t, %s\n"
            "}\n");
}

// A size recorded downstream of NonZero is the example's: the Slice to at most 3 rows, the Shape
// of it and what is built from that Shape keep only what the rules derive; values before the
// NonZero keep their recorded sizes.
TEST(PassText, RecordedSizesAfterADataDecidedLengthBecomeUnknown) {
  auto g = parse_graph(
      "graph(%x: f32[5,4]) {\n"
      "  %r: f32[5,4] = Relu(%x)\n"
      "  %m: f32[5] = ReduceMax(%r) {axes=[1], keepdims=0}\n"
      "  %z: i64[1,?] = NonZero(%m)\n"
      "  %i: i64[?] = Squeeze(%z) {axes=[0]}\n"
      "  %k: i64[3] = Slice(%i, %b: const i64[1] {0}, %e: const i64[1] {3})\n"
      "  %g: f32[3,4] = Gather(%r, %k) {axis=0}\n"
      "  %s: i64[2] = Shape(%g)\n"
      "  %c: f32[3,4] = ConstantOfShape(%s)\n"
      "  return %c\n"
      "}\n");
  EXPECT_EQ(ir::ops::relax_data_dependent_dims(*g), 4u);
  EXPECT_EQ(print_graph(*g),
            "graph(%x: f32[5,4]) {\n"
            "  %r: f32[5,4] = Relu(%x)\n"
            "  %m: f32[5] = ReduceMax(%r) {axes=[1], keepdims=0}\n"
            "  %z: i64[1,?] = NonZero(%m)\n"
            "  %i: i64[?] = Squeeze(%z) {axes=[0]}\n"
            "  %k: i64[?] = Slice(%i, %b: const i64[1] {0}, %e: const i64[1] {3})\n"
            "  %g: f32[?,4] = Gather(%r, %k) {axis=0}\n"
            "  %s: i64[2] = Shape(%g)\n"
            "  %c: f32[?,?] = ConstantOfShape(%s)\n"
            "  return %c\n"
            "}\n");
}

TEST(PassText, LegalizeMovesASoftmaxAxisLastBeforeOpset13) {
  passes::PassContext opset11;
  opset11.opset_version = 11;
  EXPECT_EQ(after(passes::legalize_onnx_opset,
                  "graph(%x: f32[2,5,3]) {\n"
                  "  %y: f32[2,5,3] = Softmax(%x) {axis=1}\n"
                  "  return %y\n"
                  "}\n",
                  opset11),
            "graph(%x: f32[2,5,3]) {\n"
            "  %Transpose_1: f32[*] = Transpose(%x) {perm=[0,2,1]}\n"
            "  %Softmax_2: f32[*] = Softmax(%Transpose_1) {axis=2}\n"
            "  %y: f32[2,5,3] = Transpose(%Softmax_2) {perm=[0,2,1]}\n"
            "  return %y\n"
            "}\n");
}

TEST(Verifier, ChecksEachNodeAgainstItsRegistryEntry) {
  auto problems_of = [](const std::string& node) {
    auto g = parse_graph("graph(%x: f32[2,3]) {\n  " + node + "\n  return %y\n}\n");
    const auto problems = verify_graph(*g);
    return problems.empty() ? std::string("(none)") : problems.front();
  };
  EXPECT_EQ(problems_of("%y: f32[2,3] = Relu(%x)"), "(none)");
  EXPECT_EQ(problems_of("%y: f32[2,3] = Relu(%x) {alpha=1}"),
            "Relu_0 (Relu) has an unknown attribute 'alpha'");
  EXPECT_EQ(problems_of("%y: f32[2,3] = Frobnicate(%x)"),
            "Frobnicate_0 (Frobnicate) is not an IR op");
  EXPECT_EQ(problems_of("%y: f32[2,3] = Add(%x)"), "Add_0 (Add) has 1 inputs, expected 2");
  EXPECT_EQ(problems_of("%y: f32[2,3] = Transpose(%x) {perm=\"1,0\"}"),
            "Transpose_0 (Transpose) attribute 'perm' is not of kind ints");
  EXPECT_EQ(problems_of("%y: f32[2,3] = LeakyRelu(%x) {alpha=2}"), "(none)");  // 2 is 2.0
  EXPECT_EQ(problems_of("%y: f32[2,3], %z: f32[2,3] = Relu(%x)"),
            "Relu_0 (Relu) has 2 outputs, expected 1");
}

}  // namespace
}  // namespace mlexport::ir
