// Small whole models: a CNN (conv-bn-relu-pool-SE-gemm-softmax) and a transformer block shaped
// like what the TorchScript frontend records for ViT (intermediate shapes left unknown).
#include "graph_builders.h"

namespace mlexport::testing {
namespace {

using V = std::vector<int64_t>;

void build_cnn(Graph& g, bool dynamic_batch) {
  ir::Shape s = {dynamic_batch ? ir::Dim::named("batch_size") : ir::Dim::fixed(1),
                 ir::Dim::fixed(3), ir::Dim::fixed(16), ir::Dim::fixed(16)};
  Value* x = g.add_input("input", DType::Float32, s);
  Value* c1 = op_(g, "Conv", {x, weight(g, {8, 3, 3, 3}, 1), weight(g, {8}, 2)},
                  {{"pads", V{1, 1, 1, 1}}, {"kernel_shape", V{3, 3}}});
  Tensor var = floats({8}, 5);
  for (int k = 0; k < 8; ++k) var.data<float>()[k] = std::abs(var.data<float>()[k]) + 0.5f;
  Value* bn =
      op_(g, "BatchNormalization",
          {c1, weight(g, {8}, 3), weight(g, {8}, 4), weight(g, {8}, 6), g.add_constant(var, "var")},
          {{"epsilon", 1e-5}});
  Value* r = op_(g, "Relu", {bn});
  Value* p = op_(g, "MaxPool", {r}, {{"kernel_shape", V{2, 2}}, {"strides", V{2, 2}}});
  Value* c2 = op_(g, "Conv", {p, weight(g, {8, 4, 3, 3}, 7), weight(g, {8}, 8)},
                  {{"pads", V{1, 1, 1, 1}}, {"group", int64_t{2}}, {"strides", V{2, 2}}});
  Value* h = op_(g, "HardSwish", {c2});
  // Squeeze-and-excitation: a gate from the pooled features.
  Value* pooled = op_(g, "GlobalAveragePool", {h});
  Value* gate = op_(g, "HardSigmoid", {op_(g, "Conv", {pooled, weight(g, {8, 8, 1, 1}, 9)})},
                    {{"alpha", 1.0 / 6}, {"beta", 0.5}});
  Value* se = op_(g, "Mul", {h, gate});
  Value* avg = op_(g, "AveragePool", {se}, {{"kernel_shape", V{2, 2}}, {"strides", V{2, 2}}});
  Value* gp = op_(g, "GlobalAveragePool", {avg});
  Value* f = op_(g, "Flatten", {gp}, {{"axis", int64_t{1}}});
  Value* logits =
      op_(g, "Gemm", {f, weight(g, {10, 8}, 10), weight(g, {10}, 11)}, {{"transB", int64_t{1}}});
  g.mark_output(op_(g, "Softmax", {logits}, {{"axis", int64_t{-1}}}));
}

TEST(OpenVinoModels, SmallCnn) {
  REQUIRE_ORT();
  Graph g;
  build_cnn(g, false);
  RoundTrip rt = expect_same(g, 1e-5);
  EXPECT_EQ(count_layers(rt.xml, "GroupConvolution"), 1);
  EXPECT_EQ(count_layers(rt.xml, "BatchNormInference"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Softmax", "opset8"), 1);
}

TEST(OpenVinoModels, SmallCnnWithDynamicBatch) {
  REQUIRE_ORT();
  Graph g;
  build_cnn(g, true);
  RoundTrip rt = round_trip(g, random_inputs(g, 3, 3));
  EXPECT_LE(rt.max_abs_diff, 1e-5);
  ASSERT_EQ(rt.through_openvino.size(), 1u);
  EXPECT_EQ(rt.through_openvino[0].shape, (V{3, 10}));
}

TEST(OpenVinoModels, SmallCnnCompressedToFp16) {
  REQUIRE_ORT();
  Graph g;
  build_cnn(g, false);
  emit::OpenVinoOptions options;
  options.compress_to_fp16 = true;
  RoundTrip rt = round_trip(g, random_inputs(g), options);
  // Softmax outputs in [0, 1]; f16 weights keep about 3 decimal digits.
  EXPECT_LE(rt.max_abs_diff, 5e-3);
  EXPECT_GT(rt.max_abs_diff, 0.0) << "weights were not rounded to f16";
  EXPECT_NE(rt.xml.find("element_type=\"f16\""), std::string::npos);
  EXPECT_NE(rt.xml.find("name=\"decompression\""), std::string::npos);
  EXPECT_NE(rt.xml.find("<data shape=\"1,3,16,16\" element_type=\"f32\""), std::string::npos);
  EXPECT_GE(count_layers(rt.xml, "Convert"), 10);
}

// A pre-norm ViT encoder block with a class token, recorded the way the TorchScript frontend
// records it: most intermediate shapes unknown.
void build_transformer(Graph& g) {
  const int64_t d = 16, heads = 2, hd = 8;
  Value* x = g.add_input("tokens", DType::Float32, ir::fixed_shape({1, 4, d}));
  Value* cls = g.add_constant(floats({1, 1, d}, 20), "cls");
  Value* cls_b = op_(g, "Expand", {cls, ints(g, {1, 1, d})});
  Value* seq = op_(g, "Concat", {cls_b, x}, {{"axis", int64_t{1}}});
  Value* pos = op_(g, "Add", {seq, weight(g, {1, 5, d}, 21)});
  Value* ln1 = op_(g, "LayerNormalization", {pos, weight(g, {d}, 22), weight(g, {d}, 23)},
                   {{"axis", int64_t{-1}}, {"epsilon", 1e-6}});
  Value* qkv =
      op_(g, "Add", {op_(g, "MatMul", {ln1, weight(g, {d, 3 * d}, 24)}), weight(g, {3 * d}, 25)});
  ir::Node* split = g.add_node("Split", {qkv}, 3, {{"axis", int64_t{-1}}, {"split", V{d, d, d}}});
  Value* q = op_(g, "Mul", {split->outputs[0], scalar(g, 1.0 / std::sqrt(double(hd)))});
  Value* heads_shape = ints(g, {0, 0, heads, hd});
  Value* qh = op_(g, "Transpose", {op_(g, "Reshape", {q, heads_shape})}, {{"perm", V{0, 2, 1, 3}}});
  Value* kh = op_(g, "Transpose", {op_(g, "Reshape", {split->outputs[1], heads_shape})},
                  {{"perm", V{0, 2, 3, 1}}});
  Value* vh = op_(g, "Transpose", {op_(g, "Reshape", {split->outputs[2], heads_shape})},
                  {{"perm", V{0, 2, 1, 3}}});
  Value* att = op_(g, "Softmax", {op_(g, "MatMul", {qh, kh})}, {{"axis", int64_t{-1}}});
  Value* ctx = op_(g, "Transpose", {op_(g, "MatMul", {att, vh})}, {{"perm", V{0, 2, 1, 3}}});
  Value* merged = op_(g, "Reshape", {ctx, ints(g, {0, 0, d})});
  Value* proj =
      op_(g, "Add", {op_(g, "MatMul", {merged, weight(g, {d, d}, 26)}), weight(g, {d}, 27)});
  Value* res1 = op_(g, "Add", {proj, pos});
  Value* ln2 = op_(g, "LayerNormalization", {res1, weight(g, {d}, 28), weight(g, {d}, 29)},
                   {{"axis", int64_t{-1}}, {"epsilon", 1e-6}});
  Value* h =
      op_(g, "Add", {op_(g, "MatMul", {ln2, weight(g, {d, 2 * d}, 30)}), weight(g, {2 * d}, 31)});
  // GELU as the frontend writes it: x * 0.5 * (1 + erf(x / sqrt(2))).
  Value* erf = op_(g, "Erf", {op_(g, "Div", {h, scalar(g, std::sqrt(2.0))})});
  Value* gelu =
      op_(g, "Mul", {op_(g, "Mul", {h, op_(g, "Add", {erf, scalar(g, 1.0)})}), scalar(g, 0.5)});
  Value* mlp =
      op_(g, "Add", {op_(g, "MatMul", {gelu, weight(g, {2 * d, d}, 32)}), weight(g, {d}, 33)});
  Value* out = op_(g, "Add", {mlp, res1});
  // The class token's features, and the patch tokens' mean.
  Value* first =
      op_(g, "Gather", {out, g.add_constant(Tensor::scalar_int64(0), "i")}, {{"axis", int64_t{1}}});
  first->shape = ir::fixed_shape({1, d});
  Value* patches = op_(g, "Slice", {out, ints(g, {1}), ints(g, {INT64_MAX}), ints(g, {1})});
  g.mark_output(first);
  g.mark_output(op_(g, "ReduceMean", {patches}, {{"axes", V{1}}, {"keepdims", int64_t{0}}}));
}

TEST(OpenVinoModels, TransformerBlock) {
  REQUIRE_ORT();
  Graph g;
  build_transformer(g);
  RoundTrip rt = expect_same(g, 1e-5);
  EXPECT_EQ(count_layers(rt.xml, "MVN", "opset6"), 2);
  EXPECT_EQ(count_layers(rt.xml, "VariadicSplit"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Broadcast", "opset3"), 1);
}

TEST(OpenVinoModels, TransformerBlockCompressedToFp16) {
  REQUIRE_ORT();
  Graph g;
  build_transformer(g);
  emit::OpenVinoOptions options;
  options.compress_to_fp16 = true;
  RoundTrip rt = round_trip(g, random_inputs(g), options);
  EXPECT_LE(rt.max_abs_diff, 2e-2);
  EXPECT_NE(rt.xml.find("element_type=\"f16\""), std::string::npos);
}

}  // namespace
}  // namespace mlexport::testing
