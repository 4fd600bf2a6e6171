// Data-movement and reduction translators, with static and computed shapes.
#include "graph_builders.h"

namespace mlexport::testing {
namespace {

using V = std::vector<int64_t>;

TEST(OpenVinoShape, ReshapeWithZeroAndMinusOne) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4, 5});
  g.mark_output(op_(g, "Reshape", {x, ints(g, {0, 3, -1})}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_NE(rt.xml.find("special_zero=\"true\""), std::string::npos);
}

TEST(OpenVinoShape, FlattenAxes) {
  REQUIRE_ORT();
  for (int64_t axis : {0, 1, 2, -1}) {
    Graph g;
    Value* x = input(g, {2, 3, 4, 5});
    g.mark_output(op_(g, "Flatten", {x}, {{"axis", axis}}));
    SCOPED_TRACE(axis);
    RoundTrip rt = expect_same(g, 0.0);
    EXPECT_EQ(count_layers(rt.xml, "Reshape"), 1);
  }
}

TEST(OpenVinoShape, FlattenOfDynamicBatch) {
  REQUIRE_ORT();
  Graph g;
  ir::Shape s = {ir::Dim::named("batch"), ir::Dim::fixed(4), ir::Dim::fixed(1), ir::Dim::fixed(1)};
  Value* x = g.add_input("x", DType::Float32, s);
  g.mark_output(op_(g, "Flatten", {x}, {{"axis", int64_t{1}}}));
  RoundTrip rt = round_trip(g, {random_tensor(DType::Float32, {3, 4, 1, 1}, 5)});
  EXPECT_EQ(rt.max_abs_diff, 0.0);
  EXPECT_NE(rt.xml.find("shape=\"?,4,1,1\""), std::string::npos);
  EXPECT_NE(rt.xml.find("<dim>-1</dim>"), std::string::npos);
}

TEST(OpenVinoShape, ConcatTransposeSqueezeUnsqueeze) {
  REQUIRE_ORT();
  Graph g;
  Value* a = input(g, {2, 3, 1}, DType::Float32, "a");
  Value* b = input(g, {2, 2, 1}, DType::Float32, "b");
  Value* c = op_(g, "Concat", {a, b}, {{"axis", int64_t{-2}}});
  Value* t = op_(g, "Transpose", {c}, {{"perm", V{2, 0, 1}}});
  Value* s = op_(g, "Squeeze", {t}, {{"axes", V{0}}});
  Value* u = op_(g, "Unsqueeze", {s}, {{"axes", V{1, -1}}});
  g.mark_output(u);
  g.mark_output(op_(g, "Squeeze", {a}));    // every 1-dim
  g.mark_output(op_(g, "Transpose", {a}));  // reversed
  expect_same(g, 0.0);
}

TEST(OpenVinoShape, ShapeGatherConcatReshapeComputedAtRunTime) {
  REQUIRE_ORT();
  // x.view(x.size(0), -1) with a dynamic batch, as a traced model records it.
  Graph g;
  ir::Shape s = {ir::Dim::named("batch"), ir::Dim::fixed(3), ir::Dim::fixed(4)};
  Value* x = g.add_input("x", DType::Float32, s);
  Value* shape = op_(g, "Shape", {x}, {}, DType::Int64);
  Value* n = op_(g, "Gather", {shape, g.add_constant(Tensor::scalar_int64(0), "i")},
                 {{"axis", int64_t{0}}}, DType::Int64);
  Value* n1 = op_(g, "Unsqueeze", {n}, {{"axes", V{0}}}, DType::Int64);
  Value* target = op_(g, "Concat", {n1, ints(g, {-1})}, {{"axis", int64_t{0}}}, DType::Int64);
  Value* flat = op_(g, "Reshape", {x, target});
  flat->shape = ir::Shape{ir::Dim::named("batch"), ir::Dim::fixed(12)};
  g.mark_output(flat);
  g.mark_output(op_(g, "Shape", {x}, {{"start", int64_t{1}}}, DType::Int64));
  RoundTrip rt = round_trip(g, {random_tensor(DType::Float32, {5, 3, 4}, 9)});
  EXPECT_EQ(rt.max_abs_diff, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "ShapeOf", "opset3"), 2);
  EXPECT_EQ(count_layers(rt.xml, "Gather", "opset8"), 1);
}

TEST(OpenVinoShape, GatherWithTensorIndices) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {5, 4});
  Value* idx = g.add_constant(Tensor::vector_int64({4, 0, -1, 2}), "idx");
  idx->constant->shape = {2, 2};
  idx->shape = ir::fixed_shape({2, 2});
  g.mark_output(op_(g, "Gather", {x, idx}, {{"axis", int64_t{0}}}));
  g.mark_output(
      op_(g, "Gather", {x, g.add_constant(Tensor::scalar_int64(1), "j")}, {{"axis", int64_t{-1}}}));
  expect_same(g, 0.0);
}

TEST(OpenVinoShape, SliceVariants) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {6, 7, 8});
  g.mark_output(op_(g, "Slice", {x, ints(g, {1}), ints(g, {3})}));
  g.mark_output(
      op_(g, "Slice",
          {x, ints(g, {1, -6}), ints(g, {INT64_MAX, -1}), ints(g, {2, 1}), ints(g, {3, 2})}));
  g.mark_output(
      op_(g, "Slice", {x, ints(g, {-1}), ints(g, {INT64_MIN}), ints(g, {0}), ints(g, {-2})}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "Slice", "opset8"), 3);
}

TEST(OpenVinoShape, ExpandBroadcastsBothWays) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 1});
  g.mark_output(op_(g, "Expand", {x, ints(g, {2, 1, 4})}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_NE(rt.xml.find("mode=\"bidirectional\""), std::string::npos);
}

TEST(OpenVinoShape, SplitBySizesAndEqually) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {4, 9});
  ir::Node* s = g.add_node("Split", {x}, 3, {{"axis", int64_t{-1}}, {"split", V{2, 3, 4}}});
  ir::Node* e = g.add_node("Split", {x}, 2, {{"axis", int64_t{0}}});
  for (Value* v : s->outputs) g.mark_output(v);
  for (Value* v : e->outputs) g.mark_output(v);
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "VariadicSplit"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Split"), 1);
}

TEST(OpenVinoShape, PadModes) {
  REQUIRE_ORT();
  for (const char* mode : {"constant", "reflect", "edge"}) {
    Graph g;
    Value* x = input(g, {1, 2, 4, 5});
    g.mark_output(
        op_(g, "Pad", {x},
            {{"pads", V{0, 0, 1, 2, 0, 0, 2, 1}}, {"mode", std::string(mode)}, {"value", 1.5}}));
    SCOPED_TRACE(mode);
    RoundTrip rt = expect_same(g, 0.0);
    EXPECT_NE(rt.xml.find(std::string("pad_mode=\"") + mode + "\""), std::string::npos);
  }
}

TEST(OpenVinoShape, NegativePadsUsePad12) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 6});
  g.mark_output(op_(g, "Pad", {x, ints(g, {0, -1, 1, 2})}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "Pad", "opset12"), 1);
}

TEST(OpenVinoShape, TileAndConstantOfShape) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3});
  g.mark_output(op_(g, "Tile", {x, ints(g, {2, 3})}));
  Value* shape = op_(g, "Shape", {x}, {}, DType::Int64);
  Tensor seven = Tensor::scalar_of(DType::Float32, 7.0);
  seven.shape = {1};
  g.mark_output(op_(g, "ConstantOfShape", {shape}, {{"value", seven}}));
  expect_same(g, 0.0);
}

TEST(OpenVinoReduce, ReductionsKeepAndDropDims) {
  REQUIRE_ORT();
  for (const char* kind : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                           "ReduceL2", "ReduceL1", "ReduceSumSquare", "ReduceLogSumExp"}) {
    for (int64_t keep : {0, 1}) {
      Graph g;
      Value* x = input(g, {2, 3, 4});
      g.mark_output(op_(g, kind, {x}, {{"axes", V{1, -1}}, {"keepdims", keep}}));
      g.mark_output(op_(g, kind, {x}, {{"keepdims", keep}}));  // every axis
      SCOPED_TRACE(std::string(kind) + " keep=" + std::to_string(keep));
      expect_same(g, 2e-5);
    }
  }
}

// ReduceLogSum becomes ReduceSum + Log (on positive inputs, where the log is defined).
TEST(OpenVinoReduce, LogSumIsSumThenLog) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4});
  Value* positive = op_(g, "Add", {op_(g, "Abs", {x}), scalar(g, 0.5)});
  g.mark_output(op_(g, "ReduceLogSum", {positive}, {{"axes", V{1}}, {"keepdims", int64_t{0}}}));
  RoundTrip rt = expect_same(g, 2e-6);
  EXPECT_EQ(count_layers(rt.xml, "ReduceSum"), 1);
  EXPECT_EQ(count_layers(rt.xml, "Log"), 1);
}

// Size: the product of ShapeOf, a 0-d i64.
TEST(OpenVinoShape, SizeIsTheProductOfTheShape) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 3, 4});
  Value* n = op_(g, "Size", {x}, {}, DType::Int64);
  g.mark_output(op_(g, "Mul", {op_(g, "Cast", {n}, {{"to", int64_t(DType::Float32)}}), x}));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "ReduceProd"), 1);
}

TEST(OpenVinoReduce, ArgMaxBecomesTopK) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 5});
  g.mark_output(
      op_(g, "ArgMax", {x}, {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}}, DType::Int64));
  g.mark_output(op_(g, "ArgMin", {x}, {{"axis", int64_t{0}}}, DType::Int64));
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "TopK", "opset11"), 2);
}

// ONNX TopK (k a constant or computed from the input's shape) becomes TopK-11 with a scalar k
// and reads back as TopK.
TEST(OpenVinoReduce, TopKBothOutputs) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {2, 5, 8});
  ir::Node* top =
      g.add_node("TopK", {x, ints(g, {3})}, 2,
                 {{"axis", int64_t{-1}}, {"largest", int64_t{1}}, {"sorted", int64_t{1}}});
  top->outputs[1]->dtype = DType::Int64;
  g.mark_output(top->outputs[0]);
  g.mark_output(top->outputs[1]);
  Value* shape = op_(g, "Shape", {x}, {}, DType::Int64);
  Value* n = op_(g, "Gather", {shape, ints(g, {1})}, {{"axis", int64_t{0}}}, DType::Int64);
  ir::Node* sorted = g.add_node(
      "TopK", {x, n}, 2, {{"axis", int64_t{1}}, {"largest", int64_t{0}}, {"sorted", int64_t{1}}});
  sorted->outputs[1]->dtype = DType::Int64;
  g.mark_output(sorted->outputs[0]);
  g.mark_output(sorted->outputs[1]);
  RoundTrip rt = expect_same(g, 0.0);
  EXPECT_EQ(count_layers(rt.xml, "TopK", "opset11"), 2);
}

TEST(OpenVinoReduce, CumSum) {
  REQUIRE_ORT();
  Graph g;
  Value* x = input(g, {3, 4});
  g.mark_output(op_(g, "CumSum", {x, g.add_constant(Tensor::scalar_int64(1), "axis")},
                    {{"reverse", int64_t{1}}}));
  expect_same(g);
}

}  // namespace
}  // namespace mlexport::testing

namespace mlexport::testing {
namespace {

// With --dynamic_axes the TorchScript frontend records intermediate shapes at the example batch
// (1): the emitter must follow what the symbolic input implies, not those recorded sizes.
TEST(OpenVinoShape, RecordedBatchOneShapesDoNotFreezeADynamicBatch) {
  REQUIRE_ORT();
  Graph g;
  ir::Shape s = {ir::Dim::named("batch_size"), ir::Dim::fixed(4), ir::Dim::fixed(2),
                 ir::Dim::fixed(2)};
  Value* x = g.add_input("x", DType::Float32, s);
  Value* pooled = op_(g, "GlobalAveragePool", {x});
  pooled->shape = ir::fixed_shape({1, 4, 1, 1});
  Value* flat = op_(g, "Flatten", {pooled}, {{"axis", int64_t{1}}});
  flat->shape = ir::fixed_shape({1, 4});
  Value* y = op_(g, "Gemm", {flat, weight(g, {3, 4}, 3)}, {{"transB", int64_t{1}}});
  y->shape = ir::Shape{ir::Dim::named("batch_size"), ir::Dim::fixed(3)};
  g.mark_output(y);
  RoundTrip rt = round_trip(g, {random_tensor(DType::Float32, {3, 4, 2, 2}, 4)});
  EXPECT_LE(rt.max_abs_diff, 1e-5);
  ASSERT_EQ(rt.through_openvino.size(), 1u);
  EXPECT_EQ(rt.through_openvino[0].shape, (std::vector<int64_t>{3, 3}));
  EXPECT_NE(rt.xml.find("special_zero=\"true\""), std::string::npos);
}

}  // namespace
}  // namespace mlexport::testing
