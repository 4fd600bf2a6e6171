// If-8 and Loop-5: hand-built IR control flow written to OpenVINO IR, checked, read back and run
// in ONNX Runtime beside the IR's own ONNX form, on inputs that take each branch and several
// iteration counts; and the checker's rules for bodies and port maps, one corruption each.
#include <fstream>
#include <regex>
#include <sstream>

#include "emit/openvino/openvino_check.h"
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

// If(flag, x): then x * w (w a constant of the branch), else -x + 1.
void build_if(Graph& g) {
  Value* x = input(g, {2, 3});
  Value* flag = g.add_input("flag", DType::Bool, {});
  auto then_branch = std::make_shared<Graph>();
  Value* tx = input(*then_branch, {2, 3}, DType::Float32, "tx");
  then_branch->mark_output(op_(*then_branch, "Mul", {tx, weight(*then_branch, {2, 3}, 7)}));
  auto else_branch = std::make_shared<Graph>();
  Value* ex = input(*else_branch, {2, 3}, DType::Float32, "ex");
  else_branch->mark_output(
      op_(*else_branch, "Add", {op_(*else_branch, "Neg", {ex}), scalar(*else_branch, 1.0)}));
  ir::Node* n = g.add_node(
      "If", {flag, x}, 1,
      {{"then_branch", then_branch}, {"else_branch", else_branch}, {"captures", int64_t{1}}});
  n->outputs[0]->dtype = DType::Float32;
  n->outputs[0]->shape = ir::fixed_shape({2, 3});
  g.mark_output(op_(g, "Relu", {n->outputs[0]}));
}

// Loop(n, -, acc = x; captures w): acc <- acc * w + iteration; the last acc and every acc
// stacked.
void build_loop(Graph& g) {
  Value* x = input(g, {3});
  Value* trips = g.add_input("n", DType::Int64, {});
  Value* w = input(g, {3}, DType::Float32, "w");
  auto body = std::make_shared<Graph>();
  Value* iter = body->add_input("iter", DType::Int64, {});
  Value* cond = body->add_input("cond", DType::Bool, {});
  Value* acc = input(*body, {3}, DType::Float32, "acc");
  Value* bw = input(*body, {3}, DType::Float32, "bw");
  Value* as_float = op_(*body, "Cast", {iter}, {{"to", static_cast<int64_t>(DType::Float32)}});
  Value* next = op_(*body, "Add", {op_(*body, "Mul", {acc, bw}), as_float});
  body->mark_output(cond);
  body->mark_output(next);
  body->mark_output(next);
  ir::Node* n =
      g.add_node("Loop", {trips, nullptr, x, w}, 2, {{"body", body}, {"captures", int64_t{1}}});
  n->outputs[0]->dtype = DType::Float32;
  n->outputs[0]->shape = ir::fixed_shape({3});
  n->outputs[1]->dtype = DType::Float32;
  n->outputs[1]->shape = ir::Shape{ir::Dim::named("iterations"), ir::Dim::fixed(3)};
  g.mark_output(n->outputs[0]);
  g.mark_output(n->outputs[1]);
}

TEST(OpenVinoControlFlow, IfRunsEitherBranchLikeOnnx) {
  REQUIRE_ORT();
  Graph g;
  build_if(g);
  for (bool flag : {true, false}) {
    RoundTrip rt = round_trip(g, {floats({2, 3}, 3), Tensor::scalar_of(DType::Bool, flag)});
    EXPECT_LE(rt.max_abs_diff, 1e-6) << "flag " << flag;
    EXPECT_EQ(count_layers(rt.xml, "If", "opset8"), 1);
    EXPECT_NE(rt.xml.find("<then_body>"), std::string::npos);
    EXPECT_NE(rt.xml.find("<else_port_map>"), std::string::npos);
  }
}

TEST(OpenVinoControlFlow, LoopCarriesAndStacksLikeOnnx) {
  REQUIRE_ORT();
  Graph g;
  build_loop(g);
  for (int64_t trips : {1, 4}) {
    RoundTrip rt = round_trip(g, {floats({3}, 5), Tensor::scalar_int64(trips), floats({3}, 6)});
    EXPECT_LE(rt.max_abs_diff, 1e-5) << trips << " iterations";
    ASSERT_EQ(rt.through_openvino.size(), 2u);
    EXPECT_EQ(rt.through_openvino[1].shape, (std::vector<int64_t>{trips, 3}));
    EXPECT_EQ(count_layers(rt.xml, "Loop", "opset5"), 1);
    EXPECT_NE(rt.xml.find("purpose=\"current_iteration\""), std::string::npos);
    EXPECT_NE(rt.xml.find("<back_edges>"), std::string::npos);
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Writes `build`'s graph, applies `from` -> `to` once and returns the checker's message.
std::string corrupt_and_check(void (*build)(Graph&), const std::string& from,
                              const std::string& to) {
  Graph g;
  build(g);
  TempDir dir;
  const std::string xml = dir.file("model.xml");
  emit::emit_openvino(g, xml, {});
  return corrupt_and_check_ir(xml, read_text(xml), from, to);
}

TEST(OpenVinoControlFlowCheck, RejectsAPortMapNamingAMissingLayer) {
  std::string msg =
      corrupt_and_check(build_if, R"(internal_layer_id="\d+")", R"(internal_layer_id="99")");
  EXPECT_NE(msg.find("names layer 99"), std::string::npos) << msg;
}

TEST(OpenVinoControlFlowCheck, RejectsABodyParameterNoEntryFeeds) {
  std::string msg =
      corrupt_and_check(build_if, R"(<then_port_map>\s*<input [^>]*/>)", "<then_port_map>");
  EXPECT_NE(msg.find("is mapped 0 times"), std::string::npos) << msg;
}

TEST(OpenVinoControlFlowCheck, RejectsAnOutputMappedTwice) {
  // Inputs are ports 0-3, the last acc port 4, the stacked accs port 5.
  std::string msg =
      corrupt_and_check(build_loop, R"(external_port_id="5")", R"(external_port_id="4")");
  EXPECT_NE(msg.find("twice"), std::string::npos) << msg;
}

TEST(OpenVinoControlFlowCheck, RejectsALoopWithoutItsCondition) {
  std::string msg = corrupt_and_check(build_loop, R"( purpose="execution_condition")", "");
  EXPECT_NE(msg.find("outer output -1"), std::string::npos) << msg;
}

TEST(OpenVinoControlFlowCheck, RejectsABackEdgeIntoAResult) {
  std::string msg =
      corrupt_and_check(build_loop, R"re(<back_edges>\s*<edge from-layer="(\d+)" to-layer="\d+")re",
                        R"re(<back_edges><edge from-layer="$1" to-layer="$1")re");
  EXPECT_NE(msg.find("back edge that does not run from a Result to a Parameter"), std::string::npos)
      << msg;
}

}  // namespace
}  // namespace mlexport::testing
