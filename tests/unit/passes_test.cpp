// Pass tests on the IR's text form, and numerically in ONNX Runtime.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "emit/onnx/onnx_emitter.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/pass.h"
#include "runtime/onnxruntime_runner.h"

namespace mlexport::passes {
namespace {

namespace fs = std::filesystem;
using ir::DType;
using ir::Tensor;

Tensor random_tensor(std::vector<int64_t> shape, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Conv -> BatchNormalization -> Relu with non-trivial statistics.
void build_conv_bn(ir::Graph& g, std::mt19937& rng) {
  ir::Value* x = g.add_input("input", DType::Float32, ir::fixed_shape({1, 3, 8, 8}));
  ir::Value* w = g.add_constant(random_tensor({4, 3, 3, 3}, rng, -1, 1), "w");
  ir::Value* b = g.add_constant(random_tensor({4}, rng, -1, 1), "b");
  ir::Node* conv = g.add_node(
      "Conv", {x, w, b}, 1,
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  conv->outputs[0]->shape = ir::fixed_shape({1, 4, 8, 8});
  ir::Node* bn = g.add_node("BatchNormalization",
                            {conv->outputs[0], g.add_constant(random_tensor({4}, rng, 0.5, 1.5)),
                             g.add_constant(random_tensor({4}, rng, -0.5, 0.5)),
                             g.add_constant(random_tensor({4}, rng, -0.5, 0.5)),
                             g.add_constant(random_tensor({4}, rng, 0.5, 2.0))},
                            1, {{"epsilon", 1e-5}});
  bn->outputs[0]->shape = ir::fixed_shape({1, 4, 8, 8});
  ir::Node* relu = g.add_node("Relu", {bn->outputs[0]});
  relu->outputs[0]->name = "output";
  relu->outputs[0]->shape = ir::fixed_shape({1, 4, 8, 8});
  g.mark_output(relu->outputs[0]);
}

std::vector<Tensor> run(const ir::Graph& g, const std::vector<Tensor>& inputs, int opset = 17) {
  std::string why;
  if (!runtime::onnxruntime_available(&why)) return {};
  fs::path path =
      fs::temp_directory_path() / ("mlexport-pass-" + std::to_string(::getpid()) + ".onnx");
  emit::OnnxOptions options;
  options.opset_version = opset;
  emit::emit_onnx(g, path.string(), options);
  auto result = runtime::run_onnxruntime(path.string(), inputs);
  fs::remove(path);
  return result.outputs;
}

double max_diff(const Tensor& a, const Tensor& b) {
  double d = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    d = std::max(d, std::fabs(a.value_as_double(i) - b.value_as_double(i)));
  return d;
}

TEST(FoldBatchNorm, RemovesBatchNormAndKeepsNumbers) {
  std::mt19937 rng(7);
  ir::Graph before, after;
  build_conv_bn(before, rng);
  rng.seed(7);
  build_conv_bn(after, rng);
  EXPECT_TRUE(fold_batch_norm(after, {}));
  const std::string text = ir::print_graph(after);
  EXPECT_EQ(text.find("BatchNormalization"), std::string::npos) << text;
  EXPECT_NE(text.find("Conv("), std::string::npos);
  EXPECT_TRUE(ir::verify_graph(after).empty());

  std::vector<Tensor> inputs = {random_tensor({1, 3, 8, 8}, rng, -2, 2)};
  auto expected = run(before, inputs);
  if (expected.empty()) GTEST_SKIP() << "ONNX Runtime is not available";
  auto got = run(after, inputs);
  EXPECT_LT(max_diff(expected[0], got[0]), 1e-5);
}

TEST(FoldConstants, FoldsStaticShapeArithmetic) {
  ir::Graph g;
  ir::Value* x = g.add_input("input", DType::Float32, ir::fixed_shape({2, 3, 4}));
  ir::Node* shape = g.add_node("Shape", {x});
  ir::Node* batch =
      g.add_node("Gather", {shape->outputs[0], g.add_constant(Tensor::scalar_int64(0))}, 1,
                 {{"axis", int64_t{0}}});
  ir::Node* unsq =
      g.add_node("Unsqueeze", {batch->outputs[0]}, 1, {{"axes", std::vector<int64_t>{0}}});
  ir::Node* cat =
      g.add_node("Concat", {unsq->outputs[0], g.add_constant(Tensor::vector_int64({-1}))}, 1,
                 {{"axis", int64_t{0}}});
  ir::Node* reshape = g.add_node("Reshape", {x, cat->outputs[0]});
  g.mark_output(reshape->outputs[0]);

  PassContext dynamic{17, true};
  EXPECT_FALSE(fold_constants(g, dynamic));  // a dynamic batch keeps Shape in the graph
  EXPECT_EQ(g.nodes().size(), 5u);

  PassContext fixed{17, false};
  EXPECT_TRUE(fold_constants(g, fixed));
  eliminate_dead_code(g, fixed);
  ASSERT_EQ(g.nodes().size(), 1u);
  EXPECT_NE(ir::print_graph(g).find("Reshape(%input, %Concat_3_folded: const i64[2] {2,-1})"),
            std::string::npos)
      << ir::print_graph(g);
}

TEST(RemoveIdentities, BypassesIdentityAndKeepsOutputName) {
  ir::Graph g;
  ir::Value* x = g.add_input("input", DType::Float32, ir::fixed_shape({2}));
  ir::Node* relu = g.add_node("Relu", {x});
  ir::Node* id1 = g.add_node("Identity", {relu->outputs[0]});
  ir::Node* id2 = g.add_node("Identity", {id1->outputs[0]});
  id2->outputs[0]->name = "output";
  g.mark_output(id2->outputs[0]);
  EXPECT_TRUE(remove_identities(g, {}));
  EXPECT_EQ(ir::print_graph(g),
            "graph(%input: f32[2]) {\n  %output: f32[*] = Relu(%input)\n  return %output\n}\n");
}

TEST(EliminateDeadCode, DropsUnusedBranches) {
  ir::Graph g;
  ir::Value* x = g.add_input("input", DType::Float32, ir::fixed_shape({2}));
  g.add_node("Exp", {x});
  ir::Node* relu = g.add_node("Relu", {x});
  g.mark_output(relu->outputs[0]);
  EXPECT_TRUE(eliminate_dead_code(g, {}));
  EXPECT_EQ(g.nodes().size(), 1u);
  EXPECT_EQ(g.nodes()[0]->op, "Relu");
}

TEST(LegalizeOnnxOpset, DecomposesLayerNormBelowOpset17) {
  std::mt19937 rng(3);
  auto build = [&](ir::Graph& g) {
    ir::Value* x = g.add_input("input", DType::Float32, ir::fixed_shape({2, 5, 6}));
    rng.seed(3);
    ir::Node* ln = g.add_node("LayerNormalization",
                              {x, g.add_constant(random_tensor({6}, rng, 0.5, 1.5)),
                               g.add_constant(random_tensor({6}, rng, -1, 1))},
                              1, {{"axis", int64_t{2}}, {"epsilon", 1e-5}});
    ln->outputs[0]->name = "output";
    ln->outputs[0]->shape = ir::fixed_shape({2, 5, 6});
    g.mark_output(ln->outputs[0]);
  };
  ir::Graph reference, lowered;
  build(reference);
  build(lowered);
  EXPECT_FALSE(legalize_onnx_opset(lowered, {17, false}));
  EXPECT_TRUE(legalize_onnx_opset(lowered, {16, false}));
  const std::string text = ir::print_graph(lowered);
  EXPECT_EQ(text.find("LayerNormalization"), std::string::npos) << text;
  EXPECT_NE(text.find("ReduceMean"), std::string::npos);
  EXPECT_TRUE(ir::verify_graph(lowered).empty());

  std::vector<Tensor> inputs = {random_tensor({2, 5, 6}, rng, -3, 3)};
  auto expected = run(reference, inputs, 17);
  if (expected.empty()) GTEST_SKIP() << "ONNX Runtime is not available";
  auto got = run(lowered, inputs, 16);
  EXPECT_LT(max_diff(expected[0], got[0]), 1e-5);
}

TEST(Pipeline, HonoursDisabledPassesAndNoSimplify) {
  std::mt19937 rng(1);
  ir::Graph g;
  build_conv_bn(g, rng);
  PipelineOptions options;
  options.disabled = {"fold-batch-norm"};
  options.verify_each = true;
  auto log = run_pipeline(g, {17, false}, options);
  EXPECT_NE(ir::print_graph(g).find("BatchNormalization"), std::string::npos);
  EXPECT_NE(std::find(log.begin(), log.end(), "fold-batch-norm: skipped"), log.end());

  ir::Graph g2;
  rng.seed(1);
  build_conv_bn(g2, rng);
  options.disabled.clear();
  options.simplify = false;
  run_pipeline(g2, {17, false}, options);
  EXPECT_NE(ir::print_graph(g2).find("BatchNormalization"), std::string::npos);

  ir::Graph g3;
  rng.seed(1);
  build_conv_bn(g3, rng);
  options.simplify = true;
  run_pipeline(g3, {17, false}, options);
  EXPECT_EQ(ir::print_graph(g3).find("BatchNormalization"), std::string::npos);
}

// Passes run inside subgraphs too: a dead node and constant arithmetic in a branch go, and the
// verifier still accepts the graph after every pass.
TEST(Pipeline, RunsInsideSubgraphs) {
  ir::Graph g;
  ir::Value* cond = g.add_input("cond", ir::DType::Bool, {});
  ir::Value* x = g.add_input("x", ir::DType::Float32, {ir::Dim::fixed(3)});
  auto branch = std::make_shared<ir::Graph>();
  ir::Value* bx = branch->add_input("x", ir::DType::Float32, {ir::Dim::fixed(3)});
  ir::Value* one = branch->add_constant(ir::Tensor::scalar_of(ir::DType::Float32, 1.0), "one");
  ir::Node* two = branch->add_node("Add", {one, one});  // folds to a constant
  ir::Node* dead = branch->add_node("Neg", {bx});       // nothing uses it
  (void)dead;
  branch->mark_output(branch->add_node("Mul", {bx, two->outputs[0]})->outputs[0]);
  auto other = std::make_shared<ir::Graph>();
  other->mark_output(other->add_input("x", ir::DType::Float32, {ir::Dim::fixed(3)}));
  ir::Node* n =
      g.add_node("If", {cond, x}, 1,
                 {{"then_branch", branch}, {"else_branch", other}, {"captures", int64_t{1}}});
  g.mark_output(n->outputs[0]);
  PipelineOptions options;
  options.verify_each = true;
  run_pipeline(g, {17, false}, options);
  const std::string text = ir::print_graph(*branch);
  EXPECT_EQ(text.find("= Neg("), std::string::npos) << text;
  EXPECT_EQ(text.find("= Add("), std::string::npos) << text;
  EXPECT_NE(text.find("= Mul("), std::string::npos) << text;
}

}  // namespace
}  // namespace mlexport::passes

namespace mlexport::passes {
namespace {

// --disable_pass names one pass: two passes with one name could not be told apart.
TEST(Pipeline, PassNamesAreUnique) {
  std::set<std::string> names;
  for (const Pass& pass : all_passes()) EXPECT_TRUE(names.insert(pass.name).second) << pass.name;
}

}  // namespace
}  // namespace mlexport::passes
