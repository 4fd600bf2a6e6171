// ONNX LSTM / GRU / RNN as OpenVINO LSTMSequence / GRUSequence / RNNSequence: each graph runs
// directly in ONNX Runtime and through the OpenVINO IR and back; both must agree. Weights and
// biases are random so that a gate taken for another changes the numbers.
#include "graph_builders.h"
#include "mlexport/diagnostics.h"

namespace mlexport::testing {
namespace {

using V = std::vector<int64_t>;

struct RnnGraph {
  std::string op;
  int64_t dirs = 1, hidden = 5, input = 4, seq = 6, batch = 3;
  std::map<std::string, Attribute> extra;
  bool dynamic_batch = false;
};

void build(Graph& g, const RnnGraph& s) {
  const int64_t gates = s.op == "LSTM" ? 4 : s.op == "GRU" ? 3 : 1;
  const ir::Dim b = s.dynamic_batch ? ir::Dim::named("batch") : ir::Dim::fixed(s.batch);
  Value* x = g.add_input("x", DType::Float32, {ir::Dim::fixed(s.seq), b, ir::Dim::fixed(s.input)});
  Value* h0 =
      g.add_input("h0", DType::Float32, {ir::Dim::fixed(s.dirs), b, ir::Dim::fixed(s.hidden)});
  std::vector<Value*> ins = {x,
                             weight(g, {s.dirs, gates * s.hidden, s.input}, 11),
                             weight(g, {s.dirs, gates * s.hidden, s.hidden}, 12),
                             weight(g, {s.dirs, 2 * gates * s.hidden}, 13),
                             nullptr,
                             h0};
  if (s.op == "LSTM")
    ins.push_back(
        g.add_input("c0", DType::Float32, {ir::Dim::fixed(s.dirs), b, ir::Dim::fixed(s.hidden)}));
  std::map<std::string, Attribute> attrs = s.extra;
  attrs["hidden_size"] = s.hidden;
  attrs["direction"] = std::string(s.dirs == 2 ? "bidirectional" : "forward");
  ir::Node* n = g.add_node(s.op, ins, s.op == "LSTM" ? 3 : 2, attrs);
  for (Value* v : n->outputs) g.mark_output(v);
}

TEST(OpenVinoRecurrent, LstmBidirectional) {
  REQUIRE_ORT();
  Graph g;
  build(g, {"LSTM", 2});
  RoundTrip rt = expect_same(g, 1e-5);
  EXPECT_EQ(count_layers(rt.xml, "LSTMSequence", "opset5"), 1);
  ASSERT_EQ(rt.through_openvino.size(), 3u);
  EXPECT_EQ(rt.through_openvino[0].shape, (V{6, 2, 3, 5}));
  EXPECT_EQ(rt.through_openvino[2].shape, (V{2, 3, 5}));
}

TEST(OpenVinoRecurrent, LstmForwardDynamicBatch) {
  REQUIRE_ORT();
  Graph g;
  RnnGraph s{"LSTM"};
  s.dynamic_batch = true;
  build(g, s);
  RoundTrip rt = round_trip(g, random_inputs(g, 2, 4));
  EXPECT_LE(rt.max_abs_diff, 1e-5);
  ASSERT_EQ(rt.through_openvino.size(), 3u);
  EXPECT_EQ(rt.through_openvino[1].shape, (V{1, 4, 5}));
}

TEST(OpenVinoRecurrent, GruLinearBeforeResetBidirectional) {
  REQUIRE_ORT();
  Graph g;
  RnnGraph s{"GRU", 2};
  s.extra["linear_before_reset"] = int64_t{1};
  build(g, s);
  RoundTrip rt = expect_same(g, 1e-5);
  EXPECT_EQ(count_layers(rt.xml, "GRUSequence", "opset5"), 1);
  EXPECT_NE(rt.xml.find("linear_before_reset=\"true\""), std::string::npos);
}

TEST(OpenVinoRecurrent, GruDefault) {
  REQUIRE_ORT();
  Graph g;
  build(g, {"GRU"});
  expect_same(g, 1e-5);
}

TEST(OpenVinoRecurrent, RnnReluAndTanh) {
  REQUIRE_ORT();
  for (const char* act : {"Relu", "Tanh"}) {
    SCOPED_TRACE(act);
    Graph g;
    RnnGraph s{"RNN", 2};
    s.extra["activations"] = std::vector<std::string>{act, act};
    build(g, s);
    RoundTrip rt = expect_same(g, 1e-5);
    EXPECT_EQ(count_layers(rt.xml, "RNNSequence", "opset5"), 1);
  }
}

TEST(OpenVinoRecurrent, LstmCompressedToFp16) {
  REQUIRE_ORT();
  Graph g;
  build(g, {"LSTM", 2});
  emit::OpenVinoOptions options;
  options.compress_to_fp16 = true;
  RoundTrip rt = round_trip(g, random_inputs(g), options);
  EXPECT_LE(rt.max_abs_diff, 5e-3);
  EXPECT_GT(rt.max_abs_diff, 0.0) << "weights were not rounded to f16";
}

TEST(OpenVinoRecurrent, RunTimeWeightsAreRefused) {
  Graph g;
  Value* x = input(g, {6, 3, 4});
  Value* w = g.add_input("w", DType::Float32, ir::fixed_shape({1, 20, 4}));
  ir::Node* n = g.add_node("LSTM",
                           {x, w, weight(g, {1, 20, 5}, 2), nullptr, nullptr,
                            weight(g, {1, 3, 5}, 3), weight(g, {1, 3, 5}, 4)},
                           3, {{"hidden_size", int64_t{5}}});
  g.mark_output(n->outputs[0]);
  TempDir tmp;
  try {
    emit::emit_openvino(g, tmp.file("m.xml"), {});
    ADD_FAILURE() << "an LSTM with run-time weights was written";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kUnsupportedOps);
    EXPECT_NE(std::string(e.what()).find("run-time weights"), std::string::npos) << e.what();
  }
  EXPECT_EQ(tmp.entries(), 0u) << "a refused export left files behind";
}

}  // namespace
}  // namespace mlexport::testing
