// What the importer makes of each ONNX form: operands moved into the IR's attributes, older
// opsets rewritten, constants, names, dtypes and shapes, and the Source around it.
#include <gtest/gtest.h>

#include "frontend/onnx/onnx_import.h"
#include "frontend/onnx/onnx_source.h"
#include "mlexport/diagnostics.h"
#include "support.h"

namespace mlexport::frontend::onnx {
namespace {

using testing::fixture;

std::unique_ptr<ir::Graph> load(const std::string& name, ImportOptions options = {}) {
  const std::string path = fixture(name + ".onnx");
  if (path.empty()) return nullptr;
  return import_onnx(path, options).graph;
}

std::vector<const ir::Node*> nodes_of(const ir::Graph& g, const std::string& op) {
  std::vector<const ir::Node*> out;
  for (const auto& n : g.nodes())
    if (n->op == op) out.push_back(n.get());
  return out;
}

// The only node of kind `op` (fails the test when there is not exactly one).
const ir::Node* only(const ir::Graph& g, const std::string& op) {
  auto found = nodes_of(g, op);
  EXPECT_EQ(found.size(), 1u) << "nodes of kind " << op;
  return found.size() == 1 ? found[0] : nullptr;
}

std::vector<std::string> ops_of(const ir::Graph& g) {
  std::vector<std::string> out;
  for (const auto& n : g.nodes()) out.push_back(n->op);
  return out;
}

size_t present_inputs(const ir::Node& n) {
  size_t count = 0;
  for (const ir::Value* v : n.inputs) count += v != nullptr;
  return count;
}

std::vector<double> doubles(const ir::Node& n, const std::string& key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return {};
  if (auto* v = std::get_if<std::vector<double>>(&it->second)) return *v;
  if (auto* v = std::get_if<double>(&it->second)) return {*v};
  return {};
}

TEST(OperandsToAttributes, SqueezeAndUnsqueezeAxes) {
  for (const char* name : {"squeeze_11", "squeeze_13"}) {
    SCOPED_TRACE(name);
    auto g = load(name);
    ASSERT_TRUE(g);
    const ir::Node* n = only(*g, "Squeeze");
    ASSERT_TRUE(n);
    EXPECT_EQ(present_inputs(*n), 1u);
    EXPECT_EQ(n->ints("axes"), (std::vector<int64_t>{std::string(name) == "squeeze_11" ? 1 : -2}));
  }
  auto all = load("squeeze_all_13");
  ASSERT_TRUE(all);
  EXPECT_FALSE(only(*all, "Squeeze")->has("axes"));
  auto g = load("unsqueeze_13");
  ASSERT_TRUE(g);
  const ir::Node* n = only(*g, "Unsqueeze");
  ASSERT_TRUE(n);
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_EQ(n->ints("axes"), (std::vector<int64_t>{0, -1}));
}

TEST(OperandsToAttributes, ReduceAxes) {
  auto mean = load("reducemean_11");
  ASSERT_TRUE(mean);
  EXPECT_EQ(only(*mean, "ReduceMean")->ints("axes"), (std::vector<int64_t>{1}));
  EXPECT_EQ(only(*mean, "ReduceMean")->i("keepdims", 1), 0);
  auto sum = load("reducesum_13");
  ASSERT_TRUE(sum);
  const ir::Node* n = only(*sum, "ReduceSum");
  ASSERT_TRUE(n);
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_EQ(n->ints("axes"), (std::vector<int64_t>{0, 2}));
  auto noop = load("reducesum_noop_13");
  ASSERT_TRUE(noop);
  n = only(*noop, "ReduceSum");
  ASSERT_TRUE(n);
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_FALSE(n->has("axes"));
  EXPECT_EQ(n->i("noop_with_empty_axes", 0), 1);
}

TEST(OperandsToAttributes, SplitSizes) {
  for (const char* name : {"split_11", "split_13"}) {
    SCOPED_TRACE(name);
    auto g = load(name);
    ASSERT_TRUE(g);
    const ir::Node* n = only(*g, "Split");
    ASSERT_TRUE(n);
    EXPECT_EQ(present_inputs(*n), 1u);
    EXPECT_EQ(n->ints("split"), (std::vector<int64_t>{2, 4}));
    EXPECT_EQ(n->outputs.size(), 2u);
  }
}

TEST(OperandsToAttributes, PadPadsAndValue) {
  for (const char* name : {"pad_10", "pad_11"}) {
    SCOPED_TRACE(name);
    auto g = load(name);
    ASSERT_TRUE(g);
    const ir::Node* n = only(*g, "Pad");
    ASSERT_TRUE(n);
    EXPECT_EQ(present_inputs(*n), 1u);
    const bool old = std::string(name) == "pad_10";
    EXPECT_EQ(n->ints("pads"), old ? (std::vector<int64_t>{0, 0, 1, 2, 0, 0, 2, 1})
                                   : (std::vector<int64_t>{0, 1, 1, 0, 0, 0, 2, 3}));
    EXPECT_DOUBLE_EQ(n->f("value", 0), old ? 1.5 : -0.25);
  }
}

TEST(OperandsToAttributes, ClipBounds) {
  auto g = load("clip_min_11");
  ASSERT_TRUE(g);
  const ir::Node* n = only(*g, "Clip");
  ASSERT_TRUE(n);
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_DOUBLE_EQ(n->f("min", 0), static_cast<double>(-0.3f));
  EXPECT_FALSE(n->has("max"));
  g = load("clip_max_13");
  ASSERT_TRUE(g);
  n = only(*g, "Clip");
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_DOUBLE_EQ(n->f("max", 0), static_cast<double>(0.2f));
  g = load("clip_int_13");
  ASSERT_TRUE(g);
  n = only(*g, "Clip");
  EXPECT_EQ(n->f("min", 0), -1);
  EXPECT_EQ(n->f("max", 0), 1);
}

TEST(OperandsToAttributes, ResizeScalesAndSizes) {
  auto g = load("resize_align_11");
  ASSERT_TRUE(g);
  const ir::Node* n = only(*g, "Resize");
  ASSERT_TRUE(n);
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_EQ(doubles(*n, "scales"), (std::vector<double>{1, 1, 2, 2}));
  g = load("resize_sizes_13");
  ASSERT_TRUE(g);
  n = only(*g, "Resize");
  EXPECT_EQ(present_inputs(*n), 1u);
  EXPECT_EQ(n->ints("sizes"), (std::vector<int64_t>{1, 2, 3, 8}));
  EXPECT_FALSE(n->has("scales"));
}

TEST(OlderOpsets, SliceAndTopKAttributesBecomeConstantInputs) {
  auto g = load("slice_9");
  ASSERT_TRUE(g);
  const ir::Node* n = only(*g, "Slice");
  ASSERT_TRUE(n);
  ASSERT_EQ(n->inputs.size(), 4u);
  EXPECT_EQ(n->inputs[1]->constant->to_int_vector(), (std::vector<int64_t>{1, -4}));
  EXPECT_EQ(n->inputs[2]->constant->to_int_vector(), (std::vector<int64_t>{3, 1000}));
  EXPECT_EQ(n->inputs[3]->constant->to_int_vector(), (std::vector<int64_t>{0, 1}));
  EXPECT_TRUE(n->attrs.empty());
  g = load("topk_9");
  ASSERT_TRUE(g);
  n = only(*g, "TopK");
  ASSERT_EQ(n->inputs.size(), 2u);
  EXPECT_EQ(n->inputs[1]->constant->to_int_vector(), (std::vector<int64_t>{2}));
  EXPECT_FALSE(n->has("k"));
}

TEST(OlderOpsets, Resize10AndUpsampleBecomeAsymmetricResize) {
  struct Expect {
    const char* file;
    const char* mode;
    const char* nearest_mode;
  };
  for (const Expect& e :
       {Expect{"resize_nearest_10", "nearest", "floor"},
        Expect{"resize_down_10", "nearest", "ceil"}, Expect{"resize_linear_10", "linear", ""},
        Expect{"upsample_9", "nearest", "floor"}, Expect{"upsample_linear_7", "linear", ""}}) {
    SCOPED_TRACE(e.file);
    auto g = load(e.file);
    ASSERT_TRUE(g);
    EXPECT_TRUE(nodes_of(*g, "Upsample").empty());
    const ir::Node* n = only(*g, "Resize");
    ASSERT_TRUE(n);
    EXPECT_EQ(present_inputs(*n), 1u);
    EXPECT_EQ(n->s("mode", ""), e.mode);
    EXPECT_EQ(n->s("coordinate_transformation_mode", ""), "asymmetric");
    EXPECT_EQ(n->s("nearest_mode", ""), e.nearest_mode);
    EXPECT_EQ(doubles(*n, "scales").size(), 4u);
  }
}

TEST(OlderOpsets, SoftmaxBeforeOpset13FlattensUnlessOverTheLastAxis) {
  auto g = load("softmax_axis1_11");
  ASSERT_TRUE(g);
  EXPECT_EQ(ops_of(*g), (std::vector<std::string>{"Shape", "Flatten", "Softmax", "Reshape"}));
  EXPECT_EQ(only(*g, "Flatten")->i("axis", 0), 1);
  EXPECT_EQ(only(*g, "Softmax")->i("axis", 0), -1);
  EXPECT_EQ(g->outputs()[0]->name, "y");
  EXPECT_EQ(g->outputs()[0]->producer->op, "Reshape");
  auto last = load("softmax_last_11");
  ASSERT_TRUE(last);
  EXPECT_EQ(ops_of(*last), (std::vector<std::string>{"Softmax"}));
  // Rank unknown (the input has no shape): the same rewrite works for any rank. Only imported:
  // the emitter needs input shapes.
  auto norank = load("softmax_norank_11");
  ASSERT_TRUE(norank);
  EXPECT_EQ(ops_of(*norank), (std::vector<std::string>{"Shape", "Flatten", "Softmax", "Reshape"}));
  auto hard = load("hardmax_axis1_11");
  ASSERT_TRUE(hard);
  EXPECT_EQ(ops_of(*hard), (std::vector<std::string>{"Shape", "Flatten", "Hardmax", "Reshape"}));
}

TEST(OlderOpsets, BatchNormSpatialDropoutScatter) {
  auto g = load("batchnorm_spatial_7");
  ASSERT_TRUE(g);
  const ir::Node* bn = only(*g, "BatchNormalization");
  ASSERT_TRUE(bn);
  EXPECT_FALSE(bn->has("spatial"));
  EXPECT_EQ(bn->outputs.size(), 1u);
  auto per = load("batchnorm_per_activation_7");
  ASSERT_TRUE(per);
  EXPECT_TRUE(nodes_of(*per, "BatchNormalization").empty());
  EXPECT_EQ(ops_of(*per), (std::vector<std::string>{"Sub", "Add", "Sqrt", "Div", "Mul", "Add"}));
  for (const char* name : {"dropout_7", "dropout_12"}) {
    auto d = load(name);
    ASSERT_TRUE(d);
    EXPECT_TRUE(nodes_of(*d, "Dropout").empty()) << name;
    const ir::Node* id = only(*d, "Identity");
    ASSERT_TRUE(id);
    EXPECT_EQ(id->inputs.size(), 1u);
    EXPECT_EQ(id->outputs.size(), 1u);
  }
  auto s = load("scatter_9");
  ASSERT_TRUE(s);
  EXPECT_EQ(only(*s, "ScatterElements")->i("axis", 0), 1);
  auto roi = load("roialign_10");
  ASSERT_TRUE(roi);
  EXPECT_EQ(only(*roi, "RoiAlign")->s("coordinate_transformation_mode", ""), "output_half_pixel");
}

TEST(Values, CastTargetIsAnIrDtype) {
  auto g = load("float16_13");
  ASSERT_TRUE(g);
  auto casts = nodes_of(*g, "Cast");
  ASSERT_EQ(casts.size(), 2u);
  EXPECT_EQ(casts[0]->i("to", -1), static_cast<int64_t>(ir::DType::Float16));
  EXPECT_EQ(casts[1]->i("to", -1), static_cast<int64_t>(ir::DType::Float32));
  // The float16 initializer was stored in int32_data (onnx.helper, raw=False).
  const ir::Value* h = only(*g, "Add")->inputs[1];
  ASSERT_TRUE(h->is_constant());
  EXPECT_EQ(h->name, "h");
  EXPECT_EQ(h->constant->dtype, ir::DType::Float16);
  EXPECT_EQ(h->constant->to_double_vector(), (std::vector<double>{0.5, -1.25, 3.0}));
  EXPECT_EQ(only(*g, "Add")->outputs[0]->dtype, ir::DType::Float16);
}

TEST(Values, ConstantNodesAndTypedFieldsBecomeConstants) {
  auto g = load("constants_13");
  ASSERT_TRUE(g);
  EXPECT_TRUE(nodes_of(*g, "Constant").empty());
  const ir::Node* mul = only(*g, "Mul");
  ASSERT_TRUE(mul && mul->inputs[1]->is_constant());
  EXPECT_EQ(mul->inputs[1]->constant->to_double_vector(), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(only(*g, "Reshape")->inputs[1]->constant->to_int_vector(),
            (std::vector<int64_t>{3, 2}));
  auto t = load("typed_fields_13");
  ASSERT_TRUE(t);
  EXPECT_EQ(only(*t, "Add")->inputs[1]->constant->to_double_vector(),
            (std::vector<double>{1, -2, 0.5}));
  EXPECT_EQ(only(*t, "Reshape")->inputs[1]->constant->dtype, ir::DType::Int64);
}

TEST(Values, InitializerListedAsInputIsAConstantAndNamesSurvive) {
  auto g = load("initializer_input_7");
  ASSERT_TRUE(g);
  ASSERT_EQ(g->inputs().size(), 1u);
  EXPECT_EQ(g->inputs()[0]->name, "x");
  const ir::Node* add = only(*g, "Add");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->name, "add_w");
  EXPECT_EQ(add->source, "y = x + w");
  EXPECT_TRUE(add->inputs[1]->is_constant());
  EXPECT_EQ(add->inputs[1]->name, "w");
  EXPECT_EQ(g->outputs()[0]->name, "y");
}

TEST(Values, ShapesFromShapeInferenceWithSymbols) {
  auto g = load("symbolic_13");
  ASSERT_TRUE(g);
  EXPECT_EQ(*g->inputs()[0]->shape, (ir::Shape{ir::Dim::named("batch"), ir::Dim::fixed(3)}));
  auto t = load("transformer_op13");
  ASSERT_TRUE(t);
  ASSERT_EQ(t->inputs().size(), 2u);
  EXPECT_EQ(t->inputs()[0]->name, "ids");
  EXPECT_EQ(t->inputs()[0]->dtype, ir::DType::Int64);
  EXPECT_EQ(*t->inputs()[0]->shape, (ir::Shape{ir::Dim::named("batch"), ir::Dim::named("seq")}));
  // Every node output has a dtype and at least a rank from inference.
  for (const auto& n : t->nodes())
    for (const ir::Value* v : n->outputs) EXPECT_TRUE(v->shape.has_value()) << v->name;
  const ir::Value* out = t->outputs()[0];
  EXPECT_EQ(out->name, "hidden");
  ASSERT_TRUE(out->shape);
  EXPECT_EQ((*out->shape)[2], ir::Dim::fixed(32));
  auto r = load("resnet18_op17");
  ASSERT_TRUE(r);
  for (const auto& n : r->nodes())
    for (const ir::Value* v : n->outputs) {
      ASSERT_TRUE(v->shape.has_value()) << v->name;
      for (const ir::Dim& d : *v->shape) EXPECT_TRUE(d.is_fixed()) << v->name;
    }
}

TEST(Values, ExternalDataIsReadFromBesideTheModel) {
  auto g = load("external/conv");
  ASSERT_TRUE(g);
  const ir::Node* conv = only(*g, "Conv");
  ASSERT_TRUE(conv);
  ASSERT_TRUE(conv->inputs[1]->is_constant());
  EXPECT_EQ(conv->inputs[1]->constant->shape, (std::vector<int64_t>{3, 2, 3, 3}));
  EXPECT_EQ(conv->inputs[2]->constant->numel(), 3);
}

TEST(Import, ReportsOpsetProducerAndRenamesOnRequest) {
  const std::string path = fixture("resnet18_op13.onnx");
  ASSERT_FALSE(path.empty());
  ImportOptions options;
  options.input_names = {"image"};
  options.output_names = {"logits"};
  OnnxImport imported = import_onnx(path, options);
  EXPECT_EQ(imported.opset, 13);
  EXPECT_EQ(imported.producer.rfind("pytorch", 0), 0u) << imported.producer;
  EXPECT_EQ(imported.graph->inputs()[0]->name, "image");
  EXPECT_EQ(imported.graph->outputs()[0]->name, "logits");
  options.input_names = {"a", "b"};
  EXPECT_THROW(import_onnx(path, options), Error);
}

TEST(Import, DynamicBatchNamesDimZero) {
  ImportOptions options;
  options.dynamic_batch = true;
  auto g = load("resnet18_op17", options);
  ASSERT_TRUE(g);
  EXPECT_EQ((*g->inputs()[0]->shape)[0], ir::Dim::named("batch_size"));
  EXPECT_EQ((*g->outputs()[0]->shape)[0], ir::Dim::named("batch_size"));
  // The symbol reached the values computed from the input.
  const ir::Node* first = g->nodes().front().get();
  ASSERT_TRUE(first->outputs[0]->shape);
  EXPECT_EQ((*first->outputs[0]->shape)[0], ir::Dim::named("batch_size"));
  // Without the option, the file's sizes stay.
  auto fixed = load("resnet18_op17");
  ASSERT_TRUE(fixed);
  EXPECT_EQ((*fixed->inputs()[0]->shape)[0], ir::Dim::fixed(1));
}

TEST(Source, DescribesInputsAndChecksExamples) {
  const std::string path = fixture("transformer_op13.onnx");
  ASSERT_FALSE(path.empty());
  OnnxSourceModel source(path);
  EXPECT_EQ(source.num_inputs(), 2u);
  EXPECT_EQ(source.default_input_shapes(), (std::vector<std::vector<int64_t>>{{1, 1}, {1, 1}}));
  EXPECT_EQ(source.default_input_dtypes(),
            (std::vector<ir::DType>{ir::DType::Int64, ir::DType::Float32}));
  EXPECT_EQ(source.opset(), 13);

  const ir::Tensor ids = testing::random_tensor(ir::DType::Int64, {2, 5}, 1);
  const ir::Tensor mask = testing::random_tensor(ir::DType::Float32, {2, 5}, 2);
  try {
    source.to_ir({ids}, {});
    ADD_FAILURE() << "one input of two was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
  try {
    source.to_ir({mask, mask}, {});
    ADD_FAILURE() << "float ids were accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
  auto g = source.to_ir({ids, mask}, {});
  ASSERT_TRUE(g);
  EXPECT_FALSE(g->nodes().empty());
  // Asked twice, it is imported again.
  EXPECT_TRUE(source.to_ir({ids, mask}, {}));

  OnnxSourceModel fixed(fixture("resnet18_op11.onnx"));
  const ir::Tensor wrong = testing::random_tensor(ir::DType::Float32, {1, 3, 32, 32}, 1);
  try {
    fixed.to_ir({wrong}, {});
    ADD_FAILURE() << "a 32x32 image was accepted by a 64x64 model";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadInput);
  }
  const ir::Tensor pair = testing::random_tensor(ir::DType::Float32, {2, 3, 64, 64}, 1);
  EXPECT_THROW(fixed.to_ir({pair}, {}), Error);
  ImportOptions dynamic;
  dynamic.dynamic_batch = true;
  EXPECT_TRUE(fixed.to_ir({pair}, dynamic));
}

TEST(Source, OpenOnnxSourceGivesASource) {
  const std::string path = fixture("resnet18_op17.onnx");
  ASSERT_FALSE(path.empty());
  std::unique_ptr<frontend::Source> source = open_onnx_source(path);
  EXPECT_EQ(source->num_inputs(), 1u);
  EXPECT_EQ(source->default_input_shapes(), (std::vector<std::vector<int64_t>>{{1, 3, 64, 64}}));
}

}  // namespace
}  // namespace mlexport::frontend::onnx
